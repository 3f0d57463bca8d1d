"""The tickets plugin's hook implementations: registries, the front-page section, demo data."""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _

from eventyay.base.plugins import NavItem, OAuthScope, Section, TeamPermission, WebhookActionType, hookimpl
from eventyay_tickets.hooks_backoffice import control_dashboard_widgets as control_dashboard_widgets
from eventyay_tickets.hooks_backoffice import order_canceled as order_canceled
from eventyay_tickets.hooks_backoffice import order_page_sections as order_page_sections
from eventyay_tickets.hooks_backoffice import order_paid as order_paid
from eventyay_tickets.hooks_backoffice import order_placed as order_placed
from eventyay_tickets.hooks_backoffice import register_log_action_types as register_log_action_types


@hookimpl
def register_team_permissions() -> list[TeamPermission]:
    return [
        TeamPermission("event.orders:read", str(_("View orders"))),
        TeamPermission("event.orders:write", str(_("Change orders, mark payments, cancel"))),
        TeamPermission("event.items:write", str(_("Change products, quotas, vouchers and questions"))),
        TeamPermission("event.checkin:write", str(_("Check in attendees"))),
    ]


@hookimpl
def register_webhook_action_types() -> list[WebhookActionType]:
    return [
        WebhookActionType("order.placed", str(_("Order placed"))),
        WebhookActionType("order.paid", str(_("Order marked as paid"))),
        WebhookActionType("order.canceled", str(_("Order canceled"))),
        WebhookActionType("order.expired", str(_("Order expired"))),
        WebhookActionType("order.changed", str(_("Order changed"))),
        WebhookActionType("checkin.created", str(_("Attendee checked in or out"))),
    ]


@hookimpl
def register_oauth_scopes() -> list[OAuthScope]:
    return [
        OAuthScope("orders:read", str(_("Read orders and the catalogue"))),
        OAuthScope("orders:write", str(_("Create and change orders"))),
    ]


@hookimpl
def register_payment_providers(event: Any) -> list[type]:
    from eventyay_tickets.payment import BankTransferProvider, FreeProvider

    return [FreeProvider, BankTransferProvider]


@hookimpl
def event_public_sections(event: Any, request: Any) -> list[Section]:
    from eventyay_tickets.attribution import utm_capture
    from eventyay_tickets.selectors import shop_categories, with_availability
    from eventyay_tickets.services import product_availability

    utm_capture(request, event)
    html = render_to_string(
        "eventyay_tickets/section.html",
        {
            "event": event,
            "groups": with_availability(shop_categories(event), product_availability(event=event)),
        },
        request,
    )
    return [Section(title=str(_("Tickets")), html=html, key="tickets")]


@hookimpl
def control_nav_event(event: Any, request: Any) -> list[NavItem]:
    from eventyay_tickets.hooks_backoffice import control_nav

    return control_nav(event, request)


@hookimpl
def demo_data(event: Any) -> None:
    from eventyay_tickets.demo import tickets_demo_data

    tickets_demo_data(event=event)


@hookimpl
def register_data_exporters(event: Any) -> list[type]:
    from eventyay_tickets.exporters import EVENT_EXPORTERS

    return list(EVENT_EXPORTERS)


@hookimpl
def register_organizer_exporters(organizer: Any) -> list[type]:
    from eventyay_tickets.exporters import ORGANIZER_EXPORTERS

    return list(ORGANIZER_EXPORTERS)


@hookimpl(optionalhook=True)
def contact_erased(organizer: Any, email: str, events: list[Any]) -> None:
    """The campaigns plugin erased a contact: blank that person's data in the orders."""
    from django_scopes import scope

    from eventyay_tickets.services.privacy import orders_anonymise

    with scope(organizer=organizer):
        orders_anonymise(organizer=organizer, events=events, email=email)


@hookimpl
def public_navigation(event: Any, request: Any) -> list[Any]:
    from django.urls import reverse

    from eventyay.base.plugins import PublicNavItem

    url = reverse("plugins:tickets:shop", kwargs={"organizer": event.organizer.slug, "event": event.slug})
    # The checkout and the order pages live below the shop's address.
    return [PublicNavItem(label=_("Tickets"), url=url, active=request.path.startswith(url), priority=10)]


@hookimpl
def register_job_runners() -> dict[str, Any]:
    from eventyay_tickets.importers.jobs import PRETIX_JOB_KIND, pretix_job_run
    from eventyay_tickets.voucher_jobs import VOUCHERS_JOB_KIND, vouchers_bulk_job_run

    return {PRETIX_JOB_KIND: pretix_job_run, VOUCHERS_JOB_KIND: vouchers_bulk_job_run}
