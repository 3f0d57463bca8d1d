"""Every recipient gets a campaign exactly once, although the worker sending it is SIGKILLed.

A real Celery worker process (``campaign_worker.py``) consumes the Redis broker and writes to
PostgreSQL. It is killed while sending a mail of a claimed round; a new worker takes over once
the leases ran out and the sweep queued the batch again, and redelivered tasks change nothing.
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
from amqp.exceptions import ChannelError
from django.conf import settings
from django.db import connection
from django.utils import timezone
from django_scopes import scope, scopes_disabled
from eventyay_campaigns.models import Campaign, Contact, Message
from eventyay_campaigns.services import campaigns as services
from eventyay_campaigns.services import sending
from eventyay_campaigns.tasks import campaigns_sweep, send_campaign_batch

from eventyay.config.celery import app

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

RECIPIENTS = 30
BLOCK_AT = 8
LEASE_SECONDS = 2


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        time.sleep(0.1)


def statuses() -> Counter[str]:
    with scopes_disabled():
        return Counter(Message.objects.values_list("status", flat=True))


def delivered(mail_dir: Path) -> Counter[str]:
    """How often each recipient was written by the file backend."""
    text = "".join(path.read_text() for path in mail_dir.glob("*.log"))
    return Counter(re.findall(r"^To: (\S+)$", text, re.MULTILINE))


@pytest.fixture
def queue(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A broker queue of this test's own, which no in-process test worker consumes."""
    name = f"eventyay-tests-{os.getpid()}-campaigns"
    for task in (send_campaign_batch, campaigns_sweep):
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
            "CAMPAIGN_TEST_QUEUE": queue,
            "CAMPAIGN_TEST_MAIL_DIR": str(tmp_path / "mail"),
            "CAMPAIGN_TEST_LEASE": str(LEASE_SECONDS),
            "CAMPAIGN_TEST_BLOCKED": str(tmp_path / "blocked"),
            **extra_env,
        }
        env.pop("EVENTYAY_EMAIL_URL", None)
        log = open(tmp_path / f"worker-{len(started)}.log", "wb")  # noqa: SIM115
        worker = subprocess.Popen(
            [sys.executable, str(Path(__file__).with_name("campaign_worker.py"))],
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


def waiting(queue: str) -> int:
    """Tasks waiting in ``queue``; Redis drops a queue's key once it is empty."""
    with app.connection_for_write() as conn:
        try:
            return int(conn.default_channel.queue_declare(queue, passive=True).message_count)
        except ChannelError:
            return 0


def test_a_worker_killed_mid_campaign_loses_no_mail_and_sends_none_twice(
    start_worker, queue, organizer, tmp_path
):
    # Fast enough that pacing plays no part: the test is about claims and leases.
    organizer.settings.set(sending.RATE_SETTING, 60_000)
    with scope(organizer=organizer):
        Contact.objects.bulk_create(
            Contact(organizer=organizer, email=f"r{n:02}@example.org", marketing_consent=True)
            for n in range(RECIPIENTS)
        )
        campaign = services.campaign_save(
            organizer=organizer, data={"name": "N", "subject": "S", "body": "B"}
        )
    first = start_worker(CAMPAIGN_TEST_BLOCK_AT=str(BLOCK_AT))
    with scope(organizer=organizer):
        services.campaign_start(campaign=campaign)

    wait_for(lambda: (tmp_path / "blocked").exists() or first.poll() is not None, "the worker blocks")
    assert first.poll() is None, (tmp_path / "worker-0.log").read_text()
    os.kill(first.pid, signal.SIGKILL)
    first.wait()
    # Killed while sending the 8th mail of a round of ROUND_SIZE claimed messages.
    claimed = sending.ROUND_SIZE - (BLOCK_AT - 1)
    assert statuses() == {"sent": BLOCK_AT - 1, "sending": claimed, "queued": RECIPIENTS - sending.ROUND_SIZE}
    assert set(delivered(tmp_path / "mail").values()) == {1}

    second = start_worker()
    with scopes_disabled():
        held = Campaign.objects.get(pk=campaign.pk)
    # The batch task died with the worker; the sweep (beat's job) queues it again once the
    # campaign's and the messages' leases ran out.
    wait_for(lambda: held.next_batch <= timezone.now(), "the leases run out")
    campaigns_sweep.delay()
    wait_for(lambda: statuses()["sent"] == RECIPIENTS, "the new worker sends the rest")
    with scopes_disabled():
        wait_for(
            lambda: Campaign.objects.get(pk=campaign.pk).status == Campaign.Status.SENT,
            "the campaign is done",
        )

    # A redelivered batch task finds nothing to send; a sweep finds nothing due.
    send_campaign_batch.delay(campaign.pk)
    campaigns_sweep.delay()
    wait_for(lambda: waiting(queue) == 0, "the worker takes the redelivered tasks")
    # SIGTERM is a warm shutdown: a task the worker holds is finished first.
    second.send_signal(signal.SIGTERM)
    second.wait(timeout=30)

    counts = delivered(tmp_path / "mail")
    assert counts == Counter({f"r{n:02}@example.org": 1 for n in range(RECIPIENTS)})
    assert statuses() == {"sent": RECIPIENTS}
