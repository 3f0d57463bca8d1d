from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from anymail.signals import AnymailTrackingEvent
from anymail.signals import tracking as anymail_tracking
from django.conf import settings
from django.test import Client
from django.utils import timezone
from django_scopes import scope
from eventyay_campaigns.models import Campaign, Contact, Message, MessageEvent, Suppression
from eventyay_campaigns.services import tracking

from eventyay.base.models import LogEntry

pytestmark = pytest.mark.django_db

BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


@pytest.fixture
def message(organizer: Any, make_contact: Any) -> Message:
    contact = make_contact("ann@example.org", first_name="Ann", marketing_consent=True)
    with scope(organizer=organizer):
        campaign = Campaign.objects.create(
            organizer=organizer,
            name="Spring",
            body="Hello",
            utm_source="newsletter",
            utm_medium="email",
            utm_campaign="spring",
            status=Campaign.Status.SENDING,
        )
        return Message.objects.create(
            organizer=organizer,
            campaign=campaign,
            contact=contact,
            recipient=contact.email,
            status=Message.Status.SENT,
            sent_at=timezone.now() - dt.timedelta(hours=1),
            provider_id="<abc@example.org>",
        )


def _path(url: str) -> str:
    assert url.startswith(settings.SITE_URL)
    return url[len(settings.SITE_URL) :]


def _events(message: Message, kind: str) -> list[MessageEvent]:
    with scope(organizer=message.organizer):
        return list(MessageEvent.objects.filter(message=message, kind=kind))


def test_unsubscribe_headers_follow_rfc_8058(message: Message) -> None:
    headers = tracking.unsubscribe_headers(message)
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = headers["List-Unsubscribe"].removeprefix("<").removesuffix(">")
    assert url == tracking.unsubscribe_url(message)
    assert url.startswith(settings.SITE_URL + "/unsubscribe/")
    assert f"/{message.pk}/" not in url


def test_rewrite_links_tracks_web_links_only(message: Message) -> None:
    unsubscribe = tracking.unsubscribe_url(message)
    body = (
        '<p><a href="https://example.org/a?x=1&amp;y=2">A</a> '
        "<a class='b' href='http://example.org/b'>B</a> "
        '<a href="mailto:ann@example.org">mail</a> <a href="#top">top</a> '
        f'<a href="{unsubscribe}">unsubscribe</a></p>'
    )
    rewritten = tracking.rewrite_links(body, message)
    assert "https://example.org/a" not in rewritten and "http://example.org/b" not in rewritten
    assert rewritten.count(settings.SITE_URL + "/c/") == 2
    assert "class='b'" in rewritten
    assert 'href="mailto:ann@example.org"' in rewritten and 'href="#top"' in rewritten
    assert f'href="{unsubscribe}"' in rewritten


def test_click_redirects_with_utm_merged_and_is_recorded(message: Message) -> None:
    url = tracking.click_url(message, "https://example.org/tickets?x=1&utm_source=other&utm_content=keep")
    response = Client().get(_path(url), HTTP_USER_AGENT=BROWSER)
    assert response.status_code == 302
    target = urlsplit(response["Location"])
    assert (target.scheme, target.netloc, target.path) == ("https", "example.org", "/tickets")
    assert parse_qs(target.query) == {
        "x": ["1"],
        "utm_content": ["keep"],
        "utm_source": ["newsletter"],
        "utm_medium": ["email"],
        "utm_campaign": ["spring"],
    }
    [click] = _events(message, MessageEvent.Kind.CLICKED)
    assert click.automated is False and click.campaign_id == message.campaign_id
    assert click.url == "https://example.org/tickets?x=1&utm_source=other&utm_content=keep"


def test_rewritten_link_in_the_body_redirects_to_its_target(message: Message) -> None:
    rewritten = tracking.rewrite_links('<a href="https://example.org/x?a=1&amp;b=2">x</a>', message)
    url = rewritten.split('"')[1].replace("&amp;", "&")
    response = Client().get(_path(url), HTTP_USER_AGENT=BROWSER)
    assert response["Location"].startswith("https://example.org/x?a=1&b=2&utm_source=newsletter")


@pytest.mark.parametrize(
    "token",
    ["abc:def", "eyJtIjoxLCJ1IjoiaHR0cHM6Ly9ldmlsLmV4YW1wbGUifQ:forgedsignature"],
)
def test_click_with_a_token_not_made_here_is_404(message: Message, token: str) -> None:
    response = Client().get(f"/c/{token}/", HTTP_USER_AGENT=BROWSER)
    assert response.status_code == 404
    assert _events(message, MessageEvent.Kind.CLICKED) == []


def test_token_of_another_purpose_is_refused(message: Message) -> None:
    token = tracking.unsubscribe_token(message)
    assert Client().get(f"/c/{token}/", HTTP_USER_AGENT=BROWSER).status_code == 404
    assert Client().get(f"/o/{token}/", HTTP_USER_AGENT=BROWSER).status_code == 404


def test_click_on_a_non_web_target_is_refused(message: Message) -> None:
    url = tracking.click_url(message, "javascript:alert(1)")
    assert Client().get(_path(url), HTTP_USER_AGENT=BROWSER).status_code == 404


