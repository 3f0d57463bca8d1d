"""Campaign figures: what was sent, what recipients did, and what it brought.

Every figure is an aggregate over indexed rows (``Message``, ``MessageEvent``,
``Attribution``), grouped per campaign and per day in the database; the number of queries
does not depend on the number of campaigns, messages or days.

- ``sent``: messages handed to the provider; ``delivered``, ``bounced``, ``complained``,
  ``unsubscribed``: messages with at least one such fact.
- ``unique_clicks``: messages with at least one click by a person (``automated`` clicks of
  link scanners are left out); ``opens`` likewise, and only indicative. Per day, a message
  counts on the day of its first such fact, so the days add up to the campaign's figure.
- ``click_through_rate``: ``unique_clicks / (sent - bounced)``, in percent.
- ``orders``/``revenue`` and ``registrations`` per touch: attributions whose first (or last)
  touch matched the campaign, canceled orders left out.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Count, Sum
from django.db.models.functions import TruncDate

from eventyay.base.models import Organizer
from eventyay_campaigns.models import Attribution, Campaign, Message, MessageEvent

#: Query parameters that select campaigns.
FILTER_FIELDS = ("utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term")

FACT_KINDS = {
    MessageEvent.Kind.DELIVERED: "delivered",
    MessageEvent.Kind.BOUNCED: "bounced",
    MessageEvent.Kind.COMPLAINED: "complained",
    MessageEvent.Kind.UNSUBSCRIBED: "unsubscribed",
    MessageEvent.Kind.CLICKED: "unique_clicks",
    MessageEvent.Kind.OPENED: "opens",
}
COUNTERS = (
    "sent",
    "delivered",
    "bounced",
    "complained",
    "unsubscribed",
    "unique_clicks",
    "opens",
    "orders_first_touch",
    "orders_last_touch",
    "registrations_first_touch",
    "registrations_last_touch",
)
AMOUNTS = ("revenue_first_touch", "revenue_last_touch")
#: Columns of the CSV export, in order.
CSV_COLUMNS = ("id", "name", *FILTER_FIELDS, "status", *COUNTERS, "click_through_rate", *AMOUNTS)


@dataclass
class Figures:
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTERS, 0))
    amounts: dict[str, Decimal] = field(default_factory=lambda: dict.fromkeys(AMOUNTS, Decimal("0.00")))

    def add(self, other: Figures) -> None:
        for key in COUNTERS:
            self.counts[key] += other.counts[key]
        for key in AMOUNTS:
            self.amounts[key] += other.amounts[key]

    @property
    def click_through_rate(self) -> float:
        reached = self.counts["sent"] - self.counts["bounced"]
        return round(100 * self.counts["unique_clicks"] / reached, 2) if reached > 0 else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.counts,
            "click_through_rate": self.click_through_rate,
            **{key: str(value.quantize(Decimal("0.01"))) for key, value in self.amounts.items()},
        }


@dataclass
class CampaignFigures:
    campaign: Campaign
    figures: Figures

    def as_dict(self) -> dict[str, Any]:
        campaign = self.campaign
        return {
            "id": campaign.pk,
            "name": campaign.name,
            "status": campaign.status,
            **{key: getattr(campaign, key) for key in FILTER_FIELDS},
            **self.figures.as_dict(),
        }


@dataclass
class Report:
    filters: dict[str, str]
    totals: Figures
    campaigns: list[CampaignFigures]
    #: Per day (UTC): the same figures over the selected campaigns.
    days: list[tuple[dt.date, Figures]]
    currencies: list[str]

    def as_dict(self) -> dict[str, Any]:
        return {
            "filters": self.filters,
            "currencies": self.currencies,
            "totals": self.totals.as_dict(),
            "campaigns": [row.as_dict() for row in self.campaigns],
            "daily": [{"date": day.isoformat(), **figures.as_dict()} for day, figures in self.days],
        }


def campaigns_selected(
    *, organizer: Organizer, filters: dict[str, str], campaign_id: int | None = None
) -> list[Campaign]:
    queryset = Campaign.objects.filter(organizer=organizer)
    if campaign_id is not None:
        queryset = queryset.filter(pk=campaign_id)
    for key in FILTER_FIELDS:
        if filters.get(key):
            queryset = queryset.filter(**{key: filters[key]})
    return list(queryset.order_by("-created", "-id"))


def campaign_report(
    *, organizer: Organizer, filters: dict[str, str] | None = None, campaign_id: int | None = None
) -> Report:
    """The figures of the organizer's campaigns matching ``filters`` (``utm_*`` values)."""
    filters = {key: value for key, value in (filters or {}).items() if key in FILTER_FIELDS and value}
    campaigns = campaigns_selected(organizer=organizer, filters=filters, campaign_id=campaign_id)
    per_campaign: dict[int, Figures] = defaultdict(Figures)
    per_day: dict[dt.date, Figures] = defaultdict(Figures)
    ids = [campaign.pk for campaign in campaigns]
    currencies: set[str] = set()
    if ids:
        _count_sent(ids, per_campaign, per_day)
        _count_facts(ids, per_campaign, per_day)
        for touch in ("first", "last"):
            currencies |= _count_attributions(organizer, ids, touch, per_campaign, per_day)
    totals = Figures()
    rows = []
    for campaign in campaigns:
        figures = per_campaign[campaign.pk]
        totals.add(figures)
        rows.append(CampaignFigures(campaign=campaign, figures=figures))
    return Report(
        filters=filters,
        totals=totals,
        campaigns=rows,
        days=sorted(per_day.items()),
        currencies=sorted(currencies - {""}),
    )


