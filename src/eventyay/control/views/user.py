"""The user's own settings: profile, password and two-factor authentication."""

from __future__ import annotations

from base64 import b32encode

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from eventyay.base.services.auth import (
    backup_codes_regenerate,
    backup_codes_remaining,
    totp_device_confirm,
    totp_device_pending,
    two_factor_remove,
    user_has_2fa,
    user_update,
)
from eventyay.control.forms import add_service_errors
from eventyay.control.forms.auth import (
    PasswordChangeForm,
    PasswordConfirmForm,
    SecondFactorForm,
    UserSettingsForm,
)
from eventyay.control.views.auth import safe_next

#: Session key holding freshly generated backup codes until the page showing them is opened.
NEW_CODES = "eventyay_new_backup_codes"


@login_required
def user_settings(request: HttpRequest) -> HttpResponse:
    user = request.user
    initial = {"fullname": user.fullname, "locale": user.locale, "timezone": user.timezone}  # type: ignore[union-attr]
    form = UserSettingsForm(data=request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            user_update(user=user, data=form.cleaned_data, actor=user)  # type: ignore[arg-type]
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Your settings have been saved."))
            response = redirect("control:user.settings")
            response.set_cookie(settings.LANGUAGE_COOKIE_NAME, user.locale, samesite="Lax")  # type: ignore[union-attr]
            return response
    return render(request, "eventyay_control/user/settings.html", {"form": form})


@sensitive_post_parameters()
@login_required
def password_change(request: HttpRequest) -> HttpResponse:
    form = PasswordChangeForm(request.user, data=request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        form.save()
        update_session_auth_hash(request, form.user)
        messages.success(request, _("Your password has been changed."))
        return redirect("control:user.settings")
    return render(request, "eventyay_control/user/password.html", {"form": form})


@login_required
def two_factor(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "eventyay_control/user/2fa.html",
        {
            "enabled": user_has_2fa(request.user),
            "backup_codes_left": backup_codes_remaining(request.user),  # type: ignore[arg-type]
            "new_codes": request.session.pop(NEW_CODES, None),
            "next": safe_next(request) if request.GET.get("next") else "",
            "remove_form": PasswordConfirmForm(request.user),  # type: ignore[arg-type]
        },
    )


def qr_code_svg(data: str) -> str:
    """An inline SVG QR code, rendered on the server so the page needs no script."""
    return segno.make(data, error="m").svg_inline(scale=5, dark="#000", light="#fff", title="QR code")


@never_cache
@login_required
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    device = totp_device_pending(user=request.user)  # type: ignore[arg-type]
    form = SecondFactorForm(data=request.POST if request.method == "POST" else None)
    form.fields["code"].label = _("Code shown in your authenticator app")
    if request.method == "POST" and form.is_valid():
        codes = totp_device_confirm(device=device, token=form.cleaned_data["code"])
        if codes is None:
            form.add_error("code", _("This code is not valid. Check your device's clock and try again."))
        else:
            otp_login(request, device)
            messages.success(request, _("Two-factor authentication is now enabled."))
            if codes:
                request.session[NEW_CODES] = codes
            next_url = request.POST.get("next") or request.GET.get("next")
            if next_url and not codes:
                return redirect(safe_next(request, next_url))
            if next_url:
                return redirect(
                    reverse("control:user.2fa") + "?" + urlencode({"next": safe_next(request, next_url)})
                )
            return redirect("control:user.2fa")
    secret = b32encode(device.bin_key).decode()
    return render(
        request,
        "eventyay_control/user/2fa_setup.html",
        {
            "form": form,
            "qr_svg": mark_safe(qr_code_svg(device.config_url)),  # segno's markup, no user input
            "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
            "next": request.POST.get("next") or request.GET.get("next", ""),
            "already_enabled": user_has_2fa(request.user),
        },
    )


@require_POST
@login_required
def two_factor_backup_codes(request: HttpRequest) -> HttpResponse:
    if not user_has_2fa(request.user):
        return redirect("control:user.2fa")
    request.session[NEW_CODES] = backup_codes_regenerate(user=request.user)  # type: ignore[arg-type]
    messages.success(request, _("New backup codes have been created; the old ones no longer work."))
    return redirect("control:user.2fa")


@sensitive_post_parameters("password")
@require_POST
@login_required
def two_factor_remove_view(request: HttpRequest) -> HttpResponse:
    form = PasswordConfirmForm(request.user, data=request.POST)  # type: ignore[arg-type]
    if form.is_valid():
        two_factor_remove(user=request.user)  # type: ignore[arg-type]
        messages.success(request, _("Two-factor authentication has been switched off."))
        return redirect("control:user.2fa")
    return render(
        request,
        "eventyay_control/user/2fa.html",
        {
            "enabled": user_has_2fa(request.user),
            "backup_codes_left": backup_codes_remaining(request.user),  # type: ignore[arg-type]
            "remove_form": form,
        },
        status=400,
    )
