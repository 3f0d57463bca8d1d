from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def eventyay_context(request: HttpRequest) -> dict[str, Any]:
    return {
        "site_url": settings.SITE_URL,
        "request_event": getattr(request, "event", None),
        "request_organizer": getattr(request, "organizer", None),
    }