def _count_sent(ids: list[int], per_campaign: dict[int, Figures], per_day: dict[dt.date, Figures]) -> None:
    # ``ids`` are the organizer's campaigns already; filtering by campaign alone keeps this an
    # index-only scan of ``campaigns_message_sent_day``.
    sent = (
        Message.objects.filter(campaign_id__in=ids, status=Message.Status.SENT)
        .annotate(day=TruncDate("sent_at"))
        .values("campaign_id", "day")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in sent:
        per_campaign[row["campaign_id"]].counts["sent"] += row["n"]
        if row["day"] is not None:
            per_day[row["day"]].counts["sent"] += row["n"]


#: Each message's first fact of each kind caused by a person, counted per campaign, kind and
#: the day of that first fact: so a message counts once per kind, and the days add up to the
#: campaign's figure. Reads only the partial index ``campaigns_msgevent_people``.
_FIRST_FACTS = """
    SELECT campaign_id, kind, {day} AS day, COUNT(*)
    FROM (
        SELECT campaign_id, kind, message_id, MIN(created) AS first
        FROM eventyay_campaigns_messageevent
        WHERE campaign_id IN ({ids}) AND NOT automated
        GROUP BY campaign_id, kind, message_id
    ) AS facts
    GROUP BY campaign_id, kind, {day}
"""
_DAY = {"postgresql": "(first AT TIME ZONE 'UTC')::date", "sqlite": "date(first)"}


def _count_facts(ids: list[int], per_campaign: dict[int, Figures], per_day: dict[dt.date, Figures]) -> None:
    # Facts are read with scopes left aside: ``ids`` are the organizer's campaigns already.
    day = _DAY.get(connection.vendor, "CAST(first AS date)")
    sql = _FIRST_FACTS.format(day=day, ids=", ".join(["%s"] * len(ids)))
    with connection.cursor() as cursor:
        cursor.execute(sql, ids)
        rows = cursor.fetchall()
    for campaign_id, kind, day_value, count in rows:
        key = FACT_KINDS.get(kind)
        if key is None:
            continue
        per_campaign[campaign_id].counts[key] += count
        if day_value is not None:
            when = day_value if isinstance(day_value, dt.date) else dt.date.fromisoformat(str(day_value)[:10])
            per_day[when].counts[key] += count


def _count_attributions(
    organizer: Organizer,
    ids: list[int],
    touch: str,
    per_campaign: dict[int, Figures],
    per_day: dict[dt.date, Figures],
) -> set[str]:
    column = f"{touch}_campaign_id"
    rows = (
        Attribution.objects.filter(organizer=organizer, active=True, **{f"{column}__in": ids})
        .annotate(day=TruncDate("created"))
        .values(column, "day", "kind", "currency")
        .annotate(n=Count("id"), amount=Sum("amount"))
        .order_by()
    )
    currencies = set()
    for row in rows:
        currencies.add(row["currency"])
        for figures in (per_campaign[row[column]], per_day[row["day"]]):
            if row["kind"] == Attribution.Kind.ORDER:
                figures.counts[f"orders_{touch}_touch"] += row["n"]
                figures.amounts[f"revenue_{touch}_touch"] += row["amount"] or Decimal("0")
            else:
                figures.counts[f"registrations_{touch}_touch"] += row["n"]
    return currencies


def report_csv(report: Report) -> str:
    """The per-campaign figures as CSV, one row per campaign and a totals row."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for row in report.campaigns:
        data = row.as_dict()
        writer.writerow([_csv_safe(data[key]) for key in CSV_COLUMNS])
    totals = {
        "id": "",
        "name": "total",
        "status": "",
        **dict.fromkeys(FILTER_FIELDS, ""),
        **report.totals.as_dict(),
    }
    writer.writerow([totals[key] for key in CSV_COLUMNS])
    return out.getvalue()


def _csv_safe(value: Any) -> Any:
    # Spreadsheets run cells starting with these as formulas; names are organizer-typed.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
