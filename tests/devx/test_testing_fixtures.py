"""The fixtures eventyay.testing gives plugin authors do what the testing guide says."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from django.db import connections, transaction
from django_scopes import scopes_disabled

from eventyay.base.models import Organizer, WebHook
from eventyay.base.services.mail import mail_queue
from eventyay.base.services.webhooks import webhook_emit
from eventyay.testing.capture import RECEIVER_URL, scoped
from eventyay.testing.plugin import launched_chromium

pytestmark = pytest.mark.django_db


def test_team_with_permissions_holds_exactly_those(organizer, event, team_with_permissions):
    team = team_with_permissions("event.settings:read", events=[event])
    assert team.permissions == ["event.settings:read"]
    assert not team.all_events
    with scoped(organizer):
        assert list(team.limit_events.all()) == [event]
        assert list(team.members.all()) == [team.member]


def test_api_client_with_permissions_gets_403_without_and_200_with(api_client_with_permissions, event):
    url = "/api/v1/organizers/example/events/conf/"
    assert api_client_with_permissions("event.settings:read").get(url).status_code == 200
    assert (
        api_client_with_permissions("organizer.teams:write").patch(url, {}, format="json").status_code == 403
    )


def test_captured_webhooks_receive_signed_payloads_without_network(captured_webhooks, organizer, event):
    hook = captured_webhooks.subscribe(organizer, ["event.changed"])
    assert hook.target_url == RECEIVER_URL
    with scoped(event):
        webhook_emit(action="event.changed", event=event, object_id="conf", data={"field": "name"})
    (received,) = captured_webhooks.deliver()
    assert captured_webhooks.actions == ["event.changed"]
    assert received.payload["data"] == {"field": "name"}
    assert received.payload["event"] == "conf"
    with scopes_disabled():
        secret = WebHook.objects.get(pk=hook.pk).secret
    signed = received.headers["X-Eventyay-Timestamp"].encode() + b"." + received.body
    expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(expected, received.headers["X-Eventyay-Signature"])


def test_captured_webhooks_send_nothing_for_a_rolled_back_change(captured_webhooks, organizer, event):
    captured_webhooks.subscribe(organizer, ["event.changed"])
    with pytest.raises(RuntimeError), scoped(event), transaction.atomic():
        webhook_emit(action="event.changed", event=event, object_id="conf")
        raise RuntimeError("rolled back")
    assert captured_webhooks.deliver() == []


def test_captured_mails_delivers_the_queued_mails(captured_mails, event):
    mail_queue(to=["ada@example.org"], subject="Your badge", body="Hello", event=event)
    assert captured_mails.outbox == []  # queued: sending waits for the commit
    (message,) = captured_mails.deliver()
    assert message.to == ["ada@example.org"]
    assert captured_mails.subjects == ["Your badge"]


@pytest.mark.plugins("dummy")
def test_event_with_and_without_plugins(event_with_plugins, event_without_plugins):
    assert event_with_plugins.has_plugin("dummy")
    assert event_without_plugins.enabled_plugin_names == frozenset()
    assert event_with_plugins.organizer == event_without_plugins.organizer


@pytest.mark.services
@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_browser_test_gives_back_the_database_connections_its_body_opened(organizer):
    pool = connections["default"].pool

    def taken() -> int:
        stats = pool.get_stats()
        return stats["pool_size"] - stats["pool_available"]

    before = taken()
    with launched_chromium() as browser:
        browser.new_page().set_content("<p>Hello</p>")
        assert Organizer.objects.filter(slug="example").exists()
    assert taken() == before
