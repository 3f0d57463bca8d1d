"""Hook implementations of the back office: documents after order transitions, control navigation.

Re-exported by :mod:`eventyay_tickets.hooks` (a plugin registers one hooks module).
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from eventyay.base.plugins import NavItem, Section, hookimpl

logger = logging.getLogger(__name__)


def _documents_later(order: Any, action: str) -> None:
    from eventyay_tickets.tasks_documents import order_documents

    order_id = order.pk

    def queue() -> None:
        try:
            order_documents.delay(order_id, action)
        except Exception:
            # Eager in embedded mode: a document that fails to render must not fail the request
            # whose transition already committed; the order page renders it again on demand.
            logger.exception("Rendering the documents of order %s failed", order_id)

    transaction.on_commit(queue)


@hookimpl
def order_placed(event: Any, order: Any) -> None:
    _documents_later(order, "placed")


@hookimpl
def order_paid(event: Any, order: Any) -> None:
    _documents_later(order, "paid")


@hookimpl
def order_canceled(event: Any, order: Any) -> None:
    _documents_later(order, "canceled")


@hookimpl
def order_page_sections(event: Any, order: Any, request: Any) -> list[Section]:
    """Ticket downloads once the order is paid, and every invoice of the order."""
    from eventyay_tickets.models import Invoice

    tickets = []
    if order.status == "paid":
        tickets = list(order.positions.filter(product__admission=True).select_related("product"))
    invoices = list(Invoice.objects.filter(order=order).order_by("pk"))
    if not tickets and not invoices:
        return []
    html = render_to_string(
        "eventyay_tickets/_documents.html",
        {"event": event, "order": order, "tickets": tickets, "invoices": invoices},
        request,
    )
    return [Section(title=str(_("Your documents")), html=html, key="tickets-documents")]


#: (label, URL name, permission the page needs to be opened).
NAV = (
    (_("Ticket sales"), "control.dashboard", "event.orders:read"),
    (_("Orders"), "control.orders", "event.orders:read"),
    (_("Products"), "control.products", "event.orders:read"),
    (_("Quotas"), "control.quotas", "event.orders:read"),
    (_("Vouchers"), "control.vouchers", "event.orders:read"),
    (_("Questions"), "control.questions", "event.orders:read"),
    (_("Check-in"), "control.checkinlists", "event.orders:read"),
    (_("Payment providers"), "control.payment_settings", "event.items:write"),
    (_("Invoices and tickets"), "control.document_settings", "event.items:write"),
    (_("Emails"), "control.mail_settings", "event.items:write"),
    (_("Bank statement"), "control.bank_statement", "event.orders:write"),
)


def control_nav(event: Any, request: Any) -> list[NavItem]:
    """The tickets entries of the event navigation; only pages the user may open."""
    from eventyay.control.permissions import request_grant

    grant = request_grant(request, event.organizer)
    kwargs = {"organizer": event.organizer.slug, "event": event.slug}
    return [
        NavItem(
            label=str(label),
            url=reverse(f"plugins:tickets:{name}", kwargs=kwargs),
            active_prefix=f"plugins:tickets:{name}",
        )
        for label, name, permission in NAV
        if grant.has_event_permission(event, permission)
    ]
