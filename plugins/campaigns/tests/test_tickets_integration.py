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


def _shop(organizer: Any, make_event: Any) -> tuple[Any, Any, Any]:
    """An event with only the tickets plugin switched on; campaigns is on for the organizer."""
    from eventyay_tickets.models import Product, Question, Quota

    from eventyay.base.models import Event
    from eventyay.base.services.organizer_plugins import organizer_plugins_update

    event = make_event(slug="shop", plugins=["tickets"])
    with scope(organizer=organizer):
        organizer_plugins_update(organizer=organizer, enable=["campaigns"])
        ticket = Product.objects.create(event=event, name={"en": "Ticket"}, price=Decimal("50.00"))
        quota = Quota.objects.create(event=event, name="Tickets", size=10)
        quota.products.set([ticket])
        question = Question.objects.create(event=event, question={"en": "Diet"})
        question.products.set([ticket])
        # A fresh object, as the next request gets: the one above remembers its plugin set.
        event = Event.objects.select_related("organizer").get(pk=event.pk)
    return event, ticket, question


def test_history_fills_where_campaigns_is_on_for_the_organizer_only(
    organizer: Any, make_event: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from eventyay_tickets.services import order_place

    event, ticket, _question = _shop(organizer, make_event)
    with scope(organizer=organizer):
        assert "campaigns" not in set(event.plugin_states.filter(enabled=True).values_list("name", flat=True))
        with django_capture_on_commit_callbacks(execute=True):
            order_place(
                event=event,
                email="ada@example.org",
                positions=[
                    {
                        "product": ticket.pk,
                        "attendee_name": "Ada Lovelace",
                        "attendee_email": "ada@example.org",
                    }
                ],
                payment_provider="banktransfer",
                send_email=False,
            )
        ada = Contact.objects.get(email_key="ada@example.org")
        assert (ada.first_name, ada.events_registered) == ("Ada", 1)


def test_erasing_a_contact_in_the_control_panel_anonymises_their_orders(
    organizer: Any, make_event: Any, client_for: Any, user: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from eventyay_tickets.models import Order, QuestionAnswer
    from eventyay_tickets.services import order_place

    from eventyay.base.models import LogEntry

    event, ticket, question = _shop(organizer, make_event)
    with scope(organizer=organizer), django_capture_on_commit_callbacks(execute=True):
        bought = order_place(
            event=event,
            email="Ada@Example.org",
            positions=[
                {"product": ticket.pk, "attendee_name": "Ada Lovelace"},
                {"product": ticket.pk, "attendee_name": "Bob Friend", "attendee_email": "bob@example.org"},
            ],
            payment_provider="banktransfer",
            send_email=False,
        )
        # Ada also holds a ticket in an order somebody else bought.
        gifted = order_place(
            event=event,
            email="carol@example.org",
            positions=[
                {"product": ticket.pk, "attendee_name": "Ada L.", "attendee_email": "ada@example.org"}
            ],
            payment_provider="banktransfer",
            send_email=False,
        )
        for position in [*bought.positions.all(), *gifted.positions.all()]:
            QuestionAnswer.objects.create(position=position, question=question, answer=f"vegan {position.pk}")
    with scope(organizer=organizer):
        # Filled by the order notifications, which ran when the block above committed.
        ada = Contact.objects.get(email_key="ada@example.org")

    client = client_for(user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/control/organizer/{organizer.slug}/contacts/{ada.pk}/erase/")
    assert response.status_code == 302

    with scope(organizer=organizer):
        bought, gifted = Order.objects.get(pk=bought.pk), Order.objects.get(pk=gifted.pk)
        assert (bought.email, bought.status, bought.positions.count()) == ("", "pending", 2)
        assert gifted.email == "carol@example.org"
        people = {
            (p.order.code, p.positionid): (p.attendee_name, p.attendee_email, p.answers.get().answer)
            for p in [*bought.positions.all(), *gifted.positions.all()]
        }
        bob = bought.positions.get(positionid=2)
        assert people == {
            (bought.code, 1): ("", "", ""),
            (bought.code, 2): ("Bob Friend", "bob@example.org", f"vegan {bob.pk}"),
            (gifted.code, 1): ("", "", ""),
        }
        logged = LogEntry.objects.filter(action_type="tickets.order.anonymised").order_by("pk")
        assert sorted(entry.data["positions"] for entry in logged) == [[1], [1]]
        assert all("ada" not in str(entry.data).lower() for entry in logged)
