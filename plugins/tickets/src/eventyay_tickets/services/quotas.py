"""Quota and voucher capacity as counters.

Each quota keeps the places taken in ``Quota.used`` and each voucher its redemptions in
``Voucher.redeemed``. A place is taken by a position of a pending or paid order and by a cart
position (until the cart expires and is deleted); positions marked ``quota_exempt`` (sold with a
voucher that ignores quotas, or a payment accepted over quota) count against no quota.

Every transition changes the counters in its own transaction with one conditional statement
per table: :func:`capacity_take` adds ``n`` to each quota only where ``used + n <= size`` (and
the quota is not closed), so the counter is the authority for "can I sell", and the database
serialises concurrent buyers on the quota row for the few milliseconds up to their commit.
:func:`capacity_release` gives places back. A check constraint keeps ``used <= size``.
:func:`counters_reconcile` (a periodic task) recounts from the rows and corrects and reports any
drift.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Count, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled

from eventyay.base.models import Event
from eventyay_tickets.models import CartPosition, Order, OrderPosition, ProductVariation, Quota, Voucher
from eventyay_tickets.services.locking import counting_plan

logger = logging.getLogger(__name__)

QUOTA_TABLE = Quota._meta.db_table
VOUCHER_TABLE = Voucher._meta.db_table


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


# --- reading ------------------------------------------------------------------------------------


def quota_availability(
    *, event: Event, quotas: Iterable[int] | None = None
) -> dict[int, dict[str, int | None | bool]]:
    """``{quota_id: {"size", "used", "available", "available_number", "closed"}}`` (one query)."""
    rows = Quota.objects.filter(event=event)
    if quotas is not None:
        rows = rows.filter(pk__in=list(quotas))
    result: dict[int, dict[str, int | None | bool]] = {}
    for quota_id, size, used, closed in rows.values_list("pk", "size", "used", "closed"):
        left = None if size is None else max(0, size - used)
        result[quota_id] = {
            "size": size,
            "used": used,
            "available_number": left,
            "available": not closed and (left is None or left > 0),
            "closed": closed,
        }
    return result


def _item_availability(
    links: QuotaLinks,
    state: dict[int, tuple[int | None, int, bool]],
    product_id: int,
    variation_id: int | None,
) -> tuple[bool, int | None]:
    quota_ids = links.quotas_for(product_id, variation_id)
    if not quota_ids:
        return False, 0
    lefts = []
    for quota_id in quota_ids:
        size, used, closed = state.get(quota_id, (0, 0, True))
        if closed:
            return False, 0
        if size is not None:
            lefts.append(max(0, size - used))
    if not lefts:
        return True, None
    left = min(lefts)
    return left > 0, left


def product_availability(*, event: Event) -> dict[tuple[int, int | None], tuple[bool, int | None]]:
    """``{(product_id, variation_id or None): (available, places left or None)}`` for listings.

    The counters are read afresh with the links (four queries), so a quota that sells out shows
    as sold out on the next page.
    """
    links = quota_links(event)
    state = {pk: (quota.size, quota.used, quota.closed) for pk, quota in links.quotas.items()}
    variation_product = dict(
        ProductVariation.objects.filter(product__event=event).values_list("pk", "product_id")
    )
    result: dict[tuple[int, int | None], tuple[bool, int | None]] = {}
    for product_id in links.by_product:
        result[(product_id, None)] = _item_availability(links, state, product_id, None)
    for variation_id, product_id in variation_product.items():
        result[(product_id, variation_id)] = _item_availability(links, state, product_id, variation_id)
    return result


# --- changing the counters ----------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    """One position that takes or gives back capacity: its index, what it is, how it is sold."""

    index: int
    product_id: int
    variation_id: int | None
    voucher_id: int | None = None
    ignore_quota: bool = False


def _deltas(lines: Sequence[Line], links: QuotaLinks) -> tuple[Counter[int], Counter[int]]:
    quotas: Counter[int] = Counter()
    vouchers: Counter[int] = Counter()
    for line in lines:
        if not line.ignore_quota:
            for quota_id in links.quotas_for(line.product_id, line.variation_id):
                quotas[quota_id] += 1
        if line.voucher_id:
            vouchers[line.voucher_id] += 1
    return quotas, vouchers


def _pg() -> bool:
    return connection.vendor == "postgresql"


def _counter_update(
    *, table: str, column: str, limit: str | None, deltas: Counter[int], sign: int, extra_set: str = ""
) -> list[tuple]:
    """One ``UPDATE`` of ``column`` by ``sign * n`` per row id; with ``limit``, only where it fits.

    Rows are locked in id order (PostgreSQL), so two transactions taking several quotas never
    deadlock. Returns ``(id, new value, *extra)`` of the rows that changed.
    """
    ids = sorted(deltas)
    if not ids:
        return []
    if sign > 0:
        new = f"{table}.{column} + d.n"
    else:
        new = f"{'GREATEST' if _pg() else 'MAX'}({table}.{column} - d.n, 0)"
    condition = f"({limit.format(new=new, t=table)})" if limit else "TRUE"
    returning = f"{table}.id, {table}.{column}" + (", size, closed" if table == QUOTA_TABLE else "")
    set_clause = f"{column} = {new}" + (f", {extra_set.format(new=new, t=table)}" if extra_set else "")
    counts = [deltas[i] for i in ids]
    if _pg():
        sql = (
            f"WITH d(id, n) AS (SELECT * FROM unnest(%s::bigint[], %s::integer[])), "
            f"locked AS (SELECT id FROM {table} WHERE id = ANY(%s) ORDER BY id FOR NO KEY UPDATE) "
            f"UPDATE {table} SET {set_clause} FROM d "
            f"WHERE {table}.id = d.id AND {table}.id IN (SELECT id FROM locked) AND {condition} "
            f"RETURNING {returning}"
        )
        params: list = [ids, counts, ids]
    else:
        # SQLite serialises writers (BEGIN IMMEDIATE), so rows need no explicit lock order.
        values = ", ".join(["(%s, %s)"] * len(ids))
        sql = (
            f"WITH d(id, n) AS (VALUES {values}) "
            f"UPDATE {table} SET {set_clause} FROM d "
            f"WHERE {table}.id = d.id AND {condition} RETURNING {returning}"
        )
        params = [v for pair in zip(ids, counts, strict=True) for v in pair]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


_QUOTA_FITS = "NOT {t}.closed AND ({t}.size IS NULL OR {new} <= {t}.size)"
_QUOTA_CLOSES = (
    "closed = {t}.closed OR ({t}.close_when_sold_out AND {t}.size IS NOT NULL AND {new} >= {t}.size)"
)
_VOUCHER_FITS = "{new} <= {t}.max_usages"


def _after_quota_change(event: Event, rows: list[tuple], deltas: Counter[int], *, taken: bool) -> None:
    """Closed flags, availability flips and "N left" badges: shop pages must show them at once."""
    from eventyay_tickets.page_cache import shown_availability_changed

    # A quota closing on sell-out does not change the order catalogue: the catalogue's quota
    # rows are never asked whether they are closed (the counter statement is), and a new
    # catalogue stamp made every worker rebuild it at the busiest moment of a sale, with the
    # buyers arriving meanwhile waiting for it.
    flipped = False
    for quota_id, used, size, closed in rows:
        if size is None:
            continue
        before = used - deltas[quota_id] if taken else used + deltas[quota_id]
        sold_out_now = taken and used >= size > before
        available_again = not taken and before >= size > used and not closed
        if sold_out_now or available_again or shown_availability_changed(size, before, used):
            flipped = True
    if flipped:
        _content_changed(event)


def _content_changed(event: Event) -> None:
    from eventyay.base.services.cache import content_version_bump

    content_version_bump(event)


def capacity_take(
    *, event: Event, lines: Sequence[Line], links: QuotaLinks, force_vouchers: bool = False
) -> dict[int, str]:
    """Take the places of ``lines`` from their quotas and vouchers; ``{line index: error}``.

    Call inside the transaction of the transition. On any error the caller raises and the
    transaction rolls back, which undoes what was taken. Before refusing, cart positions that
    have expired are deleted and their places given back (:func:`carts_release_expired`), so an
    abandoned cart never stops a sale. ``force_vouchers`` counts redemptions beyond a voucher's
    maximum (a payment accepted over quota).
    """
    quota_deltas, voucher_deltas = _deltas(lines, links)
    for attempt in range(2):
        voucher_rows = (
            _counter_update(
                table=VOUCHER_TABLE,
                column="redeemed",
                limit=None if force_vouchers else _VOUCHER_FITS,
                deltas=voucher_deltas,
                sign=1,
            )
            if voucher_deltas
            else []
        )
        quota_rows = _counter_update(
            table=QUOTA_TABLE,
            column="used",
            limit=_QUOTA_FITS,
            deltas=quota_deltas,
            sign=1,
            extra_set=_QUOTA_CLOSES,
        )
        vouchers_ok = {row[0] for row in voucher_rows}
        quotas_ok = {row[0] for row in quota_rows}
        if vouchers_ok == set(voucher_deltas) and quotas_ok == set(quota_deltas):
            _after_quota_change(event, quota_rows, quota_deltas, taken=True)
            return {}
        if attempt == 0:
            # Give back what this attempt took, then free expired carts and try once more.
            _counter_update(
                table=VOUCHER_TABLE,
                column="redeemed",
                limit=None,
                deltas=Counter({k: v for k, v in voucher_deltas.items() if k in vouchers_ok}),
                sign=-1,
            )
            _counter_update(
                table=QUOTA_TABLE,
                column="used",
                limit=None,
                deltas=Counter({k: v for k, v in quota_deltas.items() if k in quotas_ok}),
                sign=-1,
            )
            if not carts_release_expired(event=event, links=links):
                break
    errors: dict[int, str] = {}
    for line in lines:
        if line.voucher_id and line.voucher_id not in vouchers_ok:
            errors[line.index] = _("The voucher has already been used the maximum number of times.")
        elif not line.ignore_quota and links.quotas_for(line.product_id, line.variation_id) - quotas_ok:
            errors[line.index] = _("This product is sold out.")
    return errors


def capacity_release(*, event: Event, lines: Sequence[Line], links: QuotaLinks) -> None:
    """Give back the places of ``lines`` (inside the transaction of the transition)."""
    quota_deltas, voucher_deltas = _deltas(lines, links)
    _counter_update(table=VOUCHER_TABLE, column="redeemed", limit=None, deltas=voucher_deltas, sign=-1)
    rows = _counter_update(table=QUOTA_TABLE, column="used", limit=None, deltas=quota_deltas, sign=-1)
    _after_quota_change(event, rows, quota_deltas, taken=False)


def position_lines(positions: Iterable[OrderPosition | CartPosition]) -> list[Line]:
    """The capacity lines of stored positions (their ``quota_exempt`` flag decides)."""
    return [
        Line(
            index=i,
            product_id=p.product_id,
            variation_id=p.variation_id,
            voucher_id=p.voucher_id,
            ignore_quota=p.quota_exempt,
        )
        for i, p in enumerate(positions)
    ]


def carts_delete(
    *,
    event: Event,
    cart_id: str | None = None,
    position_id: int | None = None,
    expired_before: dt.datetime | None = None,
    links: QuotaLinks | None = None,
) -> int:
    """Delete cart positions of ``event`` (one cart, one position, or all expired before a time)
    and give their places back in the same transaction; returns how many were deleted.

    Two transactions deleting the same rows never give a place back twice: each releases only
    the rows its own delete removed.
    """
    table = CartPosition._meta.db_table
    where = ["event_id = %s"]
    params: list = [event.pk]
    if cart_id is not None:
        where.append("cart_id = %s")
        params.append(cart_id)
    if position_id is not None:
        where.append("id = %s")
        params.append(position_id)
    if expired_before is not None:
        where.append("expires < %s")
        params.append(expired_before)
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        # SQLite's writers are serialised, so its RETURNING is as exact as PostgreSQL's.
        cursor.execute(
            f"DELETE FROM {table} WHERE {' AND '.join(where)} "
            "RETURNING product_id, variation_id, voucher_id, quota_exempt",
            params,
        )
        rows = cursor.fetchall()
        if rows:
            lines = [
                Line(index=i, product_id=p, variation_id=v, voucher_id=vo, ignore_quota=bool(ex))
                for i, (p, v, vo, ex) in enumerate(rows)
            ]
            capacity_release(event=event, lines=lines, links=links or _links(event))
    return len(rows)


def carts_release_expired(
    *, event: Event, links: QuotaLinks | None = None, now: dt.datetime | None = None
) -> int:
    """Cart expiry: delete the event's expired cart positions and give their places back."""
    return carts_delete(event=event, expired_before=now or timezone.now(), links=links)


