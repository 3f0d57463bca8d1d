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

from eventyay.base.plugins import DashboardWidget, LogActionType, NavItem, Section, hookimpl

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
    (_("Import from pretix"), "control.pretix_import", "event.items:write"),
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


#: What the order history and the audit log say for the plugin's actions.
LOG_ACTIONS = {
    "order.placed": _("Order placed"),
    "order.paid": _("Marked as paid"),
    "order.paid_over_quota": _("Marked as paid although the quota was full"),
    "order.payment_failed": _("Payment failed"),
    "order.payment_retried": _("Payment started again"),
    "order.canceled": _("Order canceled"),
    "order.denied": _("Order denied"),
    "order.approved": _("Order approved"),
    "order.expired": _("Order expired"),
    "order.extended": _("Payment deadline extended"),
    "order.reactivated": _("Order reactivated"),
    "order.refund_created": _("Refund created"),
    "order.refunded": _("Refunded"),
    "order.refund_failed": _("Refund failed"),
    "order.attendees": _("Attendee details changed"),
    "order.link_resent": _("Order link sent again"),
    "order.changed": _("Order changed"),
    "order.anonymised": _("Personal data erased"),
    "invoice.cancellation_issued": _("Cancellation invoice issued"),
    "voucher.batch_created": _("Vouchers created in bulk"),
    "settings.payment_provider": _("Payment provider settings changed"),
    "settings.mails": _("Email texts changed"),
    "settings.documents": _("Invoice and ticket settings changed"),
    "checkinlist.created": _("Check-in list created"),
    "checkinlist.changed": _("Check-in list changed"),
    "checkinlist.deleted": _("Check-in list deleted"),
    "checkin.entry": _("Checked in"),
    "checkin.exit": _("Checked out"),
    "capacity.drift_corrected": _("Quota counters corrected"),
}


@hookimpl
def register_log_action_types() -> list[LogActionType]:
    return [LogActionType(f"eventyay_tickets.{name}", label) for name, label in LOG_ACTIONS.items()] + [
        LogActionType("tickets.order.anonymised", _("Personal data erased"))
    ]


@hookimpl
def control_dashboard_widgets(event: Any, request: Any) -> list[DashboardWidget]:
    """Sales, revenue and check-ins on the event dashboard, in two queries."""
    from eventyay.control.permissions import request_grant
    from eventyay_tickets.models import Checkin
    from eventyay_tickets.selectors_backoffice import order_totals

    if not request_grant(request, event.organizer).has_event_permission(event, "event.orders:read"):
        return []
    checked_in = (
        Checkin.objects.filter(checkin_list__event=event, type=Checkin.Type.ENTRY)
        .values("position")
        .distinct()
        .count()
    )
    html = render_to_string(
        "eventyay_tickets/control/_widget.html",
        {"event": event, "totals": order_totals(event), "checked_in": checked_in},
        request,
    )
    return [DashboardWidget(title=_("Tickets"), html=html, key="tickets", priority=30)]
