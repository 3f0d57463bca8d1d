"""Erasing a person's data from orders (GDPR) while keeping the orders.

Accounting law keeps an order, its amounts and its invoices; the person's name, email address
and answers to the questions are what can go. Called by the ``contact_erased`` notification of
the campaigns plugin (an optional hook: the tickets plugin never imports campaigns).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Lower

from eventyay.base.models import Event, Organizer
from eventyay.base.services.log import log_action
from eventyay_tickets.models import Order, OrderPosition, QuestionAnswer


def orders_anonymise(
    *, organizer: Organizer, events: Iterable[Event], email: str, actor: Any = None
) -> list[str]:
    """Blank the personal data of ``email`` in the orders of ``events``; returns the order codes.

    In one transaction: orders bought with that address (in any case) lose their email address;
    their positions without an attendee address of their own (the buyer's tickets) and every
    position with that attendee address lose the attendee name and address, and their answers
    are emptied (uploaded files deleted). Positions of other attendees in the buyer's order keep
    their data: it is not the erased person's. Each order changed gets an audit log entry,
    which does not name the address.
    """
    key = email.strip().lower()
    by_id = {event.pk: event for event in events if event.organizer_id == organizer.pk}
    event_ids = list(by_id)
    if not key or not event_ids:
        return []
    changed: dict[int, Order] = {}
    with transaction.atomic():
        bought = Order.objects.select_for_update().filter(event_id__in=event_ids, email_key=key)
        bought_ids = set(bought.values_list("pk", flat=True))
        positions = list(
            OrderPosition.objects.select_for_update(of=("self",))
            .alias(attendee_email_key=Lower("attendee_email"))
            .filter(order__event_id__in=event_ids)
            .filter(Q(attendee_email_key=key) | Q(order_id__in=bought_ids, attendee_email=""))
            .select_related("order")
        )
        for order in bought:
            order.email = ""
            order.save(update_fields=["email", "modified"])
            changed[order.pk] = order
        for position in positions:
            position.attendee_name = ""
            position.attendee_email = ""
            position.save(update_fields=["attendee_name", "attendee_email"])
            changed.setdefault(position.order_id, position.order)
        answers = QuestionAnswer.objects.filter(position__in=positions)
        for answer in answers.exclude(file="").exclude(file__isnull=True):
            answer.file.delete(save=False)
        for answer in answers:
            answer.options.clear()
        answers.update(answer="", file=None)
        for order in changed.values():
            log_action(
                action="tickets.order.anonymised",
                organizer=organizer,
                event=by_id[order.event_id],
                obj=order,
                actor=actor,
                data={
                    "reason": "contact_erased",
                    "positions": sorted(p.positionid for p in positions if p.order_id == order.pk),
                },
            )
    return sorted(order.code for order in changed.values())
