from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django_scopes import scope


@pytest.fixture(autouse=True)
def _fresh_availability_cache() -> Any:
    """Listing availability is cached per event id; ids repeat between tests, so start clean."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture
def tevent(make_event: Any) -> Any:
    """An event with the tickets plugin on."""
    return make_event(slug="shop", plugins=["tickets"])


@pytest.fixture
def catalogue(tevent: Any) -> Any:
    """A ticket (quota 20), a voucher-only product and a T-shirt with sizes, as a namespace."""
    from types import SimpleNamespace

    from eventyay_tickets.models import Product, ProductVariation, Question, Quota, Voucher

    with scope(organizer=tevent.organizer):
        ticket = Product.objects.create(
            event=tevent, name={"en": "Ticket"}, price=Decimal("100.00"), max_per_order=5
        )
        secret = Product.objects.create(
            event=tevent, name={"en": "Secret"}, price=Decimal("10.00"), require_voucher=True, hidden=True
        )
        shirt = Product.objects.create(
            event=tevent, name={"en": "Shirt"}, price=Decimal("20.00"), admission=False
        )
        small = ProductVariation.objects.create(product=shirt, value={"en": "S"})
        large = ProductVariation.objects.create(product=shirt, value={"en": "L"}, price=Decimal("25.00"))
        quota = Quota.objects.create(event=tevent, name="Tickets", size=20)
        quota.products.set([ticket, secret])
        shirts = Quota.objects.create(event=tevent, name="Shirts", size=5)
        shirts.products.set([shirt])
        shirts.variations.set([small, large])
        question = Question.objects.create(event=tevent, question={"en": "Company"}, required=True)
        question.products.set([ticket])
        voucher = Voucher.objects.create(
            event=tevent, code="HALF", max_usages=2, price_mode="percent", value=Decimal("50"), product=ticket
        )
    return SimpleNamespace(
        event=tevent,
        ticket=ticket,
        secret=secret,
        shirt=shirt,
        small=small,
        large=large,
        quota=quota,
        shirts=shirts,
        question=question,
        voucher=voucher,
    )


@pytest.fixture
def scoped(tevent: Any) -> Any:
    with scope(organizer=tevent.organizer):
        yield tevent


def ticket_position(catalogue: Any, **extra: Any) -> dict[str, Any]:
    return {
        "product": catalogue.ticket.pk,
        "attendee_name": "Ada",
        "answers": [{"question": catalogue.question.pk, "answer": "ACME"}],
        **extra,
    }
