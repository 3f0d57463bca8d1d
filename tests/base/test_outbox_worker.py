"""Every mail exactly once, although the Celery worker sending them is killed mid-batch.

A real worker process (``outbox_worker.py``) consumes the Redis broker and writes to
PostgreSQL; it is SIGKILLed while a mail it claimed is being sent, then a new worker takes over
the rest, the sweep recovers the mail whose lease ran out, and redelivered tasks change nothing.
"""

from __future__ import annotations

import os
import signal
from collections import Counter
from pathlib import Path

import pytest
from django.db import transaction
from django.utils import timezone
from django_scopes import scopes_disabled

from eventyay.base.models import OutgoingMail
from eventyay.base.services.mail import mail_queue
from eventyay.base.tasks import outbox_retry_due, send_mail
from eventyay.testing.worker_harness import delivered, wait_for, workers_fixture

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

MAILS = 20
BLOCK_AT = 8
LEASE_SECONDS = 2


def statuses() -> Counter[str]:
    with scopes_disabled():
        return Counter(OutgoingMail.objects.values_list("status", flat=True))


workers = workers_fixture(
    script=Path(__file__).with_name("outbox_worker.py"),
    tasks=(send_mail, outbox_retry_due),
    suffix="outbox",
    lease_seconds=LEASE_SECONDS,
)


def test_a_worker_killed_mid_batch_loses_no_mail_and_sends_none_twice(workers, organizer):
    with transaction.atomic():
        mails = [
            mail_queue(organizer=organizer, to=[f"a{n}@example.org"], subject=f"Mail {n}", body="x")
            for n in range(MAILS)
        ]
    keys = {str(m.delivery_key) for m in mails}

    first = workers.start(block_at=BLOCK_AT)
    workers.wait_blocked(first)
    os.kill(first.pid, signal.SIGKILL)
    first.wait()
    # Killed while sending the 8th mail: that one is claimed, not written; the rest still queued.
    assert statuses() == {"sent": BLOCK_AT - 1, "sending": 1, "queued": MAILS - BLOCK_AT}
    assert set(delivered(workers.mail_dir, "X-Eventyay-Delivery").values()) == {1}

    second = workers.start()
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

    assert delivered(workers.mail_dir, "X-Eventyay-Delivery") == Counter(keys | {str(last.delivery_key)})
