"""Attributing orders and registrations to the campaigns whose links brought the buyer.

The tickets shop keeps the ``utm_*`` values of the first and the last visit of a buyer's
session with the order (``order.utm``: ``{"first": {...}, "last": {...}}``); its
``order_placed`` notification brings them here. An order with a total is attributed as an
``order`` (its total counts as revenue), a free order as a ``registration``. Talk submissions
are not attributed: they are not made in a shop session, so no UTM values reach them.

Each touch is matched to the organizer's campaign with the same ``utm_source``,
``utm_medium`` and ``utm_campaign`` (the most recently started one if several share them),
so a campaign's figures count what its links brought first and last. A canceled order stays
attributed but counts no more (``active=False``).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction

from eventyay.base.models import Event
from eventyay_campaigns.models import UTM_FIELDS, Attribution, Campaign, Contact
from eventyay_campaigns.services.figures import figure_add, utc_day

#: The touches' keys matched against campaigns.
MATCH_FIELDS = ("utm_source", "utm_medium", "utm_campaign")


def clean_touch(values: Any) -> dict[str, str]:
    """The ``utm_*`` values of one touch: known keys, strings, at most 100 characters."""
    if not isinstance(values, dict):
        return {}
    return {key: str(values[key])[:100] for key in UTM_FIELDS if values.get(key)}


def campaign_for_touch(*, organizer: Any, touch: dict[str, str]) -> Campaign | None:
    if not touch.get("utm_campaign"):
        return None
    match = {key: touch.get(key, "") for key in MATCH_FIELDS}
    return (
        Campaign.objects.filter(organizer=organizer, **match)
        .order_by("-started_at", "-created", "-id")
        .first()
    )


def order_reference(event: Event, order: Any) -> str:
    return f"{event.slug}-{order.code}"[:100]


def order_attribute(*, event: Event, order: Any) -> Attribution | None:
    """Record which touches brought ``order``; None if the shop saw no UTM values.

    Replaying the notification changes nothing.
    """
    utm = getattr(order, "utm", None) or {}
    first = clean_touch(utm.get("first")) if isinstance(utm, dict) else {}
    last = clean_touch(utm.get("last")) if isinstance(utm, dict) else {}
    if not first and not last:
        return None
    first = first or last
    last = last or first
    organizer = event.organizer
    total = Decimal(str(getattr(order, "total", 0) or 0))
    kind = Attribution.Kind.ORDER if total > 0 else Attribution.Kind.REGISTRATION
    reference = order_reference(event, order)
    existing = Attribution.objects.filter(organizer=organizer, kind=kind, reference=reference).first()
    if existing is not None:
        return existing
    email = (getattr(order, "email", "") or "").strip().lower()
    contact = Contact.objects.filter(organizer=organizer, email_key=email).first() if email else None
    attribution = Attribution(
        organizer=organizer,
        event=event,
        contact=contact,
        kind=kind,
        reference=reference,
        amount=total,
        currency=event.currency,
        touches={"first": first, "last": last},
        first_campaign=campaign_for_touch(organizer=organizer, touch=first),
        last_campaign=campaign_for_touch(organizer=organizer, touch=last),
    )
    for key in MATCH_FIELDS:
        setattr(attribution, f"first_{key}", first.get(key, ""))
        setattr(attribution, f"last_{key}", last.get(key, ""))
    try:
        with transaction.atomic():
            attribution.save()
            _figures_add(attribution, 1)
    except IntegrityError:
        # The same notification handled twice at once: the other one recorded it.
        return Attribution.objects.get(organizer=organizer, kind=kind, reference=reference)
    return attribution


def order_attribution_cancel(*, event: Event, order: Any) -> int:
    """A canceled order keeps its attribution but counts no more; returns the rows changed."""
    with transaction.atomic():
        rows = list(
            Attribution.objects.select_for_update().filter(
                organizer=event.organizer, reference=order_reference(event, order), active=True
            )
        )
        for attribution in rows:
            attribution.active = False
            attribution.save(update_fields=["active"])
            _figures_add(attribution, -1)
    return len(rows)


def _figures_add(attribution: Attribution, sign: int) -> None:
    """Count an attribution in (``sign`` 1) or out (-1) of its campaigns' figures, on its day."""
    kind = "orders" if attribution.kind == Attribution.Kind.ORDER else "registrations"
    amount = attribution.amount if attribution.kind == Attribution.Kind.ORDER else Decimal("0")
    for touch in ("first", "last"):
        figure_add(
            organizer_id=attribution.organizer_id,
            campaign_id=getattr(attribution, f"{touch}_campaign_id"),
            kind=f"{kind}_{touch}_touch",
            day=utc_day(attribution.created),
            n=sign,
            amount=sign * amount,
            currency=attribution.currency,
        )