def _links(event: Event) -> QuotaLinks:
    from eventyay_tickets.selectors import order_catalogue

    return order_catalogue(event).links


# --- recounting from the rows -------------------------------------------------------------------


def usage_counts(event_id: int, product_ids: list[int]) -> QuerySet:
    """Rows ``(product_id, variation_id, count)`` of places taken, sold and in carts, in one query.

    Run it inside :func:`~eventyay_tickets.services.locking.counting_plan`.
    """
    # Both halves name the event themselves; built inside the scope, each would also join the
    # event table for the scope's organizer filter, a join on a constant that only a nested loop
    # can do (see counting_plan).
    with scopes_disabled():
        sold = (
            OrderPosition.objects.filter(
                order__event_id=event_id,
                order__status__in=Order.HOLDING,
                product_id__in=product_ids,
                quota_exempt=False,
            )
            .values_list("product_id", "variation_id")
            .annotate(n=Count("id"))
            .order_by()
        )
        carts = (
            CartPosition.objects.filter(event_id=event_id, product_id__in=product_ids, quota_exempt=False)
            .values_list("product_id", "variation_id")
            .annotate(n=Count("id"))
            .order_by()
        )
        return sold.union(carts, all=True)


def quota_usage_from_rows(event: Event, links: QuotaLinks) -> dict[int, int]:
    """What each quota in ``links`` should count, recounted from the rows (one query)."""
    usage: dict[int, int] = defaultdict(int)
    product_ids = list(links.by_product)
    if not product_ids:
        return usage
    with counting_plan():
        rows = list(usage_counts(event.pk, product_ids))
    for product_id, variation_id, count in rows:
        for quota_id in links.quotas_for(product_id, variation_id):
            usage[quota_id] += count
    return usage


