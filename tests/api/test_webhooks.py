"""Webhook delivery to a real local HTTP receiver, with the signature checked independently."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
from django.test import override_settings
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from eventyay.base.models import OutgoingMail, WebHook, WebHookDelivery
from eventyay.base.services.webhooks import (
    RESPONSE_EXCERPT_BYTES,
    RETRY_DELAYS_SECONDS,
    webhook_deliver,
    webhook_deliveries_due,
)


class Receiver:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.status = 200
        self.body = b"thanks"
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append({"headers": dict(self.headers), "body": body})
                self.send_response(receiver.status)
                self.send_header("Content-Type", "text/html")
                self.send_header("X-Internal-Token", "not kept")
                self.end_headers()
                self.wfile.write(receiver.body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    instance = Receiver()
    yield instance
    instance.stop()


def verify(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """The receiver's side, written from the documentation, not from eventyay's code."""
    timestamp = headers["X-Eventyay-Timestamp"]
    expected = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, headers["X-Eventyay-Signature"])


def create_hook(api_client: Any, url: str, action_types: list[str]) -> dict[str, Any]:
    response = api_client.post(
        "/api/v1/organizers/example/webhooks/",
        {"target_url": url, "action_types": action_types},
        format="json",
    )
    assert response.status_code == 201, response.content
    return response.json()


def create_event(api_client: Any, slug: str, capture: Any) -> list[int]:
    with capture(execute=False) as callbacks:
        response = api_client.post(
            "/api/v1/organizers/example/events/",
            {"slug": slug, "name": {"en": slug}, "date_from": "2030-01-01T10:00:00Z"},
            format="json",
        )
    assert response.status_code == 201
    assert callbacks, "delivery is queued after commit"
    with scopes_disabled():
        return list(
            WebHookDelivery.objects.filter(payload__object_id=slug)
            .order_by("pk")
            .values_list("pk", flat=True)
        )


@pytest.mark.django_db
@override_settings(OUTGOING_HTTP_ALLOW_PRIVATE=True)
def test_delivery_is_signed_and_verifiable(
    api_client, organizer, receiver, django_capture_on_commit_callbacks
):
    hook = create_hook(api_client, receiver.url, ["event.created"])
    (delivery_pk,) = create_event(api_client, "signed", django_capture_on_commit_callbacks)
    assert webhook_deliver(delivery_pk=delivery_pk) is True
    (request,) = receiver.requests
    assert verify(hook["secret"], request["headers"], request["body"])
    assert not verify("another secret", request["headers"], request["body"])
    payload = json.loads(request["body"])
    assert payload["action"] == "event.created"
    assert payload["organizer"] == "example" and payload["event"] == "signed"
    assert payload["delivery_id"] == request["headers"]["X-Eventyay-Delivery"]
    listed = api_client.get(f"/api/v1/organizers/example/webhooks/{hook['id']}/deliveries/").json()
    assert listed["results"][0]["status"] == "succeeded"
    assert listed["results"][0]["response_code"] == 200


@pytest.mark.django_db
@override_settings(OUTGOING_HTTP_ALLOW_PRIVATE=True)
def test_retry_after_receiver_was_down_keeps_the_delivery_id(
    api_client, organizer, receiver, django_capture_on_commit_callbacks
):
    create_hook(api_client, receiver.url, ["event.created"])
    receiver.status = 503
    (delivery_pk,) = create_event(api_client, "retried", django_capture_on_commit_callbacks)
    assert webhook_deliver(delivery_pk=delivery_pk) is False
    with scopes_disabled():
        delivery = WebHookDelivery.objects.get(pk=delivery_pk)
    assert delivery.status == "pending" and delivery.response_code == 503
    assert delivery.next_attempt > timezone.now()
    assert delivery_pk not in webhook_deliveries_due()
    assert webhook_deliver(delivery_pk=delivery_pk) is False, "not due yet: nothing is sent"
    assert len(receiver.requests) == 1
    with scopes_disabled():
        WebHookDelivery.objects.filter(pk=delivery_pk).update(next_attempt=timezone.now())
    receiver.status = 200
    assert webhook_deliveries_due() == [delivery_pk]
    assert webhook_deliver(delivery_pk=delivery_pk) is True
    assert webhook_deliver(delivery_pk=delivery_pk) is False, "a delivered delivery is never sent again"
    ids = [json.loads(request["body"])["delivery_id"] for request in receiver.requests]
    assert len(ids) == 2 and len(set(ids)) == 1


@pytest.mark.django_db
@override_settings(OUTGOING_HTTP_ALLOW_PRIVATE=True)
def test_each_action_gets_its_own_delivery_id(
    api_client, organizer, receiver, django_capture_on_commit_callbacks
):
    create_hook(api_client, receiver.url, ["event.created", "event.changed"])
    pks = [
        pk
        for slug in ("one", "two", "three")
        for pk in create_event(api_client, slug, django_capture_on_commit_callbacks)
    ]
    for pk in pks:
        webhook_deliver(delivery_pk=pk)
    ids = [json.loads(request["body"])["delivery_id"] for request in receiver.requests]
    assert len(ids) == 3 and len(set(ids)) == 3


@pytest.mark.django_db
@override_settings(OUTGOING_HTTP_ALLOW_PRIVATE=True)
def test_manual_retry_sends_again(api_client, organizer, receiver, django_capture_on_commit_callbacks):
    hook = create_hook(api_client, receiver.url, ["event.created"])
    (delivery_pk,) = create_event(api_client, "manual", django_capture_on_commit_callbacks)
    webhook_deliver(delivery_pk=delivery_pk)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = api_client.post(
            f"/api/v1/organizers/example/webhooks/{hook['id']}/deliveries/{delivery_pk}/retry/"
        )
    assert response.status_code == 200 and response.json()["status"] == "pending"
    assert callbacks
    assert webhook_deliver(delivery_pk=delivery_pk) is True
    assert len(receiver.requests) == 2


@pytest.mark.django_db
@override_settings(OUTGOING_HTTP_ALLOW_PRIVATE=True)
def test_webhook_failing_for_days_is_disabled_and_organizer_told(
    api_client, organizer, receiver, django_capture_on_commit_callbacks
):
    assert sum(RETRY_DELAYS_SECONDS) >= 3 * 24 * 3600
    hook = create_hook(api_client, receiver.url, ["event.created"])
    receiver.status = 500
    (delivery_pk,) = create_event(api_client, "failing", django_capture_on_commit_callbacks)
    with scopes_disabled():
        WebHookDelivery.objects.filter(pk=delivery_pk).update(attempts=len(RETRY_DELAYS_SECONDS))
    assert webhook_deliver(delivery_pk=delivery_pk) is True
    with scope(organizer=organizer):
        webhook = WebHook.objects.get(pk=hook["id"])
        assert not webhook.enabled and webhook.disabled_reason
        assert WebHookDelivery.objects.get(pk=delivery_pk).status == "failed"
        mail = OutgoingMail.objects.get(subject__contains="webhook")
    assert mail.to == ["member@example.org"]


@pytest.mark.django_db
@override_settings(OUTGOING_HTTP_ALLOW_PRIVATE=True)
def test_manual_retry_of_a_failed_delivery_does_not_switch_the_webhook_off(
    api_client, organizer, receiver, django_capture_on_commit_callbacks
):
    """The organizer switched the webhook on again and retries a delivery that had given up."""
    hook = create_hook(api_client, receiver.url, ["event.created"])
    receiver.status = 500
    (delivery_pk,) = create_event(api_client, "given-up", django_capture_on_commit_callbacks)
    with scopes_disabled():
        WebHookDelivery.objects.filter(pk=delivery_pk).update(
            status="failed", attempts=len(RETRY_DELAYS_SECONDS) + 1, next_attempt=None
        )
    url = f"/api/v1/organizers/example/webhooks/{hook['id']}/deliveries/{delivery_pk}/retry/"
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=False):
            assert api_client.post(url).status_code == 200
        assert webhook_deliver(delivery_pk=delivery_pk) is True
    with scope(organizer=organizer):
        assert WebHook.objects.get(pk=hook["id"]).enabled
        delivery = WebHookDelivery.objects.get(pk=delivery_pk)
        assert not OutgoingMail.objects.filter(subject__contains="webhook").exists()
    assert (delivery.status, delivery.response_code, delivery.next_attempt) == ("failed", 500, None)
    assert (delivery.attempts, delivery.manual_attempts) == (len(RETRY_DELAYS_SECONDS) + 3, 2)
    assert len(receiver.requests) == 2


@pytest.mark.django_db
@override_settings(OUTGOING_HTTP_ALLOW_PRIVATE=True)
def test_manual_retry_does_not_use_up_the_retry_schedule(
    client_for, user, api_client, organizer, receiver, django_capture_on_commit_callbacks
):
    hook = create_hook(api_client, receiver.url, ["event.created"])
    receiver.status = 503
    (delivery_pk,) = create_event(api_client, "last-retry", django_capture_on_commit_callbacks)
    with scopes_disabled():
        WebHookDelivery.objects.filter(pk=delivery_pk).update(attempts=len(RETRY_DELAYS_SECONDS))
    with django_capture_on_commit_callbacks(execute=False):
        client_for(user).post(
            f"/control/organizer/example/webhooks/{hook['id']}/deliveries/{delivery_pk}/retry/"
        )
    assert webhook_deliver(delivery_pk=delivery_pk) is False
    with scope(organizer=organizer):
        assert WebHook.objects.get(pk=hook["id"]).enabled
        delivery = WebHookDelivery.objects.get(pk=delivery_pk)
    assert delivery.status == "pending" and delivery.next_attempt > timezone.now()
    with scopes_disabled():
        WebHookDelivery.objects.filter(pk=delivery_pk).update(next_attempt=timezone.now())
    assert webhook_deliver(delivery_pk=delivery_pk) is True, "the last scheduled retry still counts"
    with scope(organizer=organizer):
        assert not WebHook.objects.get(pk=hook["id"]).enabled
        assert WebHookDelivery.objects.get(pk=delivery_pk).status == "failed"


@pytest.mark.django_db
@override_settings(OUTGOING_HTTP_ALLOW_PRIVATE=True)
def test_only_an_escaped_excerpt_of_the_answer_is_kept_and_shown(
    client_for, user, api_client, organizer, receiver, django_capture_on_commit_callbacks
):
    hook = create_hook(api_client, receiver.url, ["event.created"])
    receiver.status = 500
    receiver.body = b"<script>alert(1)</script>\x1b[2J" + b"secret" * 10_000
    (delivery_pk,) = create_event(api_client, "excerpt", django_capture_on_commit_callbacks)
    webhook_deliver(delivery_pk=delivery_pk)
    with scopes_disabled():
        delivery = WebHookDelivery.objects.get(pk=delivery_pk)
    assert delivery.response_code == 500
    assert delivery.response_headers == {"content-type": "text/html"}
    assert len(delivery.response_body) <= RESPONSE_EXCERPT_BYTES + 4
    assert delivery.response_body.endswith("[…]") and "\x1b" not in delivery.response_body
    page = (
        client_for(user).get(f"/control/organizer/example/webhooks/{hook['id']}/deliveries/").content.decode()
    )
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page
    assert "text/html" in page and "X-Internal-Token" not in page
    listed = api_client.get(f"/api/v1/organizers/example/webhooks/{hook['id']}/deliveries/").json()
    assert listed["results"][0]["response_headers"] == {"content-type": "text/html"}
