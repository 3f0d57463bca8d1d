"""Campaign analytics at scale: latency of the figures of a campaign of 100,000 recipients.

    EVENTYAY_DATA_DIR=/tmp/eventyay-bench \\
    EVENTYAY_DB_URL=postgres://postgres@127.0.0.1:5432/eventyay_bench \\
        .venv/bin/python bench/campaign_analytics.py [--recipients 100000] [--repeat 30]

A fresh organizer gets one campaign of ``--recipients`` sent messages spread over three days,
and nine smaller campaigns (a tenth of the size each) next to it. Of each campaign's
messages 97 % are delivered and 2 % bounce, 0.5 % unsubscribe, 20 % open, 8 % are clicked
by a person (a quarter of them twice, on another day) and 30 % are clicked by a link
scanner; 0.4 % lead to an order and 0.3 % to a registration (first and last touch). The rows
are written through the ORM in batches, past the services, so the figures table is then
filled by the reconciliation (``figures_reconcile``, what ``campaigns_figures_reconcile``
runs), which recounts every figure from the rows; its time is printed too. After ``VACUUM
ANALYZE`` the script runs the API's report (``campaign_report``, which reads the figures table)
``--repeat`` times for the big campaign by its UTM values, by its id, and for all campaigns of
the organizer, and prints median and p95; on PostgreSQL it also prints the plan of the figures
query for the big campaign with its buffers (``EXPLAIN (ANALYZE, BUFFERS)``).
On PostgreSQL it exits non-zero if a p95 exceeds ``--budget-ms`` (default 200); on SQLite the
figures are informational. ``--reuse <organizer short form>`` measures the data of an earlier
run again (populating takes minutes).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import time
from decimal import Decimal

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "eventyay.config.settings")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django_scopes import scope, scopes_disabled  # noqa: E402
from eventyay_campaigns.models import Attribution, Campaign, CampaignFigure, Message, MessageEvent  # noqa: E402
from eventyay_campaigns.services.analytics import campaign_report  # noqa: E402
from eventyay_campaigns.services.figures import figures_reconcile  # noqa: E402

from eventyay.base.models import Event, Organizer, User  # noqa: E402
from eventyay.base.services.organizers import organizer_create  # noqa: E402

BATCH = 5_000
SMALL_CAMPAIGNS = 9
START = dt.datetime(2030, 3, 1, 8, 0, tzinfo=dt.UTC)


def populate(*, recipients: int) -> tuple[Organizer, Campaign]:
    call_command("migrate", verbosity=0, interactive=False)
    slug = f"campbench{int(time.time())}"
    with scopes_disabled():
        owner = User.objects.filter(email="bench@example.org").first() or User.objects.create_user(
            "bench@example.org", None
        )
        organizer = organizer_create(name="Campaign analytics bench", slug=slug, creator=owner)
    started = time.perf_counter()
    rnd = random.Random(7)
    with scope(organizer=organizer):
        event = Event.objects.create(
            organizer=organizer, name={"en": "Bench conference"}, slug="benchconf", date_from=START
        )
        big = _campaign(organizer, event, "big", recipients, rnd)
        for n in range(SMALL_CAMPAIGNS):
            _campaign(organizer, event, f"small{n}", recipients // 10, rnd)
    counted = time.perf_counter()
    with scopes_disabled():
        ids = list(Campaign.objects.filter(organizer=organizer).values_list("pk", flat=True))
    drifts = figures_reconcile(campaign_ids=ids)
    print(f"figures counted from the rows ({len(drifts)} figures) in {time.perf_counter() - counted:.1f} s")
    _vacuum()
    print(
        f"populated {organizer.slug}: {recipients} + {SMALL_CAMPAIGNS} x {recipients // 10} messages in {time.perf_counter() - started:.0f} s"
    )
    return organizer, big


def _campaign(organizer: Organizer, event: Event, name: str, recipients: int, rnd: random.Random) -> Campaign:
    campaign = Campaign.objects.create(
        organizer=organizer,
        name=name,
        body="Hello",
        utm_source="newsletter",
        utm_medium="email",
        utm_campaign=name,
        status=Campaign.Status.SENT,
        recipients_total=recipients,
    )
    for start in range(0, recipients, BATCH):
        with transaction.atomic():
            messages = Message.objects.bulk_create(
                Message(
                    organizer=organizer,
                    campaign=campaign,
                    recipient=f"{name}-{n}@example.org",
                    status=Message.Status.SENT,
                    sent_at=START + dt.timedelta(minutes=n * 4320 // recipients),
                )
                for n in range(start, min(start + BATCH, recipients))
            )
            facts: list[tuple[Message, str, bool, int]] = []
            for message in messages:
                roll = rnd.random()
                facts.append((message, "bounced" if roll < 0.02 else "delivered", False, 0))
                if rnd.random() < 0.2:
                    facts.append((message, "opened", False, 0))
                if rnd.random() < 0.3:
                    facts.append((message, "clicked", True, 0))
                if rnd.random() < 0.08:
                    facts.append((message, "clicked", False, 0))
                    if rnd.random() < 0.25:
                        facts.append((message, "clicked", False, 1))
                if rnd.random() < 0.005:
                    facts.append((message, "unsubscribed", False, 0))
            created = MessageEvent.objects.bulk_create(
                MessageEvent(
                    organizer=organizer, message=m, campaign=campaign, kind=kind, automated=automated
                )
                for m, kind, automated, _later in facts
            )
            # Facts happen after sending, some a day later.
            for row, (message, _kind, _automated, later) in zip(created, facts, strict=True):
                row.created = message.sent_at + dt.timedelta(hours=1, days=later)
            MessageEvent.objects.bulk_update(created, ["created"], batch_size=BATCH)
            attributions = []
            for message in messages:
                roll = rnd.random()
                if roll < 0.007:
                    kind = Attribution.Kind.ORDER if roll < 0.004 else Attribution.Kind.REGISTRATION
                    attributions.append(
                        Attribution(
                            organizer=organizer,
                            event=event,
                            kind=kind,
                            reference=f"{name}-{message.pk}",
                            amount=Decimal("49.00") if kind == Attribution.Kind.ORDER else Decimal("0"),
                            currency="EUR",
                            first_utm_source="newsletter",
                            first_utm_medium="email",
                            first_utm_campaign=name,
                            last_utm_source="newsletter",
                            last_utm_medium="email",
                            last_utm_campaign=name,
                            first_campaign=campaign,
                            last_campaign=campaign,
                        )
                    )
            Attribution.objects.bulk_create(attributions)
    return campaign


def _vacuum() -> None:
    # What autovacuum does soon after a campaign was sent: statistics, and the visibility map
    # that lets the analytics read their indexes only.
    with connection.cursor() as cursor:
        for table in ("campaign", "campaignfigure", "message", "messageevent", "attribution"):
            if connection.vendor == "postgresql":
                cursor.execute(f"VACUUM ANALYZE eventyay_campaigns_{table}")
            else:
                cursor.execute(f"ANALYZE eventyay_campaigns_{table}")


def measure(organizer: Organizer, big: Campaign, repeat: int) -> dict[str, list[float]]:
    cases = {
        "by utm values": {"filters": {"utm_source": "newsletter", "utm_campaign": big.utm_campaign}},
        "by campaign id": {"campaign_id": big.pk},
        f"all {SMALL_CAMPAIGNS + 1} campaigns": {},
    }
    timings: dict[str, list[float]] = {}
    with scope(organizer=organizer):
        for label, kwargs in cases.items():
            campaign_report(organizer=organizer, **kwargs)  # warm the caches once
            runs = []
            for _ in range(repeat):
                started = time.perf_counter()
                report = campaign_report(organizer=organizer, **kwargs)
                runs.append((time.perf_counter() - started) * 1000)
            timings[label] = runs
            totals = report.totals.counts
            print(
                f"{label:>20}: sent {totals['sent']}, clicks {totals['unique_clicks']}, "
                f"orders {totals['orders_last_touch']}, {len(report.days)} days"
            )
    return timings


def explain(big: Campaign) -> None:
    """The plan of the figures query of the big campaign, with the buffers it touched."""
    if connection.vendor != "postgresql":
        return
    with scopes_disabled():
        queryset = CampaignFigure.objects.filter(campaign_id__in=[big.pk]).values_list(
            "campaign_id", "day", "kind", "currency", "n", "amount"
        )
        print(queryset.explain(analyze=True, buffers=True))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--budget-ms", type=float, default=200.0)
    parser.add_argument("--reuse", metavar="SLUG", help="measure an organizer populated by an earlier run")
    args = parser.parse_args()
    if args.reuse:
        call_command("migrate", verbosity=0, interactive=False)
        with scopes_disabled():
            organizer = Organizer.objects.get(slug=args.reuse)
            big = Campaign.objects.get(organizer=organizer, name="big")
        _vacuum()
    else:
        organizer, big = populate(recipients=args.recipients)
    timings = measure(organizer, big, args.repeat)
    explain(big)
    print(f"{'report':>20}  {'p50 ms':>8}  {'p95 ms':>8}   ({connection.vendor}, {args.repeat} runs each)")
    over = False
    for label, runs in timings.items():
        runs.sort()
        p50 = statistics.median(runs)
        p95 = runs[min(len(runs) - 1, round(0.95 * (len(runs) - 1)))]
        over |= p95 > args.budget_ms
        print(f"{label:>20}  {p50:8.1f}  {p95:8.1f}")
    if connection.vendor == "postgresql" and over:
        print(f"a p95 exceeds the budget of {args.budget_ms:.0f} ms", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
