"""The inbound webhook: signed requests create and update contacts and fire automation rules."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from django.db import transaction
from django_scopes import scope
from eventyay_campaigns.models import AutomationRun, Contact, InboundDelivery, InboundEndpoint
from eventyay_campaigns.services import automation, inbound
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _after_commit_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The test's transaction never commits: run what waits for the commit right away."""
    monkeypatch.setattr(transaction, "on_commit", lambda func, using=None, robust=False: func())


@pytest.fixture
def endpoint(organizer: Any, crm_event: Any) -> tuple[InboundEndpoint, str]:
    with scope(organizer=organizer):
        return inbound.endpoint_rotate(organizer=organizer)


def _post(
    endpoint: InboundEndpoint, secret: str, payload: Any, *, timestamp: int | None = None, signature: str = ""
) -> Any:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    signature = signature or "v1=" + inbound.signature_for(secret, stamp, body)
    return APIClient().generic(
        "POST",
        f"/campaigns/inbound/{endpoint.key}/",
        body,
        content_type="application/json",
        HTTP_X_EVENTYAY_TIMESTAMP=stamp,
        HTTP_X_EVENTYAY_SIGNATURE=signature,
    )


def test_a_signed_request_creates_then_updates_a_contact(organizer: Any, endpoint: Any) -> None:
    key, secret = endpoint
    created = _post(
        key,
        secret,
        {"email": "Ann@Example.org", "first_name": "Ann", "tags": ["form"], "marketing_consent": True},
    )
    assert created.status_code == 201, created.json()
    updated = _post(key, secret, {"email": "ann@example.org", "company": "TechCorp"})
    assert updated.status_code == 200 and updated.json()["id"] == created.json()["id"]
    with scope(organizer=organizer):
        contact = Contact.objects.get(email_key="ann@example.org")
        assert (contact.first_name, contact.company, contact.marketing_consent) == ("Ann", "TechCorp", True)
        assert contact.consent_source == "api"
        assert [d.status for d in InboundDelivery.objects.all()] == [200, 201]


def test_bad_fields_are_a_400_naming_them(organizer: Any, endpoint: Any) -> None:
    key, secret = endpoint
    for payload, field in (
        ({"email": "not-an-address"}, "email"),
        ({"email": "ann@example.org", "country": "Germany"}, "country"),
        ({"email": "ann@example.org", "custom_fields": {"nope": 1}}, "custom_fields.nope"),
        ({"first_name": "Ann"}, "email"),
        (["a list"], "body"),
        (b"{not json", "body"),
    ):
        response = _post(key, secret, payload)
        assert response.status_code == 400 and field in response.json(), (payload, response.json())
    with scope(organizer=organizer):
        assert not Contact.objects.exists()


def test_replays_and_stale_or_forged_requests_are_refused(organizer: Any, endpoint: Any) -> None:
    key, secret = endpoint
    stamp = int(time.time())
    first = _post(key, secret, {"email": "ann@example.org"}, timestamp=stamp)
    assert first.status_code == 201
    replay = _post(key, secret, {"email": "ann@example.org"}, timestamp=stamp)
    assert replay.status_code == 409
    assert _post(key, secret, {"email": "bob@example.org"}, timestamp=stamp - 400).status_code == 401
    assert _post(key, secret, {"email": "bob@example.org"}, timestamp=stamp + 400).status_code == 401
    assert _post(key, "whsec_wrong", {"email": "bob@example.org"}).status_code == 401
    assert _post(key, secret, {"email": "bob@example.org"}, signature="v1=" + "0" * 64).status_code == 401
    response = APIClient().post(f"/campaigns/inbound/{key.key}/", {"email": "bob@example.org"}, format="json")
    assert response.status_code == 401
    assert APIClient().post("/campaigns/inbound/unknown/", {}, format="json").status_code == 404
    with scope(organizer=organizer):
        assert list(Contact.objects.values_list("email", flat=True)) == ["ann@example.org"]


def test_rotating_the_secret_retires_the_old_one(organizer: Any, endpoint: Any) -> None:
    key, old = endpoint
    with scope(organizer=organizer):
        rotated, new = inbound.endpoint_rotate(organizer=organizer)
    assert rotated.key == key.key and new != old
    assert _post(rotated, old, {"email": "ann@example.org"}).status_code == 401
    assert _post(rotated, new, {"email": "ann@example.org"}).status_code == 201


def test_inbound_data_fires_automation(organizer: Any, endpoint: Any) -> None:
    key, secret = endpoint
    with scope(organizer=organizer):
        automation.rule_save(
            organizer=organizer,
            data={"name": "Form leads", "trigger": "inbound_received", "conditions": {"company": "TechCorp"}},
            actions=[{"kind": "add_tag", "tag": "lead"}],
        )
        automation.rule_save(
            organizer=organizer,
            data={"name": "New", "trigger": "contact_created"},
            actions=[{"kind": "add_tag", "tag": "new"}],
        )
    _post(key, secret, {"email": "ann@example.org", "company": "TechCorp"})
    _post(key, secret, {"email": "bob@example.org", "company": "Other"})
    with scope(organizer=organizer):
        ann = Contact.objects.get(email_key="ann@example.org")
        bob = Contact.objects.get(email_key="bob@example.org")
        assert {t.name for t in ann.tags.all()} == {"lead", "new"}
        assert {t.name for t in bob.tags.all()} == {"new"}
        assert AutomationRun.objects.filter(trigger="inbound_received").count() == 1


def test_control_page_shows_the_secret_once(
    organizer: Any, client_for: Any, user: Any, other_organizer: Any, crm_event: Any
) -> None:
    client = client_for(user)
    url = "/control/organizer/example/automation/inbound/"
    assert "inbound-secret" not in client.get(url).content.decode()
    created = client.post(url).content.decode()
    assert "inbound-secret" in created and "whsec_" in created
    page = client.get(url).content.decode()
    assert "whsec_" not in page and "/campaigns/inbound/" in page
    with scope(organizer=organizer):
        first = InboundEndpoint.objects.get(organizer=organizer).secret
    client.post(url)
    with scope(organizer=organizer):
        assert InboundEndpoint.objects.get(organizer=organizer).secret != first
    outsider = client_for(other_organizer.member)
    assert outsider.get(url).status_code == 404 and outsider.post(url).status_code == 404
