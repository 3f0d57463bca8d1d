"""Every mail exactly once, although the Celery worker sending them is killed mid-batch.

A real worker process (``outbox_worker.py``) consumes the Redis broker and writes to
PostgreSQL; it is SIGKILLed while a mail it claimed is being sent, then a new worker takes over
the rest, the sweep recovers the mail whose lease ran out, and redelivered tasks change nothing.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django_scopes import scopes_disabled

from eventyay.base.models import OutgoingMail
from eventyay.base.services.mail import mail_queue
from eventyay.base.tasks import outbox_retry_due, send_mail
from eventyay.config.celery import app

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

MAILS = 20
BLOCK_AT = 8
LEASE_SECONDS = 2


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 45.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        time.sleep(0.1)


def statuses() -> Counter[str]:
    with scopes_disabled():
        return Counter(OutgoingMail.objects.values_list("status", flat=True))


def delivered(mail_dir: Path) -> Counter[str]:
    """How often each delivery key was written by the file backend (one file per connection)."""
    text = "".join(path.read_text() for path in mail_dir.glob("*.log"))
    return Counter(re.findall(r"^X-Eventyay-Delivery: (\S+)$", text, re.MULTILINE))


@pytest.fixture
def queue(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A broker queue of this test's own, which no in-process test worker consumes.

    Only the tasks this test sends are routed there: the app's default queue stays as it is,
    for the in-process worker that later tests start.
    """
    name = f"eventyay-tests-{os.getpid()}-outbox"
    for task in (send_mail, outbox_retry_due):
        monkeypatch.setattr(task, "delay", partial(to_queue, task, name))
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    try:
        yield name
    finally:
        app.conf.task_always_eager = eager
        with app.connection_for_write() as conn:
            conn.default_channel.queue_purge(name)


def to_queue(task: Any, queue: str, *args: Any) -> None:
    task.apply_async(args, queue=queue)


@pytest.fixture
def start_worker(queue: str, tmp_path: Path) -> Iterator[Callable[..., subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    database = urlsplit(settings.DB_URL)._replace(path="/" + connection.settings_dict["NAME"]).geturl()

    def start(**extra_env: str) -> subprocess.Popen[bytes]:
        env = {
            **os.environ,
            "EVENTYAY_DB_URL": database,
            "OUTBOX_TEST_QUEUE": queue,
            "OUTBOX_TEST_MAIL_DIR": str(tmp_path / "mail"),
            "OUTBOX_TEST_LEASE": str(LEASE_SECONDS),
            "OUTBOX_TEST_BLOCKED": str(tmp_path / "blocked"),
            **extra_env,
        }
        env.pop("EVENTYAY_EMAIL_URL", None)
        log = open(tmp_path / f"worker-{len(started)}.log", "wb")  # noqa: SIM115
        worker = subprocess.Popen(
            [sys.executable, str(Path(__file__).with_name("outbox_worker.py"))],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        started.append(worker)
        return worker

    yield start
    for worker in started:
        if worker.poll() is None:
            worker.kill()
            worker.wait()


def test_a_worker_killed_mid_batch_loses_no_mail_and_sends_none_twice(start_worker, organizer, tmp_path):
    with transaction.atomic():
        mails = [
            mail_queue(organizer=organizer, to=[f"a{n}@example.org"], subject=f"Mail {n}", body="x")
            for n in range(MAILS)
        ]
    keys = {str(m.delivery_key) for m in mails}

    first = start_worker(OUTBOX_TEST_BLOCK_AT=str(BLOCK_AT))
    wait_for(lambda: (tmp_path / "blocked").exists() or first.poll() is not None, "the worker blocks")
    assert first.poll() is None, (tmp_path / "worker-0.log").read_text()
    os.kill(first.pid, signal.SIGKILL)
    first.wait()
    # Killed while sending the 8th mail: that one is claimed, not written; the rest still queued.
    assert statuses() == {"sent": BLOCK_AT - 1, "sending": 1, "queued": MAILS - BLOCK_AT}
    assert set(delivered(tmp_path / "mail").values()) == {1}

    second = start_worker()
    wait_for(lambda: statuses()["sent"] == MAILS - 1, "the new worker sends the queued mails")
    with scopes_disabled():
        (held,) = OutgoingMail.objects.filter(status=OutgoingMail.Status.SENDING)
    # Its task died with the worker; the sweep (beat's job) recovers it once the lease ran out.
    wait_for(lambda: held.next_attempt <= timezone.now(), "the lease runs out")
    outbox_retry_due.delay()
    wait_for(lambda: statuses()["sent"] == MAILS, "the sweep recovers the mail")

    # Redelivered tasks find nothing to send; a last mail shows the worker got past them.
    for queued_mail in mails:
        send_mail.delay(queued_mail.pk)
    with transaction.atomic():
        last = mail_queue(organizer=organizer, to=["last@example.org"], subject="Last", body="x")
    wait_for(lambda: statuses()["sent"] == MAILS + 1, "the worker sends the last mail")
    second.send_signal(signal.SIGTERM)
    second.wait(timeout=30)

    assert delivered(tmp_path / "mail") == Counter(keys | {str(last.delivery_key)})
