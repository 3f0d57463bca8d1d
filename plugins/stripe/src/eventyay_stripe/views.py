"""The webhook endpoint, the buyer's return from Stripe, the pay button and the control page."""

from __future__ import annotations

import logging

import stripe
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from eventyay_tickets.models import Order, OrderPayment
from eventyay_tickets.payment import PaymentError
from eventyay_tickets.selectors import order_for_secret, payment_providers
from eventyay_tickets.services import CapacityBusy, OrderError, order_payment_open

from eventyay.control.permissions import event_view
from eventyay_stripe.provider import StripeProvider
from eventyay_stripe.services import (
    HANDLED_EVENTS,
    WebhookRejected,
    checkout_start,
    session_apply,
    webhook_process,
    webhook_verify,
)

logger = logging.getLogger(__name__)

#: Settings pages of payment providers need this team permission.
SETTINGS_PERMISSION = "event.items:write"


def _provider(request: HttpRequest) -> StripeProvider:
    provider = payment_providers(request.event).get(StripeProvider.identifier)  # type: ignore[attr-defined]
    if not isinstance(provider, StripeProvider):
        raise Http404()
    return provider


def webhook_response(*, provider: StripeProvider, request: HttpRequest) -> HttpResponse:
    """Verify and handle one webhook delivery: 400 when refused, 503 when the order is busy."""
    try:
        event = webhook_verify(
            provider=provider, payload=request.body, signature=request.headers.get("Stripe-Signature", "")
        )
    except WebhookRejected as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    try:
        handled = webhook_process(provider=provider, stripe_event=event)
    except CapacityBusy as exc:
        response = JsonResponse({"error": "busy"}, status=503)
        response["Retry-After"] = str(exc.retry_after)
        return response
    except stripe.StripeError:
        logger.exception("Stripe event %s could not be fetched again", event.id)
        return JsonResponse({"error": "stripe unavailable"}, status=503)
    return JsonResponse({"received": True, "duplicate": not handled})


@csrf_exempt
@require_POST
def webhook(request: HttpRequest, organizer: str, event: str) -> HttpResponse:
    return webhook_response(provider=_provider(request), request=request)


def _order(request: HttpRequest, code: str, secret: str) -> Order:
    order = order_for_secret(request.event, code, secret)  # type: ignore[attr-defined]
    if order is None:
        raise Http404()
    order.event = request.event  # type: ignore[attr-defined]
    return order


def _stripe_payment(order: Order, **filters: object) -> OrderPayment | None:
    payment = (
        order.payments.filter(provider=StripeProvider.identifier, **filters).order_by("-local_id").first()
    )
    if payment is not None:
        payment.order = order
    return payment


def return_view(request: HttpRequest, organizer: str, event: str, code: str, secret: str) -> HttpResponse:
    """Stripe sends the buyer here after paying; the order page then shows the outcome."""
    provider = _provider(request)
    order = _order(request, code, secret)
    session_id = request.GET.get("session_id", "")
    payment = _stripe_payment(order, info__stripe_session=session_id) if session_id else None
    if payment is not None and payment.state != OrderPayment.State.CONFIRMED:
        try:
            session_apply(
                provider=provider, payment=payment, session=provider.gateway().session_retrieve(session_id)
            )
        except (stripe.StripeError, CapacityBusy, OrderError, PaymentError):
            logger.warning("Confirming Stripe payment %s on return failed; the webhook will", payment.pk)
            messages.info(request, _("Your payment is being confirmed. This page will show it shortly."))
    return redirect(order.get_absolute_url())


def redirect_page(request: HttpRequest, organizer: str, event: str, code: str, secret: str) -> HttpResponse:
    """Sends the buyer on to the order's open Checkout Session (see ``services._redirect_page``)."""
    _provider(request)
    order = _order(request, code, secret)
    payment = _stripe_payment(order, state=OrderPayment.State.PENDING)
    target = (payment.info.get("stripe_url") if payment else None) or ""
    if order.status != Order.Status.PENDING or not target.startswith("https://"):
        return redirect(order.get_absolute_url())
    return render(request, "eventyay_stripe/redirect.html", {"order": order, "target": target})


@require_POST
def pay(request: HttpRequest, organizer: str, event: str, code: str, secret: str) -> HttpResponse:
    """The order page's pay button: back to the open Checkout Session, or a new attempt.

    After a failed payment (a SEPA debit that bounced) the order gets a new payment, so the
    failed one stays recorded as it ended.
    """
    provider = _provider(request)
    order = _order(request, code, secret)
    payment = order_payment_open(order=order)
    if payment is None or payment.provider != StripeProvider.identifier:
        return redirect(order.get_absolute_url())
    try:
        return redirect(checkout_start(provider=provider, payment=payment))
    except PaymentError as exc:
        messages.error(request, str(exc))
        return redirect(order.get_absolute_url())


@event_view(SETTINGS_PERMISSION)
def control(request: HttpRequest, organizer: str, event: str) -> HttpResponse:
    """Where to point Stripe's webhook, and a button that checks the keys with one call."""
    provider = _provider(request)
    ev = request.event  # type: ignore[attr-defined]
    kwargs = {"organizer": ev.organizer.slug, "event": ev.slug}
    if request.method == "POST":
        try:
            account = provider.gateway().account()
        except (stripe.StripeError, PaymentError) as exc:
            message = getattr(exc, "user_message", None) or str(exc)
            messages.error(request, _("Stripe answered: %s") % message)
        else:
            dashboard = (account.to_dict().get("settings") or {}).get("dashboard") or {}
            name = dashboard.get("display_name") or account.id
            messages.success(
                request, _("Connected to %(name)s in %(mode)s mode.") % {"name": name, "mode": provider.mode}
            )
        return redirect("plugins:stripe:control", **kwargs)
    from django.conf import settings

    return render(
        request,
        "eventyay_stripe/control.html",
        {
            "provider": provider,
            "webhook_url": settings.SITE_URL + reverse("plugins:stripe:webhook", kwargs=kwargs),
            "events": HANDLED_EVENTS,
            "configured": bool(provider.api_key()),
        },
    )
