"""The plugin's pages and API exist only for organizers that switched it on.

The campaigns plugin is of level ``organizer``: an administrator switches it on for the whole
organizer (``OrganizerPlugin``, :func:`eventyay.base.services.organizer_plugins.organizer_plugins_update`).
Everywhere else its control pages, navigation entries, sign-up page and API answer as if they
did not exist (404). The links in messages already sent (clicks, unsubscribes) keep working:
an unsubscribe must never depend on the plugin still being on.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import Http404, HttpRequest, HttpResponseBase, JsonResponse
from django.urls import URLPattern, URLResolver

from eventyay.base.models import Organizer
from eventyay.base.models.organizer import OrganizerPlugin

#: The plugin's name (its entry point).
PLUGIN = "campaigns"


def campaigns_enabled(organizer: Organizer | None) -> bool:
    """Whether the organizer switched the plugin on (one query, never cached: an organizer
    instance may outlive a request, the switch must not wait for it)."""
    if organizer is None:
        return False
    return OrganizerPlugin.objects.filter(organizer_id=organizer.pk, name=PLUGIN, enabled=True).exists()


def _organizer_of(request: HttpRequest, slug: str | None) -> Organizer | None:
    organizer = getattr(request, "organizer", None)
    if organizer is None and slug:
        organizer = Organizer.objects.filter(slug=slug).first()
    return organizer


def enabled_required(
    view: Callable[..., HttpResponseBase], *, api: bool = False
) -> Callable[..., HttpResponseBase]:
    """404 (a JSON one for the API) unless the URL's organizer has the plugin switched on."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not campaigns_enabled(_organizer_of(request, kwargs.get("organizer"))):
            if api:
                return JsonResponse({"detail": "Not found."}, status=404)
            raise Http404()
        return view(request, *args, **kwargs)

    # DRF's CSRF exemption and the schema generator read these off the view.
    for name in ("csrf_exempt", "cls", "initkwargs", "actions"):
        if hasattr(view, name):
            setattr(wrapped, name, getattr(view, name))
    return wrapped


def gated(patterns: list[Any], *, api: bool = False) -> list[Any]:
    """``patterns`` with every view wrapped by :func:`enabled_required`."""
    result: list[Any] = []
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            result.append(pattern)
        elif isinstance(pattern, URLPattern):
            # The same pattern object: router URLs are regular expressions, others routes.
            result.append(
                URLPattern(
                    pattern.pattern,
                    enabled_required(pattern.callback, api=api),
                    pattern.default_args,
                    pattern.name,
                )
            )
    return result
