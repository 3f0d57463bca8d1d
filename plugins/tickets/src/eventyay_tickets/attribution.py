"""UTM values of a buyer's visits, kept with the order they place.

Public event pages (the front page's ticket section and every shop page) note the ``utm_*``
query parameters of the visit in the session, per organizer: the first visit that carried
any is kept as the *first touch*, the latest as the *last touch*. The checkout places the
order inside :func:`utm_applied`, so the new order's ``utm`` field holds
``{"first": {...}, "last": {...}}`` from the moment it is created, and every ``order_placed``
hook implementation sees it; the order services need to know nothing about it. Orders placed
elsewhere (API, control panel) have ``{}``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.http import HttpRequest

from eventyay.base.models import Event

UTM_PARAMETERS = ("utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term")
#: Longest value kept per parameter (the campaigns' UTM fields hold 100 characters).
MAX_LENGTH = 100
SESSION_KEY = "tickets_utm_{}"

_touches: ContextVar[dict[str, Any] | None] = ContextVar("tickets_order_utm", default=None)


def utm_capture(request: HttpRequest, event: Event) -> None:
    """Note the visit's ``utm_*`` parameters in the session (first touch kept, last replaced)."""
    values = {
        name: request.GET[name].strip()[:MAX_LENGTH]
        for name in UTM_PARAMETERS
        if request.GET.get(name, "").strip()
    }
    if not values or not hasattr(request, "session"):
        return
    key = SESSION_KEY.format(event.organizer_id)
    stored = request.session.get(key) or {}
    request.session[key] = {"first": stored.get("first") or values, "last": values}


def utm_touches(request: HttpRequest, event: Event) -> dict[str, Any]:
    """The first and last touch noted in the session for the event's organizer, or ``{}``."""
    if not hasattr(request, "session"):
        return {}
    stored = request.session.get(SESSION_KEY.format(event.organizer_id)) or {}
    return {key: dict(stored[key]) for key in ("first", "last") if isinstance(stored.get(key), dict)}


@contextmanager
def utm_applied(touches: dict[str, Any]) -> Iterator[None]:
    """Orders created inside the block carry ``touches`` as their ``utm``."""
    token = _touches.set(touches)
    try:
        yield
    finally:
        _touches.reset(token)


def order_utm_default() -> dict[str, Any]:
    """Default of ``Order.utm``: the touches of the checkout placing it, else nothing."""
    return dict(_touches.get() or {})
