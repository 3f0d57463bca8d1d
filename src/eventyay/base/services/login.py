"""Signing in: the one login service every sign-in form calls (throttle, then the second factor).

A login form of the core or of a plugin hands the email and password to
:func:`login_with_password`. That counts failures per client address and email, and for an
account with a second factor it only remembers that the password step passed: the session
counts as logged in once :func:`login_second_factor` accepted a code on the core's
second-factor page, which then sends the browser on to the form's ``next`` URL.

A session of an account with a second factor that was never verified (logged in some other
way, or before the account got its authenticator) is anonymous for every view: see
:class:`eventyay.base.middleware.SecondFactorMiddleware`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import authenticate
from django.contrib.auth import login as auth_login
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django_otp import login as otp_login
from django_otp import match_token

from eventyay.base.models import User
from eventyay.base.services.auth import user_needs_second_factor
from eventyay.base.services.security import (
    client_address,
    login_blocked,
    login_failure_record,
    login_failures_clear,
)

PENDING_USER = "eventyay_2fa_user"
PENDING_SINCE = "eventyay_2fa_since"
PENDING_NEXT = "eventyay_2fa_next"
#: How long the password step stays valid while the second factor is asked for.
PENDING_SECONDS = 300
#: Where the middleware leaves the account of a session that still owes its second factor.
UNVERIFIED_ATTR = "_eventyay_unverified_user"
BACKEND = "django.contrib.auth.backends.ModelBackend"

TOO_MANY_ATTEMPTS = _("Too many failed attempts. Please wait a few minutes before you try again.")


@dataclass(frozen=True)
class LoginResult:
    """The account that passed the password step, and where the browser goes next.

    ``verified`` is False while the second factor is still owed; ``next_url`` is then the
    second-factor page, which continues to the form's ``next`` URL afterwards.
    """

    user: User
    verified: bool
    next_url: str


def second_factor_url(next_url: str = "") -> str:
    url = reverse("control:auth.login.2fa")
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


def login_with_password(*, request: HttpRequest, email: str, password: str, next_url: str) -> LoginResult:
    """Check ``email`` and ``password`` under the login throttle and log in, or ask for the code.

    Raises ValidationError (code ``throttled`` or ``invalid_login``) for the form to show.
    """
    email = email.strip().lower()
    address = client_address(request)
    if login_blocked(address=address, email=email):
        raise ValidationError(TOO_MANY_ATTEMPTS, code="throttled")
    user = authenticate(request, username=email, password=password)
    if not isinstance(user, User):
        login_failure_record(address=address, email=email)
        raise ValidationError(_("The email address or the password is wrong."), code="invalid_login")
    login_failures_clear(address=address, email=email)
    if user_needs_second_factor(user):
        request.session[PENDING_USER] = user.pk
        request.session[PENDING_SINCE] = time.time()
        request.session[PENDING_NEXT] = next_url
        return LoginResult(user=user, verified=False, next_url=reverse("control:auth.login.2fa"))
    login_complete(request=request, user=user)
    return LoginResult(user=user, verified=True, next_url=next_url)


def login_complete(*, request: HttpRequest, user: User, device: Any = None) -> None:
    """Log ``user`` in on this session, verified by ``device`` when it has one.

    Only for accounts that just passed the steps their login needs: a new account, or one
    whose password (and second factor, if it has one) was checked.
    """
    auth_login(request, user, backend=BACKEND)
    if device is not None:
        otp_login(request, device)
    for key in (PENDING_USER, PENDING_SINCE, PENDING_NEXT):
        request.session.pop(key, None)


def session_unverified_user(request: HttpRequest) -> User | None:
    """The account of this session if it is logged in but has not confirmed its second factor."""
    # Evaluating the lazy user is what lets the middleware decide.
    if request.user.is_authenticated:
        return None
    return getattr(request, UNVERIFIED_ATTR, None)


def login_pending_user(request: HttpRequest) -> User | None:
    """Whose second factor the second-factor page asks for, if anyone's.

    Either the account whose password was checked in the last few minutes, or the account of a
    session that is logged in without having confirmed its second factor.
    """
    user_id = request.session.get(PENDING_USER)
    if user_id and time.time() - request.session.get(PENDING_SINCE, 0) <= PENDING_SECONDS:
        return User.objects.filter(pk=user_id, is_active=True).first()
    return session_unverified_user(request)


def login_second_factor(*, request: HttpRequest, user: User, code: str) -> str:
    """Check a code of ``user``'s authenticator (or a backup code) and finish the login.

    Returns the ``next`` URL the password step remembered (empty if none). Raises
    ValidationError (code ``throttled`` or ``invalid_code``) for the form to show.
    """
    address = client_address(request)
    if login_blocked(address=address, email=user.email, purpose="2fa"):
        raise ValidationError(TOO_MANY_ATTEMPTS, code="throttled")
    device = match_token(user, code.strip().replace(" ", ""))
    if device is None:
        login_failure_record(address=address, email=user.email, purpose="2fa")
        raise ValidationError({"code": [_("This code is not valid.")]}, code="invalid_code")
    login_failures_clear(address=address, email=user.email, purpose="2fa")
    next_url = request.session.get(PENDING_NEXT) or ""
    login_complete(request=request, user=user, device=device)
    return next_url


def login_redirect(request: HttpRequest) -> HttpResponse:
    """Where a view sends a visitor who has to log in before seeing it.

    A session that passed the password step but owes its second factor goes to the
    second-factor page, everyone else to the login page; both come back to this page.
    """
    if session_unverified_user(request) is not None:
        return HttpResponseRedirect(second_factor_url(request.get_full_path()))
    return redirect_to_login(request.get_full_path())
