"""Automation driven by the real tickets services: paying an order and scanning its ticket.

Checks the call sites (``order_paid`` and the tickets plugin's ``checkin_created`` hook) rather
than the hook implementations alone. Skipped where tickets is not installed.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django_scopes import scope
from eventyay_campaigns.models import AutomationRun, Contact
from eventyay_campaigns.services import automation

from eventyay.base.plugins import installed_plugins

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif("tickets" not in installed_plugins(), reason="the tickets plugin is not installed"),
]


def test_paying_and_scanning_fire_rules_once(
    organizer: Any, make_event: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from eventyay_tickets.models import CheckinList, Product, Quota
    from eventyay_tickets.services import order_mark_paid, order_place
    from eventyay_tickets.services.checkin import checkin_redeem

    event = make_event(slug="shop", plugins=["tickets", "campaigns"])
    with scope(organizer=organizer):
        for trigger, tag in (("order_paid", "paid"), ("checked_in", "came")):
            automation.rule_save(
                organizer=organizer,
                data={"name": tag, "trigger": trigger, "event": event},
                actions=[{"kind": "add_tag", "tag": tag}],
            )
        ticket = Product.objects.create(event=event, name={"en": "Ticket"}, price=Decimal("50.00"))
        quota = Quota.objects.create(event=event, name="Tickets", size=10)
        quota.products.set([ticket])
        gate = CheckinList.objects.create(event=event, name="Gate")
        with django_capture_on_commit_callbacks(execute=True):
            order = order_place(
                event=event,
                email="ada@example.org",
                positions=[{"product": ticket.pk, "attendee_name": "Ada Lovelace"}],
                payment_provider="banktransfer",
                send_email=False,
            )
        with django_capture_on_commit_callbacks(execute=True):
            order_mark_paid(order=order, send_email=False)
        ada = Contact.objects.get(email_key="ada@example.org")
        assert {t.name for t in ada.tags.all()} == {"paid"}
        secret = order.positions.get().secret
        for nonce in ("scan-1", "scan-1", "scan-2"):
            with django_capture_on_commit_callbacks(execute=True):
                checkin_redeem(organizer=organizer, secret=secret, lists=[gate], nonce=nonce)
        assert {t.name for t in ada.tags.all()} == {"paid", "came"}
        assert sorted(AutomationRun.objects.filter(contact=ada).values_list("trigger", flat=True)) == [
            "checked_in",
            "order_paid",
        ]
