"""Reads used by the shop, the API, services and tasks."""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from eventyay.base.models import Event, EventPlugin
from eventyay.base.plugins import hooks_for
from eventyay.base.services.cache import one_builder
from eventyay_tickets.models import (
    CartPosition,
    Category,
    Order,
    OrderPosition,
    Product,
    ProductVariation,
    Question,
    Voucher,
)

if TYPE_CHECKING:
    from eventyay_tickets.payment import BasePaymentProvider
    from eventyay_tickets.services.quotas import QuotaLinks

logger = logging.getLogger(__name__)
PLUGIN = "tickets"


def tickets_settings(event: Event) -> dict[str, Any]:
    """The plugin's per-event settings merged over their declared defaults; memoised on ``event``."""
    cached = event.__dict__.get("_tickets_settings")
    if cached is not None:
        return cached
    from eventyay_tickets.forms import SETTINGS_DEFAULTS

    values = dict(SETTINGS_DEFAULTS)
    stored = EventPlugin.objects.filter(event=event, name=PLUGIN).values_list("settings", flat=True).first()
    values.update({k: v for k, v in (stored or {}).items() if v not in (None, "")})
    event.__dict__["_tickets_settings"] = values
    return values


def payment_providers(event: Event) -> dict[str, BasePaymentProvider]:
    """Instances of every provider registered for ``event``, by identifier (first one wins)."""
    cached = event.__dict__.get("_tickets_providers")
    if cached is not None:
        return cached
    providers: dict[str, BasePaymentProvider] = {}
    for result in hooks_for(event).register_payment_providers(event=event):
        for provider_class in result or []:
            if provider_class.identifier in providers:
                logger.error("Duplicate payment provider %r ignored", provider_class.identifier)
                continue
            providers[provider_class.identifier] = provider_class(event)
    event.__dict__["_tickets_providers"] = providers
    return providers


def allowed_payment_providers(
    event: Event, *, total: Decimal, product_ids: list[int]
) -> list[BasePaymentProvider]:
    return [
        provider
        for provider in payment_providers(event).values()
        if provider.is_allowed(total=total, product_ids=product_ids)
    ]


def shop_categories(event: Event, *, voucher: Voucher | None = None) -> list[dict[str, Any]]:
    """Products visible in the shop, grouped by category, with variations (three queries)."""
    now = timezone.now()
    products = (
        Product.objects.filter(event=event, active=True)
        .select_related("category", "tax_rule")
        .prefetch_related(Prefetch("variations", queryset=ProductVariation.objects.filter(active=True)))
    )
    groups: dict[int | None, dict[str, Any]] = {}
    for product in products:
        unlocked = voucher is not None and voucher.product_id == product.pk
        if product.hidden and not unlocked:
            continue
        if product.available_until and now > product.available_until:
            continue
        key = product.category_id
        if key not in groups:
            groups[key] = {"category": product.category, "products": []}
        groups[key]["products"].append(product)
    return sorted(
        groups.values(),
        key=lambda g: (g["category"] is not None, g["category"].position if g["category"] else 0),
    )


def with_availability(
    groups: list[dict[str, Any]], availability: dict[tuple[int, int | None], tuple[bool, int | None]]
) -> list[dict[str, Any]]:
    """Set ``available``, ``left`` and ``sale_state`` on the listed products and variations."""
    now = timezone.now()
    for group in groups:
        for product in group["products"]:
            product.sale = product.sale_state(now)
            product.available, product.left = availability.get((product.pk, None), (False, 0))
            for variation in product.variations.all():
                variation.available, variation.left = availability.get((product.pk, variation.pk), (False, 0))
            if product.variations.all():
                product.available = any(v.available for v in product.variations.all())
    return groups


def cart_positions(event: Event, cart_id: str) -> QuerySet[CartPosition]:
    return (
        CartPosition.objects.filter(event=event, cart_id=cart_id)
        .select_related("product", "variation", "voucher")
        .order_by("pk")
    )


