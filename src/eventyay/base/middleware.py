"""Resolves the organizer and event of a URL and opens the django-scopes tenant scope.

Every view under ``<organizer>/`` or ``<organizer>/<event>/`` runs inside
``scope(organizer=...)``; a query on a scoped model outside any scope raises. URLs of a plugin
that is switched off for the event answer 404.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.urls import Resolver404, resolve
from django_scopes import scope, scopes_disabled

from eventyay.base.models import Event, Organizer

PLUGIN_NAMESPACE = "plugins"


def _not_found(request: HttpRequest) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    raise Http404()


class TenantMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.organizer = None  # type: ignore[attr-defined]
        request.event = None  # type: ignore[attr-defined]
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return self.get_response(request)
        organizer_slug = match.kwargs.get("organizer")
        event_slug = match.kwargs.get("event")
        if not organizer_slug:
            # No tenant in the URL: scoped queries raise unless the view opens a scope or
            # explicitly disables scopes (and then filters by the user's permissions itself).
            return self.get_response(request)
        with scopes_disabled():
            if event_slug:
                event = (
                    Event.objects.select_related("organizer")
                    .filter(organizer__slug=organizer_slug, slug=event_slug)
                    .first()
                )
                if event is None:
                    return _not_found(request)
                organizer = event.organizer
            else:
                event = None
                found = Organizer.objects.filter(slug=organizer_slug).first()
                if found is None:
                    return _not_found(request)
                organizer = found
        request.organizer = organizer  # type: ignore[attr-defined]
        request.event = event  # type: ignore[attr-defined]
        with scope(organizer=organizer):
            plugin = plugin_of(match.namespaces)
            if plugin and event is not None and plugin not in event.enabled_plugin_names:
                return _not_found(request)
            return self.get_response(request)


def plugin_of(namespaces: list[str]) -> str | None:
    """The plugin owning a URL mounted under ``plugins:<name>``, if any."""
    if len(namespaces) >= 2 and PLUGIN_NAMESPACE in namespaces:
        index = namespaces.index(PLUGIN_NAMESPACE)
        if index + 1 < len(namespaces):
            return namespaces[index + 1]
    return None
