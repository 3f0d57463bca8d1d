"""The figures table: counts per campaign, day (UTC) and kind, kept as the facts happen.

Each fact that changes a figure adds to its row in the same transaction, with one upsert
(``INSERT … ON CONFLICT … DO UPDATE SET n = n + excluded.n``, which PostgreSQL and SQLite
both speak), so the analytics read a handful of rows instead of counting a campaign's
messages and facts. The kinds and what adds to them:

- ``sent``: a campaign message marked sent (on the day it was sent);
- ``delivered``, ``bounced``, ``complained``, ``unsubscribed``: the first such fact of a
  message (facts are recorded once per message and kind);
- ``clicks``: every click by a person; ``unique_clicks``/``opens``: the first click/open of a
  message by a person (clicks and opens of link scanners, ``automated``, are left out);
- ``orders_first_touch``/``orders_last_touch`` (``amount``: the revenue) and
  ``registrations_*``: an attribution to the campaign, taken back when the order is canceled
  (on the day it was counted), one row per currency.

:func:`figures_recount` computes the same rows from ``Message``, ``MessageEvent`` and
``Attribution``; :func:`figures_reconcile` (the ``campaigns_figures_reconcile`` command)
compares the two, logs every drift and corrects it.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone
from django_scopes import scopes_disabled

logger = logging.getLogger(__name__)

#: The message facts counted once per message (the first one), by ``MessageEvent.kind``.
FIRST_FACT_KINDS = {
    "delivered": "delivered",
    "bounced": "bounced",
    "complained": "complained",
    "unsubscribed": "unsubscribed",
    "clicked": "unique_clicks",
    "opened": "opens",
}
KINDS = (
    "sent",
    "delivered",
    "bounced",
    "complained",
    "unsubscribed",
    "clicks",
    "unique_clicks",
    "opens",
    "orders_first_touch",
    "orders_last_touch",
    "registrations_first_touch",
    "registrations_last_touch",
)

#: (campaign id, day, kind, currency)
Key = tuple[int, dt.date, str, str]


@dataclass(frozen=True)
class Drift:
    """A figure whose stored value differs from the recount."""

    campaign_id: int
    day: dt.date
    kind: str
    currency: str
    stored: tuple[int, Decimal]
    counted: tuple[int, Decimal]


def _models(apps: Any = None) -> SimpleNamespace:
    # The migration's backfill passes its historical app registry; everything else the real one.
    if apps is None:
        from django.apps import apps as registry

        apps = registry
    return SimpleNamespace(
        **{
            name: apps.get_model("eventyay_campaigns", name)
            for name in ("Campaign", "CampaignFigure", "Message", "MessageEvent", "Attribution")
        }
    )


def utc_day(when: dt.datetime | None = None) -> dt.date:
    return (when or timezone.now()).astimezone(dt.UTC).date()


def _table() -> str:
    return _models().CampaignFigure._meta.db_table


def figure_add(
    *,
    organizer_id: int,
    campaign_id: int | None,
    kind: str,
    day: dt.date | None = None,
    n: int = 1,
    amount: Decimal | int = 0,
    currency: str = "",
    using: Any = None,
) -> None:
    """Add ``n`` (and ``amount``) to a figure of a campaign; call it in the fact's transaction.

    Messages of automation rules have no campaign: nothing to count then.
    """
    if campaign_id is None:
        return
    if kind not in KINDS:
        raise ValueError(f"unknown figure {kind!r}")
    table = _table()
    cursor_of = using or connection
    with cursor_of.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (organizer_id, campaign_id, day, kind, currency, n, amount) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (campaign_id, day, kind, currency) DO UPDATE "
            f"SET n = {table}.n + excluded.n, amount = {table}.amount + excluded.amount",
            [organizer_id, campaign_id, day or utc_day(), kind, currency, n, Decimal(amount)],
        )


#: Each message's first fact of each kind caused by a person, counted per campaign, kind and
#: the day of that first fact, so a message counts once per kind.
_FIRST_FACTS = """
    SELECT campaign_id, kind, {day} AS day, COUNT(*)
    FROM (
        SELECT campaign_id, kind, message_id, MIN(created) AS first
        FROM {table}
        WHERE campaign_id IN ({ids}) AND NOT automated
        GROUP BY campaign_id, kind, message_id
    ) AS facts
    GROUP BY campaign_id, kind, {day}