@pytest.mark.parametrize(
    "user_agent",
    ["Mozilla/5.0 (compatible; Barracuda Sentinel)", "python-requests/2.32", "", "Proofpoint URL Defense"],
)
def test_scanner_clicks_are_flagged(message: Message, user_agent: str) -> None:
    url = tracking.click_url(message, "https://example.org/")
    assert Client().get(_path(url), HTTP_USER_AGENT=user_agent).status_code == 302
    [click] = _events(message, MessageEvent.Kind.CLICKED)
    assert click.automated is True


def test_clicks_within_seconds_of_sending_are_flagged(message: Message) -> None:
    with scope(organizer=message.organizer):
        Message.objects.filter(pk=message.pk).update(sent_at=timezone.now() - dt.timedelta(seconds=1))
    url = tracking.click_url(message, "https://example.org/")
    Client().get(_path(url), HTTP_USER_AGENT=BROWSER)
    Client().head(_path(url), HTTP_USER_AGENT=BROWSER)
    assert [c.automated for c in _events(message, MessageEvent.Kind.CLICKED)] == [True, True]


def test_open_pixel_is_off_by_default(message: Message) -> None:
    assert tracking.open_pixel_url(message) is None
    assert message.campaign is not None
    message.campaign.track_opens = True
    url = tracking.open_pixel_url(message)
    assert url is not None
    response = Client().get(_path(url), HTTP_USER_AGENT=BROWSER)
    assert response.status_code == 200 and response["Content-Type"] == "image/gif"
    [opened] = _events(message, MessageEvent.Kind.OPENED)
    assert opened.automated is False


def _state(message: Message) -> tuple[bool, int, int, int]:
    with scope(organizer=message.organizer):
        contact = Contact.objects.get(pk=message.contact_id)
        return (
            contact.marketing_consent,
            Suppression.objects.filter(organizer=message.organizer).count(),
            MessageEvent.objects.filter(message=message, kind="unsubscribed").count(),
            LogEntry.objects.filter(action_type="eventyay_campaigns.contact.unsubscribed").count(),
        )


def test_unsubscribe_get_changes_nothing(message: Message) -> None:
    response = Client().get(_path(tracking.unsubscribe_url(message)))
    assert response.status_code == 200
    page = response.content.decode()
    assert '<form method="post">' in page and "ann@example.org" in page
    assert _state(message) == (True, 0, 0, 0)


def test_one_click_post_without_cookies_unsubscribes_once(message: Message) -> None:
    client = Client(enforce_csrf_checks=True)
    path = _path(tracking.unsubscribe_url(message))
    for _ in range(2):
        # What a mail provider sends: no session, no CSRF cookie, no token.
        client.cookies.clear()
        response = client.post(
            path,
            "List-Unsubscribe=One-Click",
            content_type="application/x-www-form-urlencoded",
        )
        assert response.status_code == 200
    assert _state(message) == (False, 1, 1, 1)
    with scope(organizer=message.organizer):
        suppression = Suppression.objects.get()
    assert (suppression.address, suppression.reason) == ("ann@example.org", "unsubscribed")
    assert tracking.is_suppressed(message.organizer, "email", "ANN@example.org")
    assert not tracking.is_suppressed(message.organizer, "sms", "ann@example.org")
    page = Client().get(path).content.decode()
    # Done already: the page confirms it and offers no unsubscribe button (the site frame's own
    # forms, like the language switch, are there on every page).
    assert "You will get no more messages" in page and 'name="confirm"' not in page


def test_unsubscribe_with_a_forged_token_is_404(message: Message) -> None:
    token = tracking.unsubscribe_token(message)
    forged = token[:-1] + ("A" if token[-1] != "A" else "B")
    response = Client(enforce_csrf_checks=True).post(
        f"/unsubscribe/{forged}/", {"List-Unsubscribe": "One-Click"}
    )
    assert response.status_code == 404
    assert _state(message) == (True, 0, 0, 0)


def test_suppress_keeps_the_first_reason(organizer: Any) -> None:
    row, created = tracking.suppress(organizer, "email", "Bob@Example.org", Suppression.Reason.BOUNCED)
    assert created
    again, created = tracking.suppress(organizer, "email", "bob@example.org", Suppression.Reason.MANUAL)
    assert not created and again.pk == row.pk and again.reason == "bounced"
    assert tracking.is_suppressed(organizer, "email", "BOB@example.org")


@pytest.mark.parametrize(
    ("event_type", "kind", "reason"),
    [("bounced", "bounced", "bounced"), ("complained", "complained", "complained")],
)
def test_esp_bounce_and_complaint_suppress(message: Message, event_type: str, kind: str, reason: str) -> None:
    event = AnymailTrackingEvent(
        event_type=event_type, message_id=message.provider_id, recipient=message.recipient
    )
    anymail_tracking.send(sender=object, event=event, esp_name="Postmark")
    anymail_tracking.send(sender=object, event=event, esp_name="Postmark")
    assert len(_events(message, kind)) == 1
    with scope(organizer=message.organizer):
        assert Suppression.objects.get().reason == reason


def test_esp_delivery_is_recorded_and_unknown_ids_ignored(message: Message) -> None:
    anymail_tracking.send(
        sender=object,
        event=AnymailTrackingEvent(event_type="delivered", message_id="<other@x>"),
        esp_name="X",
    )
    anymail_tracking.send(
        sender=object,
        event=AnymailTrackingEvent(event_type="delivered", message_id=message.provider_id),
        esp_name="X",
    )
    assert len(_events(message, "delivered")) == 1
    assert not tracking.is_suppressed(message.organizer, "email", message.recipient)
