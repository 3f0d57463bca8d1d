"""Accounts: sign-up, profile changes, password reset by mail and two-factor devices."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _
from django.utils.translation import override
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from eventyay.base.models import OutgoingMail, User
from eventyay.base.services.log import changes, log_action
from eventyay.base.services.mail import mail_queue

#: Fields a user edits on their own settings page.
USER_FIELDS = ("fullname", "locale", "timezone")
BACKUP_CODE_COUNT = 10
#: The name of the device a user is setting up but has not confirmed yet.
PENDING_DEVICE_NAME = "pending"


def user_signup(*, email: str, password: str, fullname: str = "", locale: str = "en") -> User:
    """Create an account; the password must pass the configured validators."""
    email = email.strip().lower()
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": [_("An account with this email address already exists.")]})
    candidate = User(email=email, fullname=fullname, locale=locale)
    validate_password(password, user=candidate)
    with transaction.atomic():
        user = User.objects.create_user(email, password, fullname=fullname, locale=locale)
        log_action(action="eventyay.user.signed_up", organizer=None, obj=user, actor=user)
    return user


def user_update(*, user: User, data: dict[str, Any], actor: Any = None) -> User:
    before = {field: getattr(user, field) for field in USER_FIELDS}
    with transaction.atomic():
        for field in USER_FIELDS:
            if field in data:
                setattr(user, field, data[field])
        user.full_clean(exclude=["password"])
        user.save(update_fields=list(USER_FIELDS))
        diff = changes(before, {field: getattr(user, field) for field in USER_FIELDS})
        if diff["after"]:
            log_action(
                action="eventyay.user.settings.changed", organizer=None, obj=user, actor=actor, data=diff
            )
    return user


def password_reset_request(*, email: str) -> OutgoingMail | None:
    """Queue a reset link for the account with ``email``, if there is an active one.

    The caller shows the same answer either way, so the form does not reveal who has an account.
    """
    user = User.objects.filter(email__iexact=email.strip(), is_active=True).first()
    if user is None or not user.has_usable_password():
        return None
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    url = settings.SITE_URL + reverse("control:auth.reset.confirm", kwargs={"uidb64": uid, "token": token})
    with override(user.locale), transaction.atomic():
        mail = mail_queue(
            to=[user.email],
            subject=_("Reset your eventyay password"),
            body=_(
                "Hello,\n\nsomeone asked to reset the password of your account %(email)s.\n"
                "If that was you, choose a new password here:\n%(url)s\n\n"
                "If it was not you, ignore this mail; your password stays as it is.\n"
            )
            % {"email": user.email, "url": url},
        )
        log_action(action="eventyay.user.password.reset_requested", organizer=None, obj=user, actor=None)
    return mail


# --- two-factor authentication ---------------------------------------------------------------


def user_has_2fa(user: Any) -> bool:
    """Whether ``user`` has a confirmed second factor (an authenticator app)."""
    if not user.is_authenticated:
        return False
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def user_needs_second_factor(user: User) -> bool:
    """Whether logging in as ``user`` asks for a code after the password (one query).

    Asked on every request of a session that has not confirmed a second factor, so it is one
    query for both device kinds rather than django-otp's one per kind.
    """
    totp = TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)
    static = StaticDevice.objects.filter(user=OuterRef("pk"), confirmed=True)
    return User.objects.filter(pk=user.pk).filter(Exists(totp) | Exists(static)).exists()


def totp_device_pending(*, user: User) -> TOTPDevice:
    """The unconfirmed authenticator the user is setting up; created on first use."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False, name=PENDING_DEVICE_NAME).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=PENDING_DEVICE_NAME, confirmed=False)
    return device


def totp_device_confirm(*, device: TOTPDevice, token: str) -> list[str] | None:
    """Confirm ``device`` with a code from the app.

    Returns fresh backup codes when the user had none yet, an empty list otherwise, and None
    when the code is wrong. An earlier authenticator of the user is replaced.
    """
    with transaction.atomic():
        if not device.verify_token(token.strip().replace(" ", "")):
            return None
        TOTPDevice.objects.filter(user=device.user, confirmed=True).delete()
        device.confirmed = True
        device.name = "authenticator"
        device.save(update_fields=["confirmed", "name"])
        has_codes = StaticToken.objects.filter(device__user=device.user).exists()
        codes = [] if has_codes else backup_codes_regenerate(user=device.user)
        log_action(action="eventyay.user.2fa.enabled", organizer=None, obj=device.user, actor=device.user)
    return codes


def backup_codes_regenerate(*, user: User, count: int = BACKUP_CODE_COUNT) -> list[str]:
    """Replace the user's backup codes; returns the new ones, to be shown once."""
    with transaction.atomic():
        device, _created = StaticDevice.objects.get_or_create(
            user=user, name="backup", defaults={"confirmed": True}
        )
        device.token_set.all().delete()
        codes = [StaticToken.random_token() for _ in range(count)]
        StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
        log_action(action="eventyay.user.2fa.backup_codes", organizer=None, obj=user, actor=user)
    return codes


def backup_codes_remaining(user: User) -> int:
    return StaticToken.objects.filter(device__user=user).count()


def two_factor_remove(*, user: User) -> None:
    """Remove every second factor of ``user``: the authenticator and the backup codes."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
        log_action(action="eventyay.user.2fa.disabled", organizer=None, obj=user, actor=user)
