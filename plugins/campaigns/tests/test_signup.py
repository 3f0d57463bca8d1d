"""Double opt-in: the public form only mails a link; only that link's confirmation gives consent."""

from __future__ import annotations

import random
import re
import time
from typing import Any
from unittest import mock

import pytest
from django.core import signing
from django_scopes import scope, scopes_disabled
from eventyay_campaigns.models import Contact
from eventyay_campaigns.services import signup as signup_services
from eventyay_campaigns.views import signup as signup_views

from eventyay.base.models.outbox import OutgoingMail
from eventyay.base.services.organizer_plugins import organizer_plugins_update

from .conftest import switched_off

pytestmark = pytest.mark.django_db

FORM = "/_signup/example/"


@pytest.fixture
def campaigns_on(organizer: Any) -> Any:
    with scope(organizer=organizer):
        organizer_plugins_update(organizer=organizer, enable=["campaigns"])
    return organizer


def _mails() -> list[OutgoingMail]:
    with scopes_disabled():
        return list(OutgoingMail.objects.filter(subject__contains="confirm your subscription"))


def _contacts(organizer: Any) -> list[tuple[str, str, bool, str]]:
    with scope(organizer=organizer):
        return list(
            Contact.objects.filter(organizer=organizer).values_list(
                "email_key", "first_name", "marketing_consent", "consent_source"
            )
        )


def _link(mail: OutgoingMail) -> str:
    match = re.search(r"https?://[^/\s]+(/_signup/\S+)", mail.body_text)
    assert match, mail.body_text
    return match.group(1)


def test_sign_up_sends_a_link_and_only_the_link_gives_consent(
    client: Any, campaigns_on: Any, make_contact: Any
) -> None:
    make_contact("ann@example.org", first_name="Ann", last_name="Known")
    assert client.get(FORM).status_code == 200
    refused = client.post(FORM, {"email": "ann@example.org", "first_name": "X"})
    assert refused.status_code == 400 and "This field is required." in refused.content.decode()
    sent = client.post(FORM, {"email": "Ann@Example.org", "first_name": "Annie", "consent": "on"})
    assert sent.status_code == 200 and "we sent you a mail" in sent.content.decode()
    new = client.post(
        FORM, {"email": "new@example.org", "first_name": "Nu", "last_name": "Person", "consent": "on"}
    )
    assert "we sent you a mail" in new.content.decode()
    # Nothing changed yet: the form alone gives no consent and creates no contact.
    assert sorted(_contacts(campaigns_on)) == [("ann@example.org", "Ann", False, "")]
    mails = {mail.to[0]: mail for mail in _mails()}
    assert set(mails) == {"ann@example.org", "new@example.org"}

    link = _link(mails["new@example.org"])
    page = client.get(link)
    assert page.status_code == 200 and 'method="post"' in page.content.decode()
    assert len(_contacts(campaigns_on)) == 1, "a GET (a mail scanner) must not confirm"
    done = client.post(link)
    assert done.status_code == 200 and "may now send news to new@example.org" in done.content.decode()
    client.post(_link(mails["ann@example.org"]))
    assert sorted(_contacts(campaigns_on)) == [
        ("ann@example.org", "Ann", True, "signup"),
        ("new@example.org", "Nu", True, "signup"),
    ]
    with scope(organizer=campaigns_on):
        assert Contact.objects.get(email_key="new@example.org").consent_at is not None
    # One mail per address and hour, however often the form is sent.
    client.post(FORM, {"email": "new@example.org", "consent": "on"})
    assert len(_mails()) == 2


def test_forged_expired_and_foreign_links_change_nothing(
    client: Any, campaigns_on: Any, other_organizer: Any
) -> None:
    good = signup_services.signup_token(
        organizer=campaigns_on, email="eve@example.org", first_name="Eve", last_name=""
    )
    with mock.patch(
        "time.time", return_value=time.time() - signup_services.TOKEN_MAX_AGE.total_seconds() - 60
    ):
        expired = signup_services.signup_token(
            organizer=campaigns_on, email="eve@example.org", first_name="Eve", last_name=""
        )
    foreign = signup_services.signup_token(
        organizer=other_organizer, email="eve@example.org", first_name="Eve", last_name=""
    )
    unsalted = signing.dumps({"o": campaigns_on.pk, "e": "eve@example.org", "f": "", "l": ""})
    forged = good[:-3] + ("AAA" if not good.endswith("AAA") else "BBB")
    for token in (expired, foreign, unsalted, forged):
        for method in ("get", "post"):
            response = getattr(client, method)(f"{FORM}confirm/{token}/")
            assert response.status_code == 400, (token, method)
            assert "invalid or has expired" in response.content.decode()
    assert _contacts(campaigns_on) == []
    assert client.post(f"{FORM}confirm/{good}/").status_code == 200
    assert _contacts(campaigns_on) == [("eve@example.org", "Eve", True, "signup")]


def test_only_where_campaigns_is_on_for_the_organizer(
    client: Any, organizer: Any, other_organizer: Any
) -> None:
    switched_off(organizer)
    switched_off(other_organizer)
    assert client.get(FORM).status_code == 404
    assert client.get("/_signup/other/").status_code == 404
    assert client.get("/_signup/nobody/").status_code == 404


def test_sign_ups_are_rate_limited(client: Any, campaigns_on: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(signup_views, "SIGNUP_RATE_LIMIT", "2/m")
    # An address of its own, so counts of other tests in the same minute do not add up.
    address = f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"
    statuses = [
        client.post(FORM, {"email": f"p{n}@example.org", "consent": "on"}, REMOTE_ADDR=address).status_code
        for n in range(3)
    ]
    assert statuses == [200, 200, 429]
    assert len(_mails()) == 2
