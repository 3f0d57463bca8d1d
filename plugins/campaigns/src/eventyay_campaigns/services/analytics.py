"""Campaign figures: what was sent, what recipients did, and what it brought.

Every figure is read from the figures table (:mod:`eventyay_campaigns.services.figures`),
a row per campaign, day and kind kept up to date as the facts happen: a report reads a few
rows per campaign and day, in a number of queries that depends on nothing.

- ``sent``: messages handed to the provider; ``delivered``, ``bounced``, ``complained``,
  ``unsubscribed``: messages with at least one such fact.
- ``unique_clicks``: messages with at least one click by a person (``automated`` clicks of
  link scanners are left out); ``opens`` likewise, and only indicative. Per day, a message
  counts on the day of its first such fact, so the days add up to the campaign's figure.
  ``clicks``: every click by a person.
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

from eventyay.base.models import Organizer
from eventyay_campaigns.models import Campaign
from eventyay_campaigns.services.figures import KINDS, figures_read

#: Query parameters that select campaigns.
FILTER_FIELDS = ("utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term")

#: The counted figures: the kinds of the figures table.
COUNTERS = KINDS
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
        currencies = _count(ids, per_campaign, per_day)
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


def _count(ids: list[int], per_campaign: dict[int, Figures], per_day: dict[dt.date, Figures]) -> set[str]:
    """Add the stored figures of the campaigns up per campaign and per day; their currencies."""
    currencies: set[str] = set()
    for campaign_id, day, kind, currency, n, amount in figures_read(ids):
        if kind not in COUNTERS:
            continue
        if currency:
            currencies.add(currency)
        for figures in (per_campaign[campaign_id], per_day[day]):
            figures.counts[kind] += n
            if kind.startswith("orders_"):
                figures.amounts[kind.replace("orders_", "revenue_")] += Decimal(amount)
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
