"""Permission checks for control panel pages, usable by plugins for their own control pages.

Decorate a view under ``/control/organizer/<organizer>/`` with :func:`organizer_view` and one
under ``/control/event/<organizer>/<event>/`` with :func:`event_view`::

    @event_view("event.orders:read", post="event.orders:write")
    def orders(request, organizer, event): ...

Anonymous users are sent to the login page. A session of an account with a second factor
that has not confirmed it is anonymous too and goes to the second-factor page instead (see
:mod:`eventyay.base.services.login`). Users who are no member of the organizer (or cannot see
the event) get 404, so nothing tells them it exists; members lacking the permission get 403. When the organizer requires two-factor authentication, members without
it are sent to set it up first. The user's permissions are computed once per request.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from eventyay.base.models import Organizer
from eventyay.base.permissions import Grant, grant_for_user
from eventyay.base.services.auth import user_has_2fa
from eventyay.base.services.login import login_redirect

# Views may stream (FileResponse, e.g. eventyay.base.storage.serve_private_file).
View = Callable[..., HttpResponseBase]


def request_grant(request: HttpRequest, organizer: Organizer) -> Grant:
    """``grant_for_user`` memoised on the request, so views, nav and templates share one lookup."""
    cache: dict[int, Grant] = request.__dict__.setdefault("_eventyay_grants", {})
    if organizer.pk not in cache:
        cache[organizer.pk] = grant_for_user(request.user, organizer)
    return cache[organizer.pk]


def _two_factor_missing(request: HttpRequest, organizer: Organizer) -> bool:
    if not organizer.require_2fa:
        return False
    memo: dict[int | None, bool] = request.__dict__.setdefault("_eventyay_2fa", {})
    user_id = request.user.pk
    if user_id not in memo:
        memo[user_id] = user_has_2fa(request.user)
    return not memo[user_id]


def two_factor_setup_redirect(request: HttpRequest, organizer: Organizer) -> HttpResponse | None:
    """The way to the two-factor set-up if ``organizer`` requires it and the user has none yet.

    For plugins' control pages that check permissions themselves instead of using the
    decorators; call it after the membership check, so outsiders learn nothing.
    """
    if _two_factor_missing(request, organizer):
        return _two_factor_redirect(request, organizer)
    return None


def _two_factor_redirect(request: HttpRequest, organizer: Organizer) -> HttpResponse:
    messages.warning(
        request,
        _("%(organizer)s requires two-factor authentication. Please set it up to continue.")
        % {"organizer": organizer.name},
    )
    url = reverse("control:user.2fa.setup") + "?" + urlencode({"next": request.get_full_path()})
    return redirect(url)


Permissions = str | tuple[str, ...] | None


def _required(permission: Permissions, post: str | None, request: HttpRequest) -> list[str]:
    needed = [permission] if isinstance(permission, str) else list(permission or ())
    if post and request.method not in ("GET", "HEAD", "OPTIONS"):
        needed.append(post)
    return needed


def organizer_view(permission: Permissions = None, *, post: str | None = None) -> Callable[[View], View]:
    """Require membership of the URL's organizer and ``permission`` (``post`` too for writes).

    ``permission`` is one name or a tuple of names that must all hold.
    """

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not request.user.is_authenticated:
                return login_redirect(request)
            organizer = getattr(request, "organizer", None)
            if organizer is None:
                raise Http404()
            grant = request_grant(request, organizer)
            if not grant.is_member:
                raise Http404()
            if _two_factor_missing(request, organizer):
                return _two_factor_redirect(request, organizer)
            for name in _required(permission, post, request):
                if not grant.has_organizer_permission(name):
                    raise PermissionDenied(_("You lack the permission “%s”.") % name)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def event_view(permission: Permissions = None, *, post: str | None = None) -> Callable[[View], View]:
    """Require that the user sees the URL's event and holds ``permission`` on it.

    Names starting with ``organizer.`` are checked on the organizer instead.
    """

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not request.user.is_authenticated:
                return login_redirect(request)
            event = getattr(request, "event", None)
            if event is None:
                raise Http404()
            grant = request_grant(request, event.organizer)
            if not grant.can_see_event(event):
                raise Http404()
            if _two_factor_missing(request, event.organizer):
                return _two_factor_redirect(request, event.organizer)
            for name in _required(permission, post, request):
                allowed = (
                    grant.has_organizer_permission(name)
                    if name.startswith("organizer.")
                    else grant.has_event_permission(event, name)
                )
                if not allowed:
                    raise PermissionDenied(_("You lack the permission “%s”.") % name)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