def voucher_usage_from_rows(event: Event) -> dict[int, int]:
    """Redemptions per voucher of ``event``, recounted from the rows."""
    usage: dict[int, int] = defaultdict(int)
    with scopes_disabled():
        for voucher_id, count in (
            OrderPosition.objects.filter(
                order__event_id=event.pk, voucher__isnull=False, order__status__in=Order.HOLDING
            )
            .values_list("voucher_id")
            .annotate(n=Count("id"))
            .order_by()
        ):
            usage[voucher_id] += count
        for voucher_id, count in (
            CartPosition.objects.filter(event_id=event.pk, voucher__isnull=False)
            .values_list("voucher_id")
            .annotate(n=Count("id"))
            .order_by()
        ):
            usage[voucher_id] += count
    return usage


def quota_prepare_change(
    *,
    event: Event,
    quota: Quota,
    size: int | None,
    product_ids: Iterable[int],
    variation_ids: Iterable[int],
) -> int:
    """Recount a quota for the size and links it is about to get; raises if they are too small.

    Call in the transaction that saves the quota. An existing quota is locked and its counter
    set at once (so a smaller size passes the check constraint); a new one gets the returned
    number as its ``used`` before it is inserted.
    """
    links = QuotaLinks(quotas={0: quota})
    for product_id in product_ids:
        links.by_product.setdefault(int(product_id), set()).add(0)
    for variation_id in variation_ids:
        links.by_variation.setdefault(int(variation_id), set()).add(0)
    if quota.pk:
        Quota.objects.select_for_update(no_key=True).filter(pk=quota.pk).values_list("pk").first()
    used = quota_usage_from_rows(event, links).get(0, 0)
    if size is not None and used > size:
        raise ValidationError(
            {
                "size": [
                    _("%(n)s places of these products are already taken; the size cannot be smaller.")
                    % {"n": used}
                ]
            }
        )
    if quota.pk:
        Quota.objects.filter(pk=quota.pk).update(used=used)
    return used


