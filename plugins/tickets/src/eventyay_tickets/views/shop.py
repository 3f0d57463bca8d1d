"""The product list and the cart."""

from __future__ import annotations

from typing import Literal, overload

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_POST

from eventyay.base.models import Event
from eventyay.base.permissions import grant_for_user
from eventyay.base.services.cache import cache_public_page
from eventyay_tickets.attribution import utm_capture
from eventyay_tickets.models import Voucher
from eventyay_tickets.selectors import cart_positions, shop_categories, with_availability
from eventyay_tickets.services import (
    CapacityBusy,
    OrderError,
    cart_add,
    cart_remove,
    new_cart_id,
    product_availability,
)


def shop_event(request: HttpRequest) -> Event:
    """The request's event, if the public may see it (team members also see non-live events)."""
    event = request.event  # type: ignore[attr-defined]
    if not event.live and not grant_for_user(request.user, event.organizer).can_see_event(event):
        raise Http404()
    utm_capture(request, event)
    return event


@overload
def cart_id_for(request: HttpRequest, event: Event, *, create: Literal[True]) -> str: ...


@overload
def cart_id_for(request: HttpRequest, event: Event, *, create: bool = False) -> str | None: ...


def cart_id_for(request: HttpRequest, event: Event, *, create: bool = False) -> str | None:
    key = f"tickets_cart_{event.pk}"
    if key not in request.session and create:
        request.session[key] = new_cart_id()
    return request.session.get(key)


def shop_url(event: Event, name: str = "shop") -> str:
    from django.urls import reverse

    return reverse(f"plugins:tickets:{name}", kwargs={"organizer": event.organizer.slug, "event": event.slug})


