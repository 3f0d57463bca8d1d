"""Which rows of the tickets plugin public pages show, so that saving one bumps the content version.

The shop's product list and the front page's tickets section are cached per content version
(``eventyay.base.services.cache``). Every save or deletion of the catalogue rows they show
bumps it. Quota counters change by SQL, not by saving a quota: the quota service bumps when a change
of a counter changes what the pages show (:func:`shown_availability_changed`).
"""

from __future__ import annotations

from typing import Any

from eventyay.base.services.cache import content_version_follows

#: Products with at most this many places left show an "N left" badge
#: (``eventyay_tickets/_availability.html``); above it, only sold out or not is shown.
BADGE_LEFT_MAX = 10


def shown_availability_changed(size: int | None, used_before: int, used_after: int) -> bool:
    """Whether a quota's counter going from ``used_before`` to ``used_after`` changes a public page.

    A page shows "sold out" or not, and the number of places left once it is at most
    :data:`BADGE_LEFT_MAX`: a sale far from the end changes nothing shown (and keeps the cached
    pages), one near the end changes the badge and has to show at once.
    """
    if size is None or used_before == used_after:
        return False
    left_before, left_after = max(0, size - used_before), max(0, size - used_after)
    return left_before != left_after and min(left_before, left_after) <= BADGE_LEFT_MAX


def _product_event_id(variation: Any) -> int | None:
    return variation.product.event_id


def follow_public_models() -> None:
    from eventyay_tickets.models import Category, Product, ProductVariation, Quota, TaxRule, Voucher

    for model in (Category, Product, Quota, TaxRule, Voucher):
        content_version_follows(model)
    content_version_follows(ProductVariation, _product_event_id)
