"""The sales dashboard: orders and revenue over time (inline SVG), quota fill, check-in counts."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from eventyay.control.permissions import event_view
from eventyay_tickets.control_views.common import READ
from eventyay_tickets.models import Quota
from eventyay_tickets.selectors_backoffice import order_totals, sales_by_day
from eventyay_tickets.services import quota_availability
from eventyay_tickets.services.checkin import checkin_counts

WIDTH, HEIGHT, PAD = 600, 160, 24


def chart(series: list[dict[str, Any]], key: str) -> dict[str, Any]:
    """Bars for one key of the daily series, scaled into a fixed SVG viewBox."""
    values = [Decimal(row[key]) for row in series]
    top = max(values) if values and max(values) > 0 else Decimal(1)
    step = (WIDTH - 2 * PAD) / max(1, len(series))
    bars = []
    for index, (row, value) in enumerate(zip(series, values, strict=True)):
        height = float(value / top) * (HEIGHT - 2 * PAD)
        bars.append(
            {
                "x": round(PAD + index * step + 1, 1),
                "y": round(HEIGHT - PAD - height, 1),
                "width": round(max(1.0, step - 2), 1),
                "height": round(height, 1),
                "label": f"{row['day']:%Y-%m-%d}: {value}",
            }
        )
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "bars": bars,
        "max": top,
        "baseline": HEIGHT - PAD,
        "first": series[0]["day"] if series else None,
        "last": series[-1]["day"] if series else None,
    }


@event_view(READ)
def dashboard(request: HttpRequest, organizer: str, event: str) -> HttpResponse:
    ev = request.event  # type: ignore[attr-defined]
    series = sales_by_day(ev, days=30, today=timezone.localdate(timezone=ev.tz))
    availability = quota_availability(event=ev)
    quotas = []
    for quota in Quota.objects.filter(event=ev):
        info = availability.get(quota.pk, {})
        used = int(info.get("used") or 0)
        quotas.append(
            {
                "quota": quota,
                "used": used,
                "percent": min(100, round(100 * used / quota.size)) if quota.size else 0,
            }
        )
    return render(
        request,
        "eventyay_tickets/control/dashboard.html",
        {
            "totals": order_totals(ev),
            "orders_chart": chart(series, "orders"),
            "revenue_chart": chart(series, "revenue"),
            "quotas": quotas,
            "checkins": checkin_counts(ev),
        },
    )
