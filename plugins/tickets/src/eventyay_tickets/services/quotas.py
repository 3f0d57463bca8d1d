"""Quota and voucher capacity: counting (for listings) and the authoritative check under lock.

Usage is always counted from the rows (positions of pending and paid orders, unexpired cart
positions), never kept in a counter, so canceling, expiring or deleting anything frees capacity
without bookkeeping. Counting all quotas of an event takes a constant four queries.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db.models import Count, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled

from eventyay.base.models import Event
from eventyay_tickets.models import CartPosition, Order, OrderPosition, ProductVariation, Quota, Voucher
from eventyay_tickets.models.versions import catalogue_changed
from eventyay_tickets.services.locking import counting_plan

#: Seconds a listing page may show stale availability; checkout always counts afresh.
AVAILABILITY_CACHE_SECONDS = 5


@dataclass
class QuotaLinks:
    """Which quotas cover which products and variations of one event."""

    quotas: dict[int, Quota]
    by_product: dict[int, set[int]] = field(default_factory=dict)
    by_variation: dict[int, set[int]] = field(default_factory=dict)

    def quotas_for(self, product_id: int, variation_id: int | None) -> set[int]:
        """Quotas a position of this product/variation counts against (pretix semantics)."""
        product_quotas = self.by_product.get(product_id, set())
        if variation_id is None:
            return set(product_quotas)
        return product_quotas & self.by_variation.get(variation_id, set())

    def counts_against(self, quota_id: int, product_id: int, variation_id: int | None) -> bool:
        return quota_id in self.quotas_for(product_id, variation_id)


def quota_links(event: Event, quota_ids: Iterable[int] | None = None) -> QuotaLinks:
    """Three queries: the quotas and both sides of their product/variation links."""
    quotas = Quota.objects.filter(event=event)
    if quota_ids is not None:
        quotas = quotas.filter(pk__in=list(quota_ids))
    links = QuotaLinks(quotas={quota.pk: quota for quota in quotas})
    ids = list(links.quotas)
    for quota_id, product_id in Quota.products.through.objects.filter(quota_id__in=ids).values_list(
        "quota_id", "product_id"
    ):
        links.by_product.setdefault(product_id, set()).add(quota_id)
    for quota_id, variation_id in Quota.variations.through._default_manager.filter(
        quota_id__in=ids
    ).values_list("quota_id", "productvariation_id"):
        links.by_variation.setdefault(variation_id, set()).add(quota_id)
    return links


def usage_counts(event_id: int, product_ids: list[int], now: dt.datetime) -> QuerySet:
    """Rows ``(product_id, variation_id, count)`` of held places, sold and in carts, in one query.

    Run it inside :func:`~eventyay_tickets.services.locking.counting_plan`.
    """
    # Both halves name the event themselves; built inside the scope, each would also join the
    # event table for the scope's organizer filter, a join on a constant that only a nested loop
    # can do (see counting_plan).
    with scopes_disabled():
        sold = (
            OrderPosition.objects.filter(
                order__event_id=event_id, order__status__in=Order.HOLDING, product_id__in=product_ids
            )
            .values_list("product_id", "variation_id")
            .annotate(n=Count("id"))
            .order_by()
        )
        carts = (
            CartPosition.objects.filter(event_id=event_id, expires__gte=now, product_id__in=product_ids)
            .values_list("product_id", "variation_id")
            .annotate(n=Count("id"))
            .order_by()
        )
        # One round trip for both: under lock, every round trip is time other buyers wait.
        return sold.union(carts, all=True)


def quota_usage(event: Event, links: QuotaLinks, *, now: dt.datetime | None = None) -> dict[int, int]:
    """How many places each quota in ``links`` has taken, in one query."""
    now = now or timezone.now()
    product_ids = list(links.by_product)
    usage: dict[int, int] = defaultdict(int)
    if not product_ids:
        return usage
    with counting_plan():
        rows = list(usage_counts(event.pk, product_ids, now))
    for product_id, variation_id, count in rows:
        for quota_id in links.quotas_for(product_id, variation_id):
            usage[quota_id] += count
    return usage


def quota_availability(
    *, event: Event, quotas: Iterable[int] | None = None, now: dt.datetime | None = None
) -> dict[int, dict[str, int | None | bool]]:
    """``{quota_id: {"size", "used", "available", "available_number", "closed"}}`` (4 queries)."""
    links = quota_links(event, quotas)
    usage = quota_usage(event, links, now=now)
    result: dict[int, dict[str, int | None | bool]] = {}
    for quota_id, quota in links.quotas.items():
        used = usage.get(quota_id, 0)
        left = None if quota.size is None else max(0, quota.size - used)
        result[quota_id] = {
            "size": quota.size,
            "used": used,
            "available_number": left,
            "available": not quota.closed and (left is None or left > 0),
            "closed": quota.closed,
        }
    return result


def _item_availability(links: QuotaLinks, usage: dict[int, int], product_id: int, variation_id: int | None):
    quota_ids = links.quotas_for(product_id, variation_id)
    if not quota_ids:
        return False, 0
    lefts = []
    for quota_id in quota_ids:
        quota = links.quotas[quota_id]
        if quota.closed:
            return False, 0
        if quota.size is not None:
            lefts.append(max(0, quota.size - usage.get(quota_id, 0)))
    if not lefts:
        return True, None
    left = min(lefts)
    return left > 0, left


def product_availability(
    *, event: Event, cached: bool = True
) -> dict[tuple[int, int | None], tuple[bool, int | None]]:
    """``{(product_id, variation_id or None): (available, places left or None)}`` for listings.

    Cached for a few seconds per event so a ticket rush does not recount on every page view.
    """
    key = f"eventyay_tickets:availability:{event.pk}"
    if cached:
        hit = cache.get(key)
        if hit is not None:
            return hit
    links = quota_links(event)
    usage = quota_usage(event, links)
    variation_product = dict(
        ProductVariation.objects.filter(product__event=event).values_list("pk", "product_id")
    )
    result: dict[tuple[int, int | None], tuple[bool, int | None]] = {}
    for product_id in links.by_product:
        result[(product_id, None)] = _item_availability(links, usage, product_id, None)
    for variation_id, product_id in variation_product.items():
        result[(product_id, variation_id)] = _item_availability(links, usage, product_id, variation_id)
    if cached:
        cache.set(key, result, AVAILABILITY_CACHE_SECONDS)
    return result


@dataclass(frozen=True)
class Line:
    """One position to check: its index in the request, what it is and how it may be sold."""

    index: int
    product_id: int
    variation_id: int | None
    voucher_id: int | None = None
    ignore_quota: bool = False


def lock_and_verify(
    *, event: Event, lines: list[Line], links: QuotaLinks, now: dt.datetime
) -> dict[int, str]:
    """Lock the vouchers and quotas of ``lines`` and count again, including rows this transaction wrote.

    Call inside :func:`~eventyay_tickets.services.locking.capacity_transaction` *after*
    writing the new positions: the lock then covers only the count and the commit. Returns
    ``{line index: error message}``; the caller rolls back if it is not empty.
    """
    errors: dict[int, str] = {}
    voucher_ids = sorted({line.voucher_id for line in lines if line.voucher_id})
    if voucher_ids:
        vouchers = {
            v.pk: v
            for v in Voucher.objects.select_for_update(no_key=True).filter(pk__in=voucher_ids).order_by("pk")
        }
        used = voucher_usage(voucher_ids, now=now)
        for line in lines:
            voucher = vouchers.get(line.voucher_id) if line.voucher_id else None
            if voucher is not None and used.get(voucher.pk, 0) > voucher.max_usages:
                errors[line.index] = _("The voucher has already been used the maximum number of times.")
        for voucher in vouchers.values():
            if voucher.redeemed != used.get(voucher.pk, 0):
                Voucher.objects.filter(pk=voucher.pk).update(redeemed=used.get(voucher.pk, 0))
    quota_ids = sorted(
        {
            q
            for line in lines
            if not line.ignore_quota
            for q in links.quotas_for(line.product_id, line.variation_id)
        }
    )
    if not quota_ids:
        return errors
    locked = list(Quota.objects.select_for_update(no_key=True).filter(pk__in=quota_ids).order_by("pk"))
    fresh = QuotaLinks(
        quotas={quota.pk: quota for quota in locked},
        by_product=links.by_product,
        by_variation=links.by_variation,
    )
    usage = quota_usage(event, fresh, now=now)
    full: set[int] = set()
    for quota in locked:
        over = quota.size is not None and usage.get(quota.pk, 0) > quota.size
        if quota.closed or over:
            full.add(quota.pk)
        elif quota.close_when_sold_out and quota.size is not None and usage.get(quota.pk, 0) >= quota.size:
            Quota.objects.filter(pk=quota.pk).update(closed=True)
            catalogue_changed(event_id=event.pk)
    if full:
        for line in lines:
            if not line.ignore_quota and links.quotas_for(line.product_id, line.variation_id) & full:
                errors.setdefault(line.index, _("This product is sold out."))
    return errors


def voucher_usage(voucher_ids: Iterable[int], *, now: dt.datetime | None = None) -> dict[int, int]:
    """Redemptions per voucher: positions of pending/paid orders plus unexpired cart positions."""
    now = now or timezone.now()
    ids = list(voucher_ids)
    usage: dict[int, int] = defaultdict(int)
    for voucher_id, count in (
        OrderPosition.objects.filter(voucher_id__in=ids, order__status__in=Order.HOLDING)
        .values_list("voucher_id")
        .annotate(n=Count("id"))
        .order_by()
    ):
        usage[voucher_id] += count
    for voucher_id, count in (
        CartPosition.objects.filter(voucher_id__in=ids, expires__gte=now)
        .values_list("voucher_id")
        .annotate(n=Count("id"))
        .order_by()
    ):
        usage[voucher_id] += count
    return usage


def voucher_recount(*, voucher_ids: Iterable[int]) -> None:
    """Refresh the ``redeemed`` counter shown to organizers after positions stop counting."""
    ids = sorted(set(voucher_ids))
    if not ids:
        return
    usage = voucher_usage(ids)
    for voucher_id in ids:
        Voucher.objects.filter(pk=voucher_id).update(redeemed=usage.get(voucher_id, 0))
