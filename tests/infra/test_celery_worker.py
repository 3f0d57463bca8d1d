"""Tasks through the real path: Redis broker, a Celery worker, PostgreSQL, after commit."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from celery.signals import task_prerun
from django.core import mail
from django.db import transaction
from django_scopes import scope, scopes_disabled

from eventyay.base.models import OutgoingMail, WebHook, WebHookDelivery
from eventyay.base.services.mail import mail_queue
from eventyay.base.services.webhooks import webhook_emit

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def wait_for(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(0.1)


@pytest.fixture
def executed_tasks() -> Iterator[list[tuple[str, bool]]]:
    """(task name, ran eagerly?) for every task that starts while the test runs."""
    seen: list[tuple[str, bool]] = []

    def record(sender: Any = None, task: Any = None, **kwargs: Any) -> None:
        seen.append((task.name, bool(task.request.is_eager)))

    task_prerun.connect(record, weak=False)
    yield seen
    task_prerun.disconnect(record)


def test_queued_mail_is_sent_by_the_worker_after_commit(celery_worker_real, organizer, executed_tasks):
    with transaction.atomic():
        queued = mail_queue(
            to=["attendee@example.org"], subject="Your ticket", body="See you there.", organizer=organizer
        )
        # Nothing leaves before the transaction that wrote the row commits.
        assert executed_tasks == []

    def sent() -> bool:
        with scopes_disabled():
            return OutgoingMail.objects.get(pk=queued.pk).status == OutgoingMail.Status.SENT

    wait_for(sent)
    assert ("eventyay.base.tasks.send_mail", False) in executed_tasks
    assert [message.subject for message in mail.outbox] == ["Your ticket"]
    assert mail.outbox[0].to == ["attendee@example.org"]


def test_mail_queued_in_a_rolled_back_transaction_is_never_sent(
    celery_worker_real, organizer, executed_tasks
):
    class Abort(Exception):
        pass

    with pytest.raises(Abort), transaction.atomic():
        mail_queue(to=["nobody@example.org"], subject="Never", body="-", organizer=organizer)
        raise Abort
    # A mail queued afterwards is delivered; by then the worker would have seen the first one too.
    with transaction.atomic():
        later = mail_queue(to=["someone@example.org"], subject="Later", body="-", organizer=organizer)

    def sent() -> bool:
        with scopes_disabled():
            return OutgoingMail.objects.filter(pk=later.pk, status=OutgoingMail.Status.SENT).exists()

    wait_for(sent)
    assert [message.subject for message in mail.outbox] == ["Later"]


class RecordingHandler(BaseHTTPRequestHandler):
    received: list[dict[str, Any]]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append({"headers": dict(self.headers), "body": json.loads(body)})
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.fixture
def webhook_receiver() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    received: list[dict[str, Any]] = []
    handler = type("Handler", (RecordingHandler,), {"received": received})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", received
    server.shutdown()
    server.server_close()


def test_webhook_is_delivered_through_the_worker(
    celery_worker_real, organizer, webhook_receiver, settings, executed_tasks
):
    settings.OUTGOING_HTTP_ALLOW_PRIVATE = True
    url, received = webhook_receiver
    with scopes_disabled():
        hook = WebHook.objects.create(organizer=organizer, target_url=url, action_types=["test.pinged"])
    with scope(organizer=organizer), transaction.atomic():
        (delivery,) = webhook_emit(action="test.pinged", object_id=7, organizer=organizer, data={"n": 1})

    wait_for(lambda: len(received) == 1)

    def succeeded() -> bool:
        with scopes_disabled():
            return WebHookDelivery.objects.get(pk=delivery.pk).status == WebHookDelivery.Status.SUCCEEDED

    wait_for(succeeded)
    assert ("eventyay.base.tasks.deliver_webhook", False) in executed_tasks
    assert received[0]["body"]["action"] == "test.pinged"
    assert received[0]["body"]["object_id"] == 7
    assert received[0]["headers"]["X-Eventyay-Delivery"] == str(delivery.delivery_id)
    with scopes_disabled():
        assert WebHookDelivery.objects.get(pk=delivery.pk).response_code == 200
        assert hook.deliveries.count() == 1
