"""Forms for logging in, signing up, password reset, user settings and two-factor set-up."""

from __future__ import annotations

import zoneinfo
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.password_validation import password_validators_help_text_html, validate_password
from django.utils.translation import gettext_lazy as _

from eventyay.base.models import User
from eventyay.control.forms import BootstrapMixin


def timezone_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in sorted(zoneinfo.available_timezones())]


class LoginForm(BootstrapMixin, forms.Form):
    """Email and password; the view hands them to the login service, which checks them."""

    email = forms.EmailField(label=_("Email"), widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class SecondFactorForm(BootstrapMixin, forms.Form):
    code = forms.CharField(
        label=_("Code from your authenticator app, or a backup code"),
        max_length=16,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True}
        ),
    )


class SignupForm(BootstrapMixin, forms.Form):
    email = forms.EmailField(label=_("Email"), widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    fullname = forms.CharField(label=_("Full name"), max_length=255, required=False)
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validators_help_text_html(),
    )
    password_repeat = forms.CharField(
        label=_("Password (again)"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(_("An account with this email address already exists."))
        return email

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        password = data.get("password")
        if password and data.get("password_repeat") != password:
            self.add_error("password_repeat", _("The two passwords do not match."))
        elif password:
            candidate = User(email=data.get("email") or "", fullname=data.get("fullname") or "")
            try:
                validate_password(password, user=candidate)
            except forms.ValidationError as error:
                self.add_error("password", error)
        return data


class PasswordResetRequestForm(BootstrapMixin, forms.Form):
    email = forms.EmailField(label=_("Email"), widget=forms.EmailInput(attrs={"autocomplete": "email"}))


class UserSettingsForm(BootstrapMixin, forms.Form):
    fullname = forms.CharField(label=_("Full name"), max_length=255, required=False)
    locale = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    timezone = forms.ChoiceField(label=_("Time zone"), choices=timezone_choices)


class PasswordConfirmForm(BootstrapMixin, forms.Form):
    """Asks for the current password before a security-relevant change."""

    password = forms.CharField(
        label=_("Your current password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, user: User, *args: Any, **kwargs: Any) -> None:
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("The password is wrong."))
        return password


class SetPasswordForm(BootstrapMixin, auth_forms.SetPasswordForm):
    """Choosing a new password after a reset link; the password validators apply."""


class PasswordChangeForm(BootstrapMixin, auth_forms.PasswordChangeForm):
    """Changing the password while logged in; asks for the old one, validators apply."""
