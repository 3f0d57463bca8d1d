"""Orders placed, paid and canceled through the tickets plugin's services fill the contacts.

The campaigns plugin reads orders only through the notifications; this test drives the real
tickets services to check the attributes it relies on. Skipped where tickets is not installed.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django_scopes import scope
from eventyay_campaigns.models import Contact

from eventyay.base.plugins import installed_plugins

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif("tickets" not in installed_plugins(), reason="the tickets plugin is not installed"),
]


def test_order_lifecycle_fills_history(
    organizer: Any, make_event: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from eventyay_tickets.models import Product, Quota
    from eventyay_tickets.services import order_cancel, order_mark_paid, order_place

    event = make_event(slug="shop", plugins=["tickets", "campaigns"])
    with scope(organizer=organizer):
        ticket = Product.objects.create(event=event, name={"en": "Ticket"}, price=Decimal("50.00"))
        quota = Quota.objects.create(event=event, name="Tickets", size=10)
        quota.products.set([ticket])
        with django_capture_on_commit_callbacks(execute=True):
            order = order_place(
                event=event,
                email="Buyer@example.org",
                positions=[
                    {
                        "product": ticket.pk,
                        "attendee_name": "Ada Lovelace",
                        "attendee_email": "ada@example.org",
                    },
                    {"product": ticket.pk, "attendee_name": "Self"},
                ],
                payment_provider="banktransfer",
                send_email=False,
            )
        ada = Contact.objects.get(email_key="ada@example.org")
        buyer = Contact.objects.get(email_key="buyer@example.org")
        assert (ada.first_name, ada.last_name, ada.events_registered, ada.events_attended) == (
            "Ada",
            "Lovelace",
            1,
            0,
        )
        assert list(buyer.products.values_list("product_id", flat=True)) == [ticket.pk]
        with django_capture_on_commit_callbacks(execute=True):
            order_mark_paid(order=order, send_email=False)
        ada.refresh_from_db()
        assert ada.events_attended == 1
        with django_capture_on_commit_callbacks(execute=True):
            order_cancel(order=order, send_email=False)
        ada.refresh_from_db()
        buyer.refresh_from_db()
        assert (ada.events_registered, ada.events_attended, buyer.events_registered) == (0, 0, 0)