def product_questions(event: Event) -> dict[int, list[Question]]:
    """Questions per product id (two queries, options prefetched)."""
    per_product: dict[int, list[Question]] = {}
    for question in Question.objects.filter(event=event).prefetch_related("options", "products"):
        for product in question.products.all():
            per_product.setdefault(product.pk, []).append(question)
    return per_product


@dataclass(frozen=True)
class OrderCatalogue:
    """What checking an order needs from the catalogue; shared between requests, so read-only.

    ``links.quotas`` holds the quotas as they were when this was built: whether a place is left
    is decided by the counters' conditional update
    (:func:`~eventyay_tickets.services.quotas.capacity_take`), never by these copies.
    """

    products: dict[int, Product]
    questions: dict[int, list[Question]]
    links: QuotaLinks
    tickets_settings: dict[str, Any]
    event_settings: dict[str, Any]


#: Catalogues built in this process, by (event id, catalogue stamps); the oldest are dropped.
_catalogues: OrderedDict[tuple[int, str, str], OrderCatalogue] = OrderedDict()
_catalogues_lock = threading.Lock()
CATALOGUES_KEPT = 256


def _kept_catalogue(key: tuple[int, str, str]) -> OrderCatalogue | None:
    with _catalogues_lock:
        catalogue = _catalogues.get(key)
        if catalogue is not None:
            _catalogues.move_to_end(key)
        return catalogue


def _build_catalogue(event: Event) -> OrderCatalogue:
    from eventyay_tickets.services.quotas import quota_links

    products = {
        product.pk: product
        for product in Product.objects.filter(event=event)
        .select_related("tax_rule")
        .prefetch_related("variations")
    }
    questions: dict[int, list[Question]] = {}
    by_pk = {q.pk: q for q in Question.objects.filter(event=event).prefetch_related("options")}
    for question_id, product_id in (
        Question.products.through.objects.filter(question_id__in=list(by_pk))
        .order_by("question__position", "question_id")
        .values_list("question_id", "product_id")
    ):
        questions.setdefault(product_id, []).append(by_pk[question_id])
    event.__dict__.pop("_tickets_settings", None)
    return OrderCatalogue(
        products=products,
        questions=questions,
        links=quota_links(event),
        tickets_settings=tickets_settings(event),
        event_settings=event.settings._load(),
    )


def order_catalogue(event: Event) -> OrderCatalogue:
    """The event's products, questions, quota links and settings, memoised per catalogue stamp.

    One cache read when nothing changed since this process last built it; any change to the
    catalogue or the settings makes the next call build it again (see ``models/versions.py``).
    Also fills ``tickets_settings(event)`` and ``event.settings`` so they need no queries.
    """
    from eventyay_tickets.models.versions import catalogue_version

    key = (event.pk, *catalogue_version(event_id=event.pk, organizer_id=event.organizer_id))
    catalogue = _kept_catalogue(key)
    if catalogue is None:
        # One thread of the process builds it; the others, asked for the same event at the same
        # moment (a sale opening, every buyer after a change of the catalogue), wait for that
        # one instead of each running the same queries.
        with one_builder(("tickets:order-catalogue", event.pk), reads=Product):
            catalogue = _kept_catalogue(key)
            if catalogue is None:
                catalogue = _build_catalogue(event)
                with _catalogues_lock:
                    _catalogues[key] = catalogue
                    while len(_catalogues) > CATALOGUES_KEPT:
                        _catalogues.popitem(last=False)
    event.__dict__["_tickets_settings"] = dict(catalogue.tickets_settings)
    if event.settings._values is None:
        event.settings._values = dict(catalogue.event_settings)
    return catalogue


def order_for_secret(event: Event, code: str, secret: str) -> Order | None:
    import hmac

    order = Order.objects.filter(event=event, code=code).first()
    if order is None or not hmac.compare_digest(order.secret, secret):
        return None
    return order


def order_positions(order: Order) -> QuerySet[OrderPosition]:
    return (
        order.positions.select_related("product", "variation", "voucher")
        .prefetch_related("answers__question", "answers__options")
        .order_by("positionid")
    )


def categories(event: Event) -> QuerySet[Category]:
    return Category.objects.filter(event=event)