def cart_context(request: HttpRequest, event: Event) -> dict:
    cart_id = cart_id_for(request, event)
    positions = list(cart_positions(event, cart_id)) if cart_id else []
    now = timezone.now()
    live = [p for p in positions if p.expires >= now]
    expires = min((p.expires for p in positions), default=None)
    return {
        "cart": positions,
        "cart_total": sum(p.price for p in positions),
        "cart_expires": expires,
        "cart_seconds_left": max(0, int((expires - now).total_seconds())) if expires else 0,
        "cart_minutes_left": max(0, -(-int((expires - now).total_seconds()) // 60)) if expires else 0,
        "cart_expired": bool(positions) and len(live) < len(positions),
    }


#: How often an open shop page refreshes the availability badges (HTMX polling).
AVAILABILITY_REFRESH_SECONDS = 30


def is_htmx(request: HttpRequest) -> bool:
    """An HTMX request that swaps part of the page (a history restore wants the whole page)."""
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


#: Requests per IP address and per shopper (session) to the cart and to voucher codes, in
#: django-ratelimit's notation; enough for any person, too few to hold the stock or guess codes.
CART_RATE_LIMIT = getattr(settings, "TICKETS_CART_RATE_LIMIT", "30/m")
VOUCHER_RATE_LIMIT = getattr(settings, "TICKETS_VOUCHER_RATE_LIMIT", "10/m")
RATE_LIMIT_RETRY_AFTER = 60


def _rate_limited(request: HttpRequest, event: Event, purpose: str, rate: str) -> bool:
    """Count this request against ``rate`` per client address and per session; True if over."""
    from django_ratelimit.core import is_ratelimited

    session = cart_id_for(request, event, create=True)
    group = f"tickets:{purpose}:{event.pk}"
    by_address = is_ratelimited(request, group=group, key="ip", rate=rate, increment=True)
    by_session = is_ratelimited(
        request, group=group, key=lambda _group, _request: session, rate=rate, increment=True
    )
    return by_address or by_session


def _too_many(request: HttpRequest, organizer: str, event: str) -> HttpResponse:
    from django.utils.translation import gettext

    messages.error(
        request, gettext("You have tried this too often in a short time. Please wait a minute and try again.")
    )
    response = index(request, organizer, event, status=429, voucher_code="")
    response["Retry-After"] = str(RATE_LIMIT_RETRY_AFTER)
    return response


def _voucher_from(request: HttpRequest, event: Event, code: str) -> Voucher | None:
    if not code:
        return None
    voucher = Voucher.objects.filter(event=event, code=code).first()
    if voucher is None or not voucher.is_valid_now():
        messages.error(request, _voucher_unknown())
        return None
    return voucher


@cache_public_page
def index(
    request: HttpRequest, organizer: str, event: str, status: int = 200, voucher_code: str | None = None
) -> HttpResponse:
    """The shop page; to an HTMX request only its body (with the messages), to swap in place."""
    ev = shop_event(request)
    code = (request.GET.get("voucher") if voucher_code is None else voucher_code) or ""
    if voucher_code is None and code.strip() and _rate_limited(request, ev, "voucher", VOUCHER_RATE_LIMIT):
        return _too_many(request, organizer, event)
    voucher = _voucher_from(request, ev, code.strip())
    partial = is_htmx(request)
    context = {
        "event": ev,
        "groups": with_availability(shop_categories(ev, voucher=voucher), product_availability(event=ev)),
        "voucher": voucher,
        "shop_htmx": True,
        "partial": partial,
        "availability_refresh_seconds": AVAILABILITY_REFRESH_SECONDS,
        **cart_context(request, ev),
    }
    template = "eventyay_tickets/_shop_body.html" if partial else "eventyay_tickets/shop.html"
    response = render(request, template, context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


@cache_public_page
def availability(request: HttpRequest, organizer: str, event: str) -> HttpResponse:
    """The availability badges of the listed products, as HTMX out-of-band swaps."""
    ev = shop_event(request)
    code = (request.GET.get("voucher") or "").strip()
    voucher = Voucher.objects.filter(event=ev, code=code).first() if code else None
    groups = with_availability(shop_categories(ev, voucher=voucher), product_availability(event=ev))
    return render(request, "eventyay_tickets/_availability_refresh.html", {"event": ev, "groups": groups})


def _voucher_unknown() -> str:
    from django.utils.translation import gettext

    return gettext("This voucher code is not known or no longer valid.")


@require_POST
def cart_add_view(request: HttpRequest, organizer: str, event: str) -> HttpResponse:
    ev = shop_event(request)
    items = []
    for key, value in request.POST.dict().items():
        if not (key.startswith("product_") or key.startswith("variation_")) or not value.strip():
            continue
        try:
            count = int(value)
        except ValueError:
            continue
        if count <= 0:
            continue
        kind, _sep, ident = key.partition("_")
        if kind == "product":
            items.append({"product": int(ident) if ident.isdigit() else None, "count": count})
        else:
            product_id, _sep, variation_id = ident.partition("_")
            if product_id.isdigit() and variation_id.isdigit():
                items.append({"product": int(product_id), "variation": int(variation_id), "count": count})
    voucher_code = request.POST.get("voucher", "").strip()
    if _rate_limited(request, ev, "cart", CART_RATE_LIMIT) or (
        voucher_code and _rate_limited(request, ev, "voucher", VOUCHER_RATE_LIMIT)
    ):
        return _too_many(request, organizer, event)
    try:
        cart_add(
            event=ev, cart_id=cart_id_for(request, ev, create=True), items=items, voucher_code=voucher_code
        )
    except OrderError as exc:
        for message in exc.messages:
            messages.error(request, message)
        if is_htmx(request):
            return index(request, organizer, event, status=200, voucher_code=voucher_code)
        return redirect(shop_url(ev) + (f"?voucher={voucher_code}" if voucher_code else ""))
    except CapacityBusy as exc:
        messages.error(request, str(exc))
        response = index(request, organizer, event, status=409, voucher_code=voucher_code)
        response["Retry-After"] = str(exc.retry_after)
        return response
    if is_htmx(request):
        return index(request, organizer, event, voucher_code=voucher_code)
    return redirect(shop_url(ev) + "#cart")


@require_POST
def cart_remove_view(request: HttpRequest, organizer: str, event: str) -> HttpResponse:
    ev = shop_event(request)
    cart_id = cart_id_for(request, ev)
    position = request.POST.get("position", "")
    if cart_id:
        cart_remove(event=ev, cart_id=cart_id, position_id=int(position) if position.isdigit() else None)
    if is_htmx(request):
        return index(request, organizer, event, voucher_code="")
    return redirect(shop_url(ev) + "#cart")
