"""Shared pieces of the talk control views: permission names, redirects, the event's time zone."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone

READ = "event.submissions:read"
WRITE = "event.submissions:write"
REVIEW = "event.reviews:write"
SCHEDULE = "event.schedule:write"


def to(request: HttpRequest, name: str, **kwargs: Any) -> HttpResponse:
    """Redirect to one of the talk control pages of the request's event."""
    event = request.event  # type: ignore[attr-defined]
    return redirect(f"plugins:talk:{name}", organizer=event.organizer.slug, event=event.slug, **kwargs)


def error_text(error: ValidationError) -> str:
    return " ".join(str(message) for message in error.messages)


def in_event_timezone(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Read and show times in the event's time zone, as organizers plan in local time."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        event = request.event  # type: ignore[attr-defined]
        with timezone.override(zoneinfo.ZoneInfo(event.timezone)):
            return view(request, *args, **kwargs)

    return wrapped
