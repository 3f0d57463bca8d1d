"""Carts: products held for a shopper for a while; their places are taken from the quota and
voucher counters when reserved and given back when the cart is removed, ordered or expires."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from eventyay.base.models import Event
from eventyay_tickets.models import CartPosition
from eventyay_tickets.selectors import tickets_settings
from eventyay_tickets.services.errors import OrderError
from eventyay_tickets.services.locking import capacity_transaction
from eventyay_tickets.services.quotas import Line, capacity_take, carts_delete, carts_release_expired
from eventyay_tickets.services.validation import prepare_positions

#: Most positions one cart may hold, whatever the products allow.
MAX_CART_SIZE = 100


def new_cart_id() -> str:
    return secrets.token_urlsafe(24)


def cart_add(
    *, event: Event, cart_id: str, items: list[dict[str, Any]], voucher_code: str = ""
) -> list[CartPosition]:
    """Reserve ``items`` (``{"product", "variation", "count"}``) and renew the whole cart's hold.

    Either everything is reserved or nothing (raises :class:`OrderError` with a message per
    item index, or ``CapacityBusy``).
    """
    now = timezone.now()
    expires = now + dt.timedelta(minutes=int(tickets_settings(event).get("reservation_minutes") or 30))
    existing = list(CartPosition.objects.filter(event=event, cart_id=cart_id).select_related("voucher"))
    requested: list[dict[str, Any]] = []
    origin: list[int] = []
    for index, item in enumerate(items):
        count = int(item.get("count") or 0)
        for _i in range(max(0, count)):
            requested.append(
                {
                    "product": item.get("product"),
                    "variation": item.get("variation"),
                    "voucher": voucher_code or None,
                }
            )
            origin.append(index)
    if not requested:
        raise OrderError({"items": [_("Choose at least one product.")]})
    if len(requested) + len(existing) > MAX_CART_SIZE:
        raise OrderError({"items": [_("Your cart cannot hold that many products.")]})
    # Products already in the cart count towards the per-order maximum too.
    combined = [
        {
            "product": p.product_id,
            "variation": p.variation_id,
            "voucher": p.voucher.code if p.voucher else None,
        }
        for p in existing
    ] + requested
    prepared, errors, links = prepare_positions(event=event, positions=combined, now=now, check_answers=False)
    new_errors = errors[len(existing) :]
    if any(new_errors) or any(errors[: len(existing)]):
        item_errors: dict[int, list[str]] = {}
        for offset, err in enumerate(new_errors):
            for messages in err.values():
                item_errors.setdefault(origin[offset], []).extend(messages)
        messages = [m for index in sorted(item_errors) for m in item_errors[index]]
        for err in errors[: len(existing)]:
            for field_messages in err.values():
                messages.extend(field_messages)
        raise OrderError({"items": sorted(set(messages), key=messages.index)})
    new_positions = prepared[len(existing) :]
    with capacity_transaction():
        CartPosition.objects.filter(event=event, cart_id=cart_id).update(expires=expires)
        created = CartPosition.objects.bulk_create(
            CartPosition(
                event=event,
                cart_id=cart_id,
                product=p.product,
                variation=p.variation,
                price=p.price,
                voucher=p.voucher,
                datetime=now,
                expires=expires,
                quota_exempt=p.line().ignore_quota,
            )
            for p in new_positions
        )
        # Positions already in the cart hold their places; only the new ones take theirs.
        capacity_errors = capacity_take(event=event, lines=[p.line() for p in new_positions], links=links)
        if capacity_errors:
            messages = sorted(set(capacity_errors.values()))
            raise OrderError({"items": messages})
    return created


def cart_remove(*, event: Event, cart_id: str, position_id: int | None = None) -> int:
    """Remove one position (or all) from a cart; its places are free again at once."""
    return carts_delete(event=event, cart_id=cart_id, position_id=position_id)


def cart_expired_cleanup(*, event: Event, older_than: dt.timedelta = dt.timedelta(0)) -> int:
    """Cart expiry (the beat task): delete expired cart positions and give their places back.

    Selling also does this on demand before it answers "sold out", so an expired cart never
    stops a sale between two runs.
    """
    return carts_release_expired(event=event, now=timezone.now() - older_than)


def line_for(position: CartPosition) -> Line:
    return Line(
        index=position.pk,
        product_id=position.product_id,
        variation_id=position.variation_id,
        voucher_id=position.voucher_id,
    )