"""
_DAY = {"postgresql": "(first AT TIME ZONE 'UTC')::date", "sqlite": "date(first)"}


def _as_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def figures_recount(campaign_ids: Iterable[int], *, apps: Any = None) -> dict[Key, tuple[int, Decimal]]:
    """The figures of the campaigns, counted from the rows (what the table should hold)."""
    m = _models(apps)
    ids = list(campaign_ids)
    counted: dict[Key, list[Any]] = defaultdict(lambda: [0, Decimal("0")])
    if not ids:
        return {}
    with scopes_disabled():
        per_day = (
            ("sent", m.Message.objects.filter(status="sent", sent_at__isnull=False), "sent_at"),
            ("clicks", m.MessageEvent.objects.filter(kind="clicked", automated=False), "created"),
        )
        for kind, rows, moment in per_day:
            counts = (
                rows.filter(campaign_id__in=ids)
                .annotate(day=TruncDate(moment, tzinfo=dt.UTC))
                .values("campaign_id", "day")
                .annotate(count=Count("id"))
                .order_by()
            )
            for row in counts:
                counted[(row["campaign_id"], _as_date(row["day"]), kind, "")][0] += row["count"]
        sql = _FIRST_FACTS.format(
            day=_DAY.get(connection.vendor, "CAST(first AS date)"),
            table=m.MessageEvent._meta.db_table,
            ids=", ".join(["%s"] * len(ids)),
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, ids)
            for campaign_id, fact, day, count in cursor.fetchall():
                if fact in FIRST_FACT_KINDS:
                    counted[(campaign_id, _as_date(day), FIRST_FACT_KINDS[fact], "")][0] += count
        for touch in ("first", "last"):
            column = f"{touch}_campaign_id"
            attributed = (
                m.Attribution.objects.filter(active=True, **{f"{column}__in": ids})
                .annotate(day=TruncDate("created", tzinfo=dt.UTC))
                .values(column, "day", "kind", "currency")
                .annotate(count=Count("id"), total=Sum("amount"))
                .order_by()
            )
            for row in attributed:
                kind = f"{'orders' if row['kind'] == 'order' else 'registrations'}_{touch}_touch"
                figure = counted[(row[column], _as_date(row["day"]), kind, row["currency"])]
                figure[0] += row["count"]
                if row["kind"] == "order":
                    figure[1] += row["total"] or Decimal("0")
    return {key: (n, Decimal(amount).quantize(Decimal("0.01"))) for key, (n, amount) in counted.items()}


def figures_stored(campaign_ids: Iterable[int], *, apps: Any = None) -> dict[Key, tuple[int, Decimal]]:
    """The figures the table holds for the campaigns (rows at zero left out)."""
    m = _models(apps)
    with scopes_disabled():
        rows = m.CampaignFigure.objects.filter(campaign_id__in=list(campaign_ids)).values_list(
            "campaign_id", "day", "kind", "currency", "n", "amount"
        )
        return {
            (campaign_id, day, kind, currency): (n, Decimal(amount).quantize(Decimal("0.01")))
            for campaign_id, day, kind, currency, n, amount in rows
            if n or amount
        }


def figures_backfill(*, apps: Any = None) -> int:
    """Write the recounted figures of every campaign into the empty table (the migration)."""
    m = _models(apps)
    written = 0
    with scopes_disabled():
        organizers = dict(m.Campaign.objects.values_list("pk", "organizer_id"))
        ids = sorted(organizers)
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            rows = [
                m.CampaignFigure(
                    organizer_id=organizers[campaign_id],
                    campaign_id=campaign_id,
                    day=day,
                    kind=kind,
                    currency=currency,
                    n=n,
                    amount=amount,
                )
                for (campaign_id, day, kind, currency), (n, amount) in figures_recount(
                    chunk, apps=apps
                ).items()
            ]
            written += len(m.CampaignFigure.objects.bulk_create(rows, batch_size=1000))
    return written


def _snapshot(ids: list[int]) -> tuple[dict[Key, tuple[int, Decimal]], dict[Key, tuple[int, Decimal]]]:
    # The rows and the table read in one snapshot, so facts recorded meanwhile are in both or
    # in neither: PostgreSQL needs REPEATABLE READ for that (each statement of READ COMMITTED
    # sees its own snapshot); SQLite's transaction is one snapshot anyway.
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        return figures_recount(ids), figures_stored(ids)


def figures_reconcile(*, campaign_ids: Iterable[int] | None = None, fix: bool = True) -> list[Drift]:
    """Recount the figures of the campaigns (all when None), log each drift, and correct it.

    A correction adds the difference seen in the snapshot, so facts recorded while it runs,
    which add to the table themselves, are not lost.
    """
    m = _models()
    with scopes_disabled():
        campaigns = m.Campaign.objects.all()
        if campaign_ids is not None:
            campaigns = campaigns.filter(pk__in=list(campaign_ids))
        organizers = dict(campaigns.values_list("pk", "organizer_id"))
    ids = sorted(organizers)
    drifts: list[Drift] = []
    for start in range(0, len(ids), 200):
        chunk = ids[start : start + 200]
        if connection.in_atomic_block:
            counted, stored = figures_recount(chunk), figures_stored(chunk)
        else:
            counted, stored = _snapshot(chunk)
        zero = (0, Decimal("0.00"))
        found = [
            Drift(*key, stored=stored.get(key, zero), counted=counted.get(key, zero))
            for key in sorted(set(counted) | set(stored))
            if counted.get(key, zero) != stored.get(key, zero)
        ]
        for drift in found:
            logger.warning(
                "Campaign figure drift: campaign %s, %s, %s %s: stored %s, counted %s",
                drift.campaign_id,
                drift.day,
                drift.kind,
                drift.currency,
                drift.stored,
                drift.counted,
            )
        if fix and found:
            with transaction.atomic():
                for drift in found:
                    figure_add(
                        organizer_id=organizers[drift.campaign_id],
                        campaign_id=drift.campaign_id,
                        day=drift.day,
                        kind=drift.kind,
                        currency=drift.currency,
                        n=drift.counted[0] - drift.stored[0],
                        amount=drift.counted[1] - drift.stored[1],
                    )
        drifts.extend(found)
    return drifts


def figures_read(campaign_ids: Iterable[int]) -> list[tuple[int, dt.date, str, str, int, Decimal]]:
    """The stored figures of the campaigns: (campaign, day, kind, currency, n, amount)."""
    m = _models()
    ids = list(campaign_ids)
    if not ids:
        return []
    # ``ids`` are campaigns of one organizer already: the scope was applied when selecting them.
    with scopes_disabled():
        rows = m.CampaignFigure.objects.filter(campaign_id__in=ids).filter(~Q(n=0) | ~Q(amount=0))
        return list(rows.values_list("campaign_id", "day", "kind", "currency", "n", "amount").order_by())
