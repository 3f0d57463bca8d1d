"""The attendee's order page at its secret link, and payment provider webhooks."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from eventyay.base.plugins import Section, hooks_for
from eventyay_tickets.models import Order, OrderPayment
from eventyay_tickets.payment import PaymentError
from eventyay_tickets.selectors import order_for_secret, order_positions, payment_providers, tickets_settings
from eventyay_tickets.services import (
    OrderError,
    order_cancel,
    order_change_attendees,
    order_expire_if_due,
    order_payment_start,
)


def _order(request: HttpRequest, code: str, secret: str) -> Order:
    event = request.event  # type: ignore[attr-defined]
    order = order_for_secret(event, code, secret)
    if order is None:
        raise Http404()
    order.event = event
    return order_expire_if_due(order=order)


def _can_cancel(order: Order) -> bool:
    if not tickets_settings(order.event).get("cancel_allowed"):
        return False
    return order.status == Order.Status.PENDING or (order.status == Order.Status.PAID and order.total == 0)


def _can_edit(order: Order) -> bool:
    return order.status in Order.HOLDING and (
        order.editable_until is None or timezone.now() <= order.editable_until
    )


def detail(request: HttpRequest, organizer: str, event: str, code: str, secret: str) -> HttpResponse:
    order = _order(request, code, secret)
    ev = order.event
    provider = payment_providers(ev).get(order.payment_provider)
    pending_html = ""
    if order.status == Order.Status.PENDING and not order.require_approval and provider is not None:
        payment = order.payments.filter(
            state__in=[OrderPayment.State.CREATED, OrderPayment.State.PENDING]
        ).first()
        pending_html = mark_safe(provider.order_pending_html(order=order, payment=payment, request=request))
    sections: list[Section] = []
    for result in hooks_for(ev).order_page_sections(event=ev, order=order, request=request):
        sections.extend(result or [])
    return render(
        request,
        "eventyay_tickets/order.html",
        {
            "event": ev,
            "order": order,
            "positions": order_positions(order),
            "provider": provider,
            "pending_html": pending_html,
            "sections": sections,
            "can_cancel": _can_cancel(order),
            "can_edit": _can_edit(order),
        },
    )


@require_POST
def pay(request: HttpRequest, organizer: str, event: str, code: str, secret: str) -> HttpResponse:
    order = _order(request, code, secret)
    try:
        target = order_payment_start(order=order, request=request)
    except PaymentError as exc:
        messages.error(request, str(exc))
        target = None
    return redirect(target or order.get_absolute_url())


@require_POST
def cancel(request: HttpRequest, organizer: str, event: str, code: str, secret: str) -> HttpResponse:
    order = _order(request, code, secret)
    if not _can_cancel(order):
        raise Http404()
    from decimal import Decimal

    fee = Decimal(str(tickets_settings(order.event).get("cancel_fee") or 0)) if order.total else Decimal(0)
    try:
        order_cancel(order=order, fee=min(fee, order.total))
    except OrderError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Your order has been canceled."))
    return redirect(order.get_absolute_url())


@require_POST
def attendees(request: HttpRequest, organizer: str, event: str, code: str, secret: str) -> HttpResponse:
    order = _order(request, code, secret)
    if not _can_edit(order):
        raise Http404()
    changes = {}
    for position in order.positions.all():
        prefix = f"pos{position.pk}-"
        if f"{prefix}attendee_name" in request.POST:
            changes[position.pk] = {
                "attendee_name": request.POST.get(f"{prefix}attendee_name", ""),
                "attendee_email": request.POST.get(f"{prefix}attendee_email", ""),
            }
    try:
        order_change_attendees(order=order, attendees=changes, by_attendee=True)
    except OrderError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Your changes have been saved."))
    return redirect(order.get_absolute_url())


@csrf_exempt
@require_POST
def payment_webhook(request: HttpRequest, organizer: str, event: str, provider: str) -> HttpResponse:
    """Notifications from payment services go to the provider that registered for this event."""
    instance = payment_providers(request.event).get(provider)  # type: ignore[attr-defined]
    if instance is None:
        raise Http404()
    return instance.process_webhook(request=request)
