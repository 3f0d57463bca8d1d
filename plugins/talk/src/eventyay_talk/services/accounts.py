"""Speaker accounts are core users; this creates one from the CfP's sign-up step."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from eventyay.base.models import Event, User
from eventyay.base.services.log import log_action


def speaker_account_create(*, event: Event, email: str, password: str, name: str) -> User:
    """Create a core user for a new speaker (refused if sign-up is off or the email is taken)."""
    if not settings.ALLOW_SIGNUP:
        raise ValidationError(_("New accounts cannot be created on this site; please log in."))
    email = email.strip().lower()
    with transaction.atomic():
        if User.objects.filter(email__iexact=email).exists():
            raise ValidationError(
                {"signup_email": [_("There already is an account with this email; log in.")]}
            )
        user = User.objects.create_user(email, password, fullname=name.strip(), locale=event.locale)
        log_action(
            action="eventyay_talk.speaker.signed_up",
            organizer=event.organizer,
            event=event,
            obj=user,
            actor=user,
            data={"email": email},
        )
    return user


def speaker_user_for_email(*, event: Event, email: str, name: str = "") -> User:
    """The user with ``email``, created without a password when organizers add a speaker.

    The speaker sets a password through the normal password reset when they want to log in.
    """
    email = email.strip().lower()
    user = User.objects.filter(email__iexact=email).first()
    if user is not None:
        return user
    with transaction.atomic():
        user = User.objects.create_user(email, None, fullname=name.strip(), locale=event.locale)
        log_action(
            action="eventyay_talk.speaker.account_created",
            organizer=event.organizer,
            event=event,
            obj=user,
            data={"email": email},
        )
    return user
