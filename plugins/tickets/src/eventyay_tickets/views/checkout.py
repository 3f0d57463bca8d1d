"""Checkout steps: contact and attendees → payment method → review and confirm."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _

from eventyay.base.models import Event
from eventyay_tickets.attribution import utm_applied, utm_touches
from eventyay_tickets.forms import AttendeeForm, ConfirmForm, ContactForm, mark_errors
from eventyay_tickets.payment import PaymentError
from eventyay_tickets.selectors import (
    allowed_payment_providers,
    payment_providers,
    product_questions,
    tickets_settings,
)
from eventyay_tickets.services import CapacityBusy, OrderError, order_payment_start, order_place_from_cart
from eventyay_tickets.views.shop import cart_context, cart_id_for, shop_event, shop_url


def _state(request: HttpRequest, event: Event) -> dict[str, Any]:
    return request.session.setdefault(f"tickets_checkout_{event.pk}", {})


def _save_state(request: HttpRequest, event: Event, **values: Any) -> None:
    state = _state(request, event)
    state.update(values)
    request.session[f"tickets_checkout_{event.pk}"] = state
    request.session.modified = True


def _cart_or_redirect(request: HttpRequest, event: Event) -> tuple[dict[str, Any], HttpResponse | None]:
    context = cart_context(request, event)
    if not context["cart"]:
        messages.info(request, _("Your cart is empty."))
        return context, redirect(shop_url(event))
    return context, None


def questions(request: HttpRequest, organizer: str, event: str) -> HttpResponse:
    ev = shop_event(request)
    cart, response = _cart_or_redirect(request, ev)
    if response:
        return response
    state = _state(request, ev)
    per_product = product_questions(ev)
    data = request.POST if request.method == "POST" else None
    files = request.FILES if request.method == "POST" else None
    contact = ContactForm(data, initial={"email": state.get("email"), "email_repeat": state.get("email")})
    saved = state.get("attendees") or []
    forms = [
        AttendeeForm(
            data,
            files,
            prefix=f"pos{index}",
            position=position,
            questions=per_product.get(position.product_id, []),
            initial=saved[index] if index < len(saved) else None,
        )
        for index, position in enumerate(cart["cart"])
    ]
    if data is not None and contact.is_valid() and all(form.is_valid() for form in forms):
        # The cart has positions, so the session holds its id; uploads are kept for this cart.
        cart_id = cart_id_for(request, ev) or ""
        attendees = [
            {
                "attendee_name": form.cleaned_data.get("attendee_name", ""),
                "attendee_email": form.cleaned_data.get("attendee_email", ""),
                "answers": form.answers(event=ev, cart_id=cart_id),
            }
            for form in forms
        ]
        _save_state(request, ev, email=contact.cleaned_data["email"], attendees=attendees)
        return redirect(shop_url(ev, "checkout.payment"))
    mark_errors([contact, *forms])
    return render(
        request,
        "eventyay_tickets/checkout_questions.html",
        {"event": ev, "contact": contact, "forms": forms, "step": 1, **cart},
    )


def payment(request: HttpRequest, organizer: str, event: str) -> HttpResponse:
    ev = shop_event(request)
    cart, response = _cart_or_redirect(request, ev)
    if response:
        return response
    state = _state(request, ev)
    if not state.get("email"):
        return redirect(shop_url(ev, "checkout.questions"))
    total = cart["cart_total"]
    product_ids = [p.product_id for p in cart["cart"]]
    if total == 0:
        _save_state(request, ev, payment_provider="free", payment_info={})
        return redirect(shop_url(ev, "checkout.confirm"))
    providers = allowed_payment_providers(ev, total=total, product_ids=product_ids)
    chosen = (
        request.POST.get("payment_provider") if request.method == "POST" else state.get("payment_provider")
    )
    provider_forms = [
        (
            p,
            p.checkout_form(
                data=request.POST if request.method == "POST" and chosen == p.identifier else None,
                prefix=p.identifier,
            ),
        )
        for p in providers
    ]
    error = ""
    if request.method == "POST":
        provider = next((p for p in providers if p.identifier == chosen), None)
        form = next((f for p, f in provider_forms if p is provider), None)
        if provider is None:
            error = _("Please choose a payment method.")
        elif form is None or form.is_valid():
            try:
                info = provider.checkout_prepare(request=request, form_data=form.cleaned_data if form else {})
            except PaymentError as exc:
                error = str(exc)
            else:
                _save_state(request, ev, payment_provider=provider.identifier, payment_info=info)
                return redirect(shop_url(ev, "checkout.confirm"))
    return render(
        request,
        "eventyay_tickets/checkout_payment.html",
        {
            "event": ev,
            "providers": [(p, f, p.fee(total)) for p, f in provider_forms],
            "chosen": chosen,
            "error": error,
            "step": 2,
            **cart,
        },
    )


def confirm(request: HttpRequest, organizer: str, event: str) -> HttpResponse:
    ev = shop_event(request)
    cart, response = _cart_or_redirect(request, ev)
    if response:
        return response
    state = _state(request, ev)
    if not state.get("email"):
        return redirect(shop_url(ev, "checkout.questions"))
    if not state.get("payment_provider"):
        return redirect(shop_url(ev, "checkout.payment"))
    cart_id = cart_id_for(request, ev)
    if cart_id is None:  # the cart has positions, so the session holds its id
        return redirect(shop_url(ev))
    provider = payment_providers(ev).get(state["payment_provider"])
    fee = provider.fee(cart["cart_total"]) if provider else Decimal("0.00")
    terms_url = tickets_settings(ev).get("terms_url") or ""
    form = ConfirmForm(request.POST if request.method == "POST" else None, terms_url=terms_url)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            with utm_applied(utm_touches(request, ev)):
                order = order_place_from_cart(
                    event=ev,
                    cart_id=cart_id,
                    email=state["email"],
                    attendees=state.get("attendees") or [],
                    payment_provider=state["payment_provider"],
                    locale=translation.get_language() or ev.locale,
                )
        except OrderError as exc:
            for message in exc.messages:
                messages.error(request, message)
            return redirect(
                shop_url(ev, "checkout.questions") if "answers" in str(exc.messages) else shop_url(ev)
            )
        except CapacityBusy as exc:
            messages.error(request, str(exc))
            status = 409
        else:
            request.session.pop(f"tickets_checkout_{ev.pk}", None)
            request.session.pop(f"tickets_cart_{ev.pk}", None)
            try:
                target = order_payment_start(order=order, request=request)
            except PaymentError as exc:
                messages.error(request, str(exc))
                target = None
            return redirect(target or order.get_absolute_url())
    response = render(
        request,
        "eventyay_tickets/checkout_confirm.html",
        {
            "event": ev,
            "form": form,
            "provider": provider,
            "fee": fee,
            "grand_total": cart["cart_total"] + fee,
            "email": state["email"],
            "attendees": list(zip(cart["cart"], state.get("attendees") or [], strict=False)),
            "terms_url": terms_url,
            "step": 3,
            **cart,
        },
        status=status,
    )
    if status == 409:
        response["Retry-After"] = str(CapacityBusy.retry_after)
    return response
