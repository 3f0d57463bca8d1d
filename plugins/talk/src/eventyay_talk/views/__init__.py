"""Public views of the talk plugin (thin: forms in, services and selectors out)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest

from eventyay.base.models import Event, User
from eventyay.base.permissions import grant_for_user


def public_event(request: HttpRequest) -> Event:
    """The request's event; 404 unless it is live or the visitor is a team member."""
    # Set by the tenant middleware for URLs with an event; HttpRequest's stub does not know it.
    event = request.event  # type: ignore[attr-defined]
    if not event.live and not grant_for_user(request.user, event.organizer).can_see_event(event):
        raise Http404()
    return event


def signed_in_user(request: HttpRequest) -> User:
    """The visitor's account, for views that already made sure they are signed in.

    ``request.user`` may be anonymous as far as its type says; login_required (or an explicit
    check before the call) rules that out, and this narrows the type instead of ignoring it.
    """
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied
    return user
