"""Who may call an API view: team tokens, OAuth applications and logged-in users alike.

This module and :mod:`eventyay.api.mixins` are the documented API for plugins' own endpoints.
A plugin's event-level viewset names the team permission it needs for reading and for
writing; everything else (tenancy, OAuth scopes, 404 for outsiders) is decided here::

    from rest_framework import viewsets

    from eventyay.api.mixins import EventViewMixin
    from eventyay.api.permissions import EventPermission


    class TicketViewSet(EventViewMixin, viewsets.ModelViewSet):
        permission_classes = [EventPermission]  # the default of EventViewMixin
        permission = "event.orders:read"  # needed for GET, HEAD, OPTIONS
        write_permission = "event.orders:write"  # needed for POST, PUT, PATCH, DELETE
        serializer_class = TicketSerializer

        def get_queryset(self):
            return Ticket.objects.filter(event=self.event)

Rules, in order:

1. No credentials: 401. A browser session of an account with a second factor counts only
   once that session confirmed the code; before, it is no credential at all.
2. The actor is not a member of the URL's organizer (or cannot see the URL's event): 404,
   exactly what a URL of a non-existent organizer answers, so nothing leaks existence.
3. The actor lacks the view's permission: 403.
4. OAuth tokens also need the ``read`` scope for safe methods and ``write`` for the others
   (or the finer scope named after the permission, e.g. ``orders:read`` for
   ``event.orders:read``), and only reach the organizers the user chose on the consent
   screen; they never exceed the user's own team permissions.
"""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from eventyay.api.auth import cached_grant
from eventyay.base.models import Event, Organizer, TeamAPIToken
from eventyay.base.permissions import Grant, grant_for_team, grant_for_user
from eventyay.base.services.login import session_unverified_user

__all__ = [
    "EventPermission",
    "OrganizerPermission",
    "api_grant",
    "is_oauth_token",
    "oauth_scope_for",
]

NO_GRANT = Grant()


def is_oauth_token(auth: Any) -> bool:
    """Whether ``request.auth`` is a django-oauth-toolkit access token."""
    from oauth2_provider.models import get_access_token_model

    return isinstance(auth, get_access_token_model())


def oauth_scope_for(permission: str) -> str:
    """The fine OAuth scope that stands for a team permission: ``event.orders:read`` → ``orders:read``."""
    return permission.split(".", 1)[1] if "." in permission else permission


def _oauth_organizer_ids(request: Request) -> frozenset[int]:
    cache = request._request.__dict__.setdefault("_eventyay_oauth_organizers", {})
    token = request.auth
    if token.pk not in cache:
        from eventyay.api.models import OAuthAuthorization

        cache[token.pk] = frozenset(
            OAuthAuthorization.objects.filter(access_tokens=token).values_list("organizers", flat=True)
        )
    return cache[token.pk]


def api_grant(request: Request, organizer: Organizer) -> Grant:
    """What the request's actor may do at ``organizer``; memoised on the request."""
    cache = request._request.__dict__.setdefault("_eventyay_api_grants", {})
    if organizer.pk in cache:
        return cache[organizer.pk]
    auth = request.auth
    if isinstance(auth, TeamAPIToken):
        if auth.team.organizer_id != organizer.pk:
            grant = NO_GRANT
        else:
            kept = cached_grant(auth)
            grant = kept if kept is not None else grant_for_team(auth.team)
    elif is_oauth_token(auth):
        grant = (
            grant_for_user(auth.user, organizer)
            if organizer.pk in _oauth_organizer_ids(request)
            else NO_GRANT
        )
    elif request.user is not None and request.user.is_authenticated and getattr(request.user, "pk", None):
        grant = grant_for_user(request.user, organizer)
    else:
        grant = NO_GRANT
    cache[organizer.pk] = grant
    return grant


def _required_permission(request: Request, view: Any) -> str | None:
    action = getattr(view, "action", None)
    by_action = getattr(view, "action_permissions", None) or {}
    if action and action in by_action:
        return by_action[action]
    if request.method in SAFE_METHODS:
        return getattr(view, "permission", None)
    write = getattr(view, "write_permission", None)
    return write if write is not None else getattr(view, "permission", None)


def _check_oauth_scope(request: Request, permission: str | None) -> None:
    if not is_oauth_token(request.auth):
        return
    scopes = set(getattr(request.auth, "scope", "").split())
    needed = "read" if request.method in SAFE_METHODS else "write"
    if needed in scopes:
        return
    if permission and oauth_scope_for(permission) in scopes:
        return
    raise exceptions.PermissionDenied(
        f"This application was not given the “{needed}” scope"
        + (f" (or “{oauth_scope_for(permission)}”)." if permission else ".")
    )


class _TenantPermission(BasePermission):
    def _authenticated(self, request: Request) -> None:
        if request.user is None or not request.user.is_authenticated:
            if session_unverified_user(request._request) is not None:
                raise exceptions.NotAuthenticated(
                    "This session has not confirmed its second factor; log in again with the code."
                )
            raise exceptions.NotAuthenticated()

    def _organizer(self, request: Request) -> Organizer:
        organizer = getattr(request, "organizer", None)
        if organizer is None:
            raise exceptions.NotFound()
        return organizer


class OrganizerPermission(_TenantPermission):
    """For views under ``/api/v1/organizers/<organizer>/``.

    Reads the view's ``permission`` (safe methods), ``write_permission`` (other methods,
    defaulting to ``permission``) and optional ``action_permissions`` (``{action: name}``).
    Organizer-level names (``organizer.…``) are checked on the organizer. Event-level names
    (``event.…``) are checked on the URL's event when it names one, otherwise they need a
    team that holds them for all events.
    """

    def has_permission(self, request: Request, view: Any) -> bool:
        self._authenticated(request)
        organizer = self._organizer(request)
        grant = api_grant(request, organizer)
        if not grant.is_member:
            raise exceptions.NotFound()
        event: Event | None = getattr(request, "event", None)
        if event is not None and not grant.can_see_event(event):
            raise exceptions.NotFound()
        permission = _required_permission(request, view)
        if permission and not self._holds(grant, permission, event):
            raise exceptions.PermissionDenied(f"This needs the “{permission}” permission.")
        _check_oauth_scope(request, permission)
        return True

    @staticmethod
    def _holds(grant: Grant, permission: str, event: Event | None) -> bool:
        if permission.startswith("event."):
            if event is not None:
                return grant.has_event_permission(event, permission)
            return grant.is_admin or permission in grant.all_events_permissions
        return grant.has_organizer_permission(permission)


class AuthenticatedPermission(_TenantPermission):
    """For views outside any organizer: any authenticated actor (OAuth tokens need the scope)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        self._authenticated(request)
        _check_oauth_scope(request, _required_permission(request, view))
        return True


class EventPermission(OrganizerPermission):
    """For views under ``/api/v1/organizers/<organizer>/events/<event>/`` (where plugins mount).

    ``permission`` and ``write_permission`` are event-level team permissions such as
    ``event.orders:read``; the actor needs them on this event (a team for all events, or one
    that lists it). ``None`` means any member who can see the event.
    """

    def has_permission(self, request: Request, view: Any) -> bool:
        if getattr(request, "event", None) is None:
            self._authenticated(request)
            raise exceptions.NotFound()
        return super().has_permission(request, view)
