"""Logging in (with an optional second factor), signing up, password reset and invitations."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django_scopes import scopes_disabled

from eventyay.base.models import TeamInvite, User
from eventyay.base.services.auth import password_reset_request, user_signup
from eventyay.base.services.login import (
    login_complete,
    login_pending_user,
    login_with_password,
    second_factor_url,
    session_unverified_user,
)
from eventyay.base.services.login import login_second_factor as login_second_factor_check
from eventyay.base.services.security import (
    client_address,
    login_blocked,
    login_failure_record,
)
from eventyay.base.services.teams import invite_accept as accept_invite
from eventyay.control.forms import add_service_errors
from eventyay.control.forms.auth import (
    LoginForm,
    PasswordResetRequestForm,
    SecondFactorForm,
    SetPasswordForm,
    SignupForm,
)


def safe_next(request: HttpRequest, candidate: str | None = None) -> str:
    """The ``next`` URL if it stays on this site, else the dashboard."""
    url = candidate if candidate is not None else request.POST.get("next") or request.GET.get("next") or ""
    if url and url_has_allowed_host_and_scheme(url, {request.get_host()}, require_https=request.is_secure()):
        return url
    return reverse("control:index")


def finish_login(request: HttpRequest, user: User, next_url: str) -> HttpResponse:
    """Answer a completed login: go on to ``next_url`` in the user's language."""
    response = HttpResponseRedirect(next_url)
    response.set_cookie(settings.LANGUAGE_COOKIE_NAME, user.locale, samesite="Lax")
    return response


@sensitive_post_parameters("password")
@never_cache
def login(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect(safe_next(request))
    if session_unverified_user(request) is not None:
        # Logged in, but the second factor is still owed: ask for it rather than the password.
        return redirect(second_factor_url(safe_next(request)))
    form = LoginForm(data=request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            result = login_with_password(
                request=request,
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password"],
                next_url=safe_next(request),
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            if not result.verified:
                return redirect(result.next_url)
            return finish_login(request, result.user, result.next_url)
    return render(
        request,
        "eventyay_control/auth/login.html",
        {
            "form": form,
            "next": request.POST.get("next") or request.GET.get("next", ""),
            "allow_signup": settings.ALLOW_SIGNUP,
        },
    )


@sensitive_post_parameters("code")
@never_cache
def login_second_factor(request: HttpRequest) -> HttpResponse:
    user = login_pending_user(request)
    if user is None:
        messages.info(request, _("Please log in again."))
        return redirect("control:auth.login")
    form = SecondFactorForm(data=request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            next_url = login_second_factor_check(request=request, user=user, code=form.cleaned_data["code"])
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return finish_login(request, user, safe_next(request, next_url or None))
    return render(request, "eventyay_control/auth/login_2fa.html", {"form": form})


class LogoutView(auth_views.LogoutView):
    next_page = reverse_lazy("control:auth.login")  # type: ignore[assignment]


@sensitive_post_parameters("password", "password_repeat")
@never_cache
def signup(request: HttpRequest) -> HttpResponse:
    if not settings.ALLOW_SIGNUP:
        raise Http404()
    if request.user.is_authenticated:
        return redirect(safe_next(request))
    form = SignupForm(data=request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            user = user_signup(
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password"],
                fullname=form.cleaned_data["fullname"],
                locale=request.LANGUAGE_CODE if hasattr(request, "LANGUAGE_CODE") else "en",
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            login_complete(request=request, user=user)
            messages.success(request, _("Welcome! Your account has been created."))
            return finish_login(request, user, safe_next(request))
    return render(
        request,
        "eventyay_control/auth/signup.html",
        {"form": form, "next": request.POST.get("next") or request.GET.get("next", "")},
    )


@never_cache
def password_reset(request: HttpRequest) -> HttpResponse:
    form = PasswordResetRequestForm(data=request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        address = client_address(request)
        # Each request counts against the login limit, so nobody can flood an inbox with links.
        if not login_blocked(address=address, email=email, purpose="reset"):
            login_failure_record(address=address, email=email, purpose="reset")
            password_reset_request(email=email)
        messages.success(
            request,
            _("If an account with this address exists, we have sent it a link to choose a new password."),
        )
        return redirect("control:auth.login")
    return render(request, "eventyay_control/auth/password_reset.html", {"form": form})


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "eventyay_control/auth/password_reset_confirm.html"
    form_class = SetPasswordForm
    success_url = reverse_lazy("control:auth.login")

    def form_valid(self, form):  # type: ignore[no-untyped-def]
        messages.success(self.request, gettext_lazy("Your password has been changed. You can log in now."))
        return super().form_valid(form)


@login_required
def invite_accept(request: HttpRequest, token: str) -> HttpResponse:
    with scopes_disabled():
        invite: TeamInvite = get_object_or_404(
            TeamInvite.objects.select_related("team__organizer"), token=token
        )
        if request.method == "POST":
            team = accept_invite(invite=invite, user=request.user)  # type: ignore[arg-type]
            messages.success(
                request,
                _("You are now a member of %(team)s at %(organizer)s.")
                % {"team": team.name, "organizer": team.organizer.name},
            )
            return redirect("control:organizer.index", organizer=team.organizer.slug)
    return render(request, "eventyay_control/auth/invite.html", {"invite": invite})
