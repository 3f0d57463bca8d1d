"""Request set-up shared by every view: who is logged in, and the URL's tenant.

:class:`SecondFactorMiddleware` treats a session that owes its second factor as anonymous.
:class:`TenantMiddleware` resolves the organizer and event of a URL and opens the django-scopes
tenant scope (the event comes from :func:`~eventyay.base.services.cache.tenant_event`, cached
under the event's content version). Every view under ``<organizer>/`` or ``<organizer>/<event>/`` runs inside
``scope(organizer=...)``; a query on a scoped model outside any scope raises. URLs of a plugin
that is switched off for the event answer 404.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.urls import Resolver404, resolve
from django.utils.functional import SimpleLazyObject
from django_scopes import scope, scopes_disabled

from eventyay.base.models import Organizer
from eventyay.base.services.auth import user_needs_second_factor
from eventyay.base.services.cache import tenant_event
from eventyay.base.services.login import UNVERIFIED_ATTR
from eventyay.config.asgi_handler import EARLY_MATCH_ATTR

PLUGIN_NAMESPACE = "plugins"


class SecondFactorMiddleware:
    """A session whose account has a second factor counts as logged in only once it verified it.

    The login service never logs such an account in before the code step; this catches every
    other way a session can get there (a plugin calling Django's ``login()``, a session from
    before the account got its authenticator), so ``login_required``, the control decorators,
    the API's session authentication and plugins' own checks all see an anonymous visitor.
    Goes right after django-otp's ``OTPMiddleware``, whose verification it reads.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        request.user = SimpleLazyObject(lambda: _verified_user(request, user))  # type: ignore[assignment]
        return self.get_response(request)


def _verified_user(request: HttpRequest, user: Any) -> Any:
    if not user.is_authenticated or user.is_verified() or not user_needs_second_factor(user):
        return user
    setattr(request, UNVERIFIED_ATTR, user)
    return AnonymousUser()


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
        setattr(request, EARLY_MATCH_ATTR, (request.path_info, match))
        organizer_slug = match.kwargs.get("organizer")
        event_slug = match.kwargs.get("event")
        if not organizer_slug:
            # No tenant in the URL: scoped queries raise unless the view opens a scope or
            # explicitly disables scopes (and then filters by the user's permissions itself).
            return self.get_response(request)
        with scopes_disabled():
            if event_slug:
                event = tenant_event(organizer_slug, event_slug, request=request)
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
