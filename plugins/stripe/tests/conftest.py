from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from django_scopes import scope

from eventyay.base.secrets import secret_encrypt

from .fakestripe import FakeStripe, sign

SECRET_KEY = "sk_test_51FakeKeyForTheTestsOnly1234"
WEBHOOK_SECRET = "whsec_test_signing_secret_0001"


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeStripe:
    from eventyay_stripe import gateway

    stripe_fake = FakeStripe()
    monkeypatch.setattr(gateway, "http_client_factory", lambda: stripe_fake)
    return stripe_fake


@pytest.fixture
def shop(make_event: Callable[..., Any], fake: FakeStripe) -> Any:
    """An event selling a 100.00 EUR ticket (quota 10), paid through Stripe."""
    from eventyay_tickets.models import Product, Quota

    event = make_event(slug="shop", plugins=["tickets", "stripe"], currency="EUR")
    event.settings.set(
        "tickets_payment_stripe",
        {
            "enabled": True,
            "publishable_key": "pk_test_fake",
            "secret_key": secret_encrypt(SECRET_KEY),
            "webhook_secrets": secret_encrypt(WEBHOOK_SECRET),
        },
    )
    with scope(organizer=event.organizer):
        ticket = Product.objects.create(event=event, name={"en": "Ticket"}, price=Decimal("100.00"))
        quota = Quota.objects.create(event=event, name="Tickets", size=10)
        quota.products.set([ticket])
    return SimpleNamespace(event=event, ticket=ticket, quota=quota)


@pytest.fixture
def place(shop: Any) -> Callable[..., Any]:
    """``place(count=1)``: a pending order paid with Stripe, as the shop places it."""
    from eventyay_tickets.services import order_place

    def factory(count: int = 1) -> Any:
        with scope(organizer=shop.event.organizer):
            return order_place(
                event=shop.event,
                email="buyer@example.org",
                positions=[{"product": shop.ticket.pk, "attendee_name": "Ada"}] * count,
                payment_provider="stripe",
            )

    return factory


@pytest.fixture
def deliver(
    client: Any, shop: Any, fake: FakeStripe, django_capture_on_commit_callbacks: Any
) -> Callable[..., Any]:
    """``deliver(kind, obj)``: Stripe sends a signed webhook for ``obj``; returns the response.

    What the request leaves for after commit (mails, tasks) runs, as on the live site.
    """

    def factory(
        kind: str,
        obj: dict[str, Any],
        *,
        secret: str = WEBHOOK_SECRET,
        timestamp: int | None = None,
        event=None,
    ) -> Any:
        body = json.dumps(event or fake.event(kind, obj)).encode()
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(
                f"/{shop.event.organizer.slug}/{shop.event.slug}/stripe/webhook/",
                data=body,
                content_type="application/json",
                HTTP_STRIPE_SIGNATURE=sign(body, secret, timestamp),
            )

    return factory
