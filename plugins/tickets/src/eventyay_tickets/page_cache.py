"""Which rows of the tickets plugin public pages show, so that saving one bumps the content version.

The shop's product list and the front page's tickets section are cached per content version
(``eventyay.base.services.cache``). Every save or deletion of the catalogue rows they show
bumps it. Quota counters change by SQL, not by saving a quota: the quota service bumps when a
quota sells out or has places again.
"""

from __future__ import annotations

from typing import Any

from eventyay.base.services.cache import content_version_follows


def _product_event_id(variation: Any) -> int | None:
    return variation.product.event_id


def follow_public_models() -> None:
    from eventyay_tickets.models import Category, Product, ProductVariation, Quota, TaxRule, Voucher

    for model in (Category, Product, Quota, TaxRule, Voucher):
        content_version_follows(model)
    content_version_follows(ProductVariation, _product_event_id)
