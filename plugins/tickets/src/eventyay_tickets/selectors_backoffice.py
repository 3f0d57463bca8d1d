"""Reads of the back office: order search, the order's audit log, sales over time."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import TruncDate

from eventyay.base.models import Event, LogEntry
from eventyay_tickets.models import Order, OrderPosition

CODE_LIKE = re.compile(r"^([A-Za-z0-9]+-)?[A-Za-z0-9]{1,16}$")


def _email_is(email: str) -> Q:
    """Email equality that can use the email index: as typed, or lower-cased."""
    email = email.strip()
    return Q(email=email) | Q(email=email.lower())


@dataclass(frozen=True)
class OrderFilters:
    query: str = ""
    status: str = ""
    product: int | None = None
    email: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None


def _search(query: str) -> Q:
    """Prefix matches on indexed columns only, so the search costs the same at any size.

    Emails and attendee names are compared through their lower-cased key columns; a name
    matches when it or its part after the first word starts with the text.
    """
    key = query.lower()
    if "@" in query:
        return Q(email_key__startswith=key)
    matches = Q(email_key__startswith=key) | Q(
        pk__in=OrderPosition.objects.filter(
            Q(attendee_name_key__startswith=key) | Q(attendee_name_rest_key__startswith=key)
        ).values("order_id")
    )
    if CODE_LIKE.match(query):
        matches |= Q(code__startswith=query.upper().rsplit("-", 1)[-1])
    return matches


def orders_search(event: Event, filters: OrderFilters) -> QuerySet[Order]:
    """Orders of ``event`` matching ``filters``, newest first, as one query without joins per row.

    The search box takes the beginning of an order code (with or without the event prefix, any
    case), of an email address or of an attendee's first or further names; every one of them
    is an indexed prefix look-up (see :func:`_search`). The product filter
    is an ``EXISTS`` on the positions, so an order with several positions is listed once and no
    row needs a count.
    """
    orders = Order.objects.filter(event=event)
    if filters.status == "approval":
        orders = orders.filter(status=Order.Status.PENDING, require_approval=True)
    elif filters.status:
        orders = orders.filter(status=filters.status)
    if filters.email:
        orders = orders.filter(_email_is(filters.email))
    if filters.product:
        orders = orders.filter(
            Exists(OrderPosition.objects.filter(order=OuterRef("pk"), product_id=filters.product))
        )
    if filters.date_from:
        orders = orders.filter(datetime__date__gte=filters.date_from)
    if filters.date_to:
        orders = orders.filter(datetime__date__lte=filters.date_to)
    query = filters.query.strip()
    if query:
        orders = orders.filter(_search(query))
    return orders.order_by("-datetime", "-pk")


def order_log(order: Order) -> QuerySet[LogEntry]:
    """Audit entries about ``order`` (transitions, payments, invoices, check-ins), newest first."""
    return (
        LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(Order), object_id=str(order.pk)
        )
        .select_related("user", "api_token", "oauth_application", "event", "content_type")
        .order_by("-datetime", "-pk")
    )


def sales_by_day(event: Event, *, days: int = 30, today: dt.date | None = None) -> list[dict[str, Any]]:
    """Orders placed and revenue of paid orders per day for the last ``days`` days (one query)."""
    today = today or dt.date.today()
    start = today - dt.timedelta(days=days - 1)
    rows = (
        Order.objects.filter(event=event, datetime__date__gte=start)
        .annotate(day=TruncDate("datetime"))
        .values("day")
        .annotate(
            orders=Count("pk"),
            revenue=Sum("total", filter=Q(status=Order.Status.PAID)),
        )
        .order_by("day")
    )
    by_day = {row["day"]: row for row in rows}
    series = []
    for offset in range(days):
        day = start + dt.timedelta(days=offset)
        row = by_day.get(day, {})
        series.append(
            {"day": day, "orders": row.get("orders", 0), "revenue": row.get("revenue") or Decimal("0.00")}
        )
    return series


def order_totals(event: Event) -> dict[str, Any]:
    """Orders per status and paid revenue of ``event`` (one grouped query)."""
    totals: dict[str, Any] = dict.fromkeys(Order.Status.values, 0)
    revenue = Decimal("0.00")
    for row in (
        Order.objects.filter(event=event).values("status").annotate(n=Count("pk"), s=Sum("total")).order_by()
    ):
        totals[row["status"]] = row["n"]
        if row["status"] == Order.Status.PAID:
            revenue = row["s"] or Decimal("0.00")
    totals["revenue"] = revenue
    return totals
