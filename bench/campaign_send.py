"""Starting and sending a campaign: freezing 100,000 recipients, then the sending loop's pace.

    EVENTYAY_DATA_DIR=/tmp/eventyay-bench \\
    EVENTYAY_DB_URL=postgres://postgres@127.0.0.1:5432/eventyay_bench \\
        .venv/bin/python bench/campaign_send.py [--contacts 100000] [--send 2000] [--quick]

A fresh organizer gets ``--contacts`` consenting contacts (and a tenth as many without
consent). The script times ``campaign_start`` (the recipient list frozen into outbox rows in one
transaction with one ``INSERT ... SELECT``), then sends ``--send`` messages through the batch
service with Django's in-memory mail backend, so the figure is the platform's own cost per
message (claiming, re-checking consent and suppression, rendering Markdown, recording the
outcome), not a mail server's.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "eventyay.config.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_scopes import scope, scopes_disabled  # noqa: E402
from eventyay_campaigns.models import Campaign, Contact, Message  # noqa: E402
from eventyay_campaigns.services import campaigns as services  # noqa: E402
from eventyay_campaigns.services import sending  # noqa: E402

from eventyay.base.models import User  # noqa: E402
from eventyay.base.services.organizers import organizer_create  # noqa: E402

BATCH = 10_000


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--send", type=int, default=2_000)
    parser.add_argument("--quick", action="store_true", help="2,000 contacts, 200 messages")
    args = parser.parse_args()
    if args.quick:
        args.contacts, args.send = 2_000, 200
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    call_command("migrate", verbosity=0, interactive=False)
    slug = f"sendbench{int(time.time())}"
    with scopes_disabled():
        owner = User.objects.filter(email="bench@example.org").first() or User.objects.create_user(
            "bench@example.org", None
        )
        organizer = organizer_create(name="Campaign send bench", slug=slug, creator=owner)
    organizer.settings.set(sending.RATE_SETTING, sending.MAX_RATE)
    with scope(organizer=organizer):
        total = args.contacts + args.contacts // 10
        for start in range(0, total, BATCH):
            Contact.objects.bulk_create(
                Contact(
                    organizer=organizer,
                    email=f"c{n}@example.org",
                    first_name=f"First{n}",
                    city="Berlin" if n % 2 else "Paris",
                    marketing_consent=n < args.contacts,
                )
                for n in range(start, min(start + BATCH, total))
            )
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("ANALYZE")
        campaign = services.campaign_save(
            organizer=organizer,
            data={
                "name": "Bench",
                "subject": "Hi {first_name}",
                "body": "Hello **{first_name}**, [see](https://x.org/)",
            },
        )
        services._enqueue_batch = lambda campaign_id: None  # type: ignore[assignment]
        started = time.perf_counter()
        campaign = services.campaign_start(campaign=campaign)
        freeze = time.perf_counter() - started
        assert campaign.recipients_total == args.contacts, campaign.recipients_total
    print(f"{connection.vendor}: froze {campaign.recipients_total} recipients in {freeze:.2f} s")

    sent = 0
    started = time.perf_counter()
    now = timezone.now()
    while sent < args.send:
        result = sending.campaign_batch_send(campaign_id=campaign.pk, now=max(now, timezone.now()))
        if not result.handled:
            break
        sent += result.sent
        now = result.next_batch or timezone.now()
    elapsed = time.perf_counter() - started
    print(f"sent {sent} messages in {elapsed:.2f} s: {sent / elapsed:.0f} messages/s in one process")
    with scopes_disabled():
        Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.CANCELED)
        assert Message.objects.filter(campaign=campaign, status="sent").count() == sent
    return 0


if __name__ == "__main__":
    sys.exit(main())
