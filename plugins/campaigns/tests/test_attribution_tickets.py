"""A shop order with UTM values is attributed through the tickets notifications, end to end."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django_scopes import scope
from eventyay_campaigns.models import Attribution, Campaign

from eventyay.base.plugins import installed_plugins

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif("tickets" not in installed_plugins(), reason="the tickets plugin is not installed"),
]

SPRING = {"utm_source": "newsletter", "utm_medium": "email", "utm_campaign": "spring"}


def test_order_placed_in_a_session_with_utm_values_is_attributed_and_cancel_deactivates(
    organizer: Any, make_event: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from eventyay_tickets.attribution import utm_applied
    from eventyay_tickets.models import Product, Quota
    from eventyay_tickets.services import order_cancel, order_place

    event = make_event(slug="shop", plugins=["tickets", "campaigns"])
    with scope(organizer=organizer):
        campaign = Campaign.objects.create(organizer=organizer, name="Spring", body="x", **SPRING)
        ticket = Product.objects.create(event=event, name={"en": "Ticket"}, price=Decimal("50.00"))
        quota = Quota.objects.create(event=event, name="Tickets", size=10)
        quota.products.set([ticket])
        with django_capture_on_commit_callbacks(execute=True), utm_applied({"first": SPRING, "last": SPRING}):
            order = order_place(
                event=event,
                email="buyer@example.org",
                positions=[{"product": ticket.pk, "attendee_name": "Ada"}],
                payment_provider="banktransfer",
                send_email=False,
            )
        attribution = Attribution.objects.get()
        assert (attribution.kind, attribution.amount, attribution.reference) == (
            "order",
            Decimal("50.00"),
            f"shop-{order.code}",
        )
        assert attribution.first_campaign == campaign and attribution.last_campaign == campaign
        with django_capture_on_commit_callbacks(execute=True):
            order_cancel(order=order, send_email=False)
        assert Attribution.objects.get().active is False
