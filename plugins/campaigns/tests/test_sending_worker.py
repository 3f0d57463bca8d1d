"""Every recipient gets a campaign exactly once, although the worker sending it is SIGKILLed.

A real Celery worker process (``campaign_worker.py``) consumes the Redis broker and writes to
PostgreSQL. It is killed while sending a mail of a claimed round; a new worker takes over once
the leases ran out and the sweep queued the batch again, and redelivered tasks change nothing.
"""

from __future__ import annotations

import os
import signal
from collections import Counter
from pathlib import Path

import pytest
from django.utils import timezone
from django_scopes import scope, scopes_disabled
from eventyay_campaigns.models import Campaign, Contact, Message
from eventyay_campaigns.services import campaigns as services
from eventyay_campaigns.services import sending
from eventyay_campaigns.tasks import campaigns_sweep, send_campaign_batch

from eventyay.testing.worker_harness import delivered, wait_for, waiting, workers_fixture

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

RECIPIENTS = 30
BLOCK_AT = 8
LEASE_SECONDS = 2


def statuses() -> Counter[str]:
    with scopes_disabled():
        return Counter(Message.objects.values_list("status", flat=True))


workers = workers_fixture(
    script=Path(__file__).with_name("campaign_worker.py"),
    tasks=(send_campaign_batch, campaigns_sweep),
    suffix="campaigns",
    lease_seconds=LEASE_SECONDS,
)


def test_a_worker_killed_mid_campaign_loses_no_mail_and_sends_none_twice(workers, organizer):
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
    first = workers.start(block_at=BLOCK_AT)
    with scope(organizer=organizer):
        services.campaign_start(campaign=campaign)

    workers.wait_blocked(first)
    os.kill(first.pid, signal.SIGKILL)
    first.wait()
    # Killed while sending the 8th mail of a round of ROUND_SIZE claimed messages.
    claimed = sending.ROUND_SIZE - (BLOCK_AT - 1)
    assert statuses() == {"sent": BLOCK_AT - 1, "sending": claimed, "queued": RECIPIENTS - sending.ROUND_SIZE}
    assert set(delivered(workers.mail_dir, "To").values()) == {1}

    second = workers.start()
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
    wait_for(lambda: waiting(workers.queue) == 0, "the worker takes the redelivered tasks")
    # SIGTERM is a warm shutdown: a task the worker holds is finished first.
    second.send_signal(signal.SIGTERM)
    second.wait(timeout=30)

    counts = delivered(workers.mail_dir, "To")
    assert counts == Counter({f"r{n:02}@example.org": 1 for n in range(RECIPIENTS)})
    assert statuses() == {"sent": RECIPIENTS}
