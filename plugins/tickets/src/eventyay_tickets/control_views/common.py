"""Shared pieces of the back office views: permission names, redirects, error text."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

READ = "event.orders:read"
WRITE = "event.orders:write"
ITEMS = "event.items:write"
CHECKIN = "event.checkin:write"


def to(request: HttpRequest, name: str, **kwargs: Any) -> HttpResponse:
    """Redirect to one of this plugin's control pages of the request's event."""
    event = request.event  # type: ignore[attr-defined]
    return redirect(f"plugins:tickets:{name}", organizer=event.organizer.slug, event=event.slug, **kwargs)


def error_text(error: ValidationError) -> str:
    return " ".join(str(m) for m in error.messages)