def counters_reconcile(*, event: Event) -> dict[str, dict[int, tuple[int, int]]]:
    """Recount every quota and voucher of ``event`` from the rows; correct and report any drift.

    Runs under the counters' row locks, so sales in flight finish first and are counted. Each
    corrected counter is logged at error level and recorded in the event's audit log. Returns
    ``{"quotas": {id: (counter, recounted)}, "vouchers": {...}}`` of the drifted ones.
    """
    from eventyay.base.services.log import log_action

    drift: dict[str, dict[int, tuple[int, int]]] = {"quotas": {}, "vouchers": {}}
    with transaction.atomic():
        quotas = list(Quota.objects.select_for_update(no_key=True).filter(event=event).order_by("pk"))
        vouchers = list(Voucher.objects.select_for_update(no_key=True).filter(event=event).order_by("pk"))
        links = quota_links(event)
        usage = quota_usage_from_rows(event, links)
        for quota in quotas:
            counted = usage.get(quota.pk, 0)
            if quota.size is not None and counted > quota.size:
                logger.error(
                    "Quota %s of event %s holds %s places, more than its size %s",
                    quota.pk,
                    event.pk,
                    counted,
                    quota.size,
                )
                counted = quota.size
            if counted != quota.used:
                drift["quotas"][quota.pk] = (quota.used, counted)
                Quota.objects.filter(pk=quota.pk).update(used=counted)
        redeemed = voucher_usage_from_rows(event)
        for voucher in vouchers:
            counted = redeemed.get(voucher.pk, 0)
            if counted != voucher.redeemed:
                drift["vouchers"][voucher.pk] = (voucher.redeemed, counted)
                Voucher.objects.filter(pk=voucher.pk).update(redeemed=counted)
        if drift["quotas"] or drift["vouchers"]:
            logger.error("Capacity counters of event %s drifted and were corrected: %s", event.pk, drift)
            log_action(
                action="eventyay_tickets.capacity.drift_corrected",
                organizer=event.organizer,
                event=event,
                data={
                    kind: {str(pk): {"counter": old, "recounted": new} for pk, (old, new) in rows.items()}
                    for kind, rows in drift.items()
                },
            )
            _content_changed(event)
    return drift
