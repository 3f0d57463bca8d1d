"""Double opt-in sign-up: a public form asks, only the link in the mail it sends gives consent.

Nothing is stored when the form is sent: the name and address travel in the signed, expiring
token of the confirmation link (``django.core.signing``), so a form filled in with someone
else's address creates no contact and gives no consent. Confirming creates or updates the
contact and records marketing consent with the source ``signup`` and the time.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from eventyay.base.models import Organizer
from eventyay.base.services.log import log_action
from eventyay.base.services.mail import mail_queue
from eventyay_campaigns.models import Contact
from eventyay_campaigns.services.contacts import contact_save, normalise_email

SALT = "eventyay_campaigns.signup"
#: How long a confirmation link works.
TOKEN_MAX_AGE = dt.timedelta(days=3)


class SignupTokenInvalid(Exception):
    """The confirmation link is forged, altered, expired or for another organizer."""


def signup_token(*, organizer: Organizer, email: str, first_name: str, last_name: str) -> str:
    return signing.dumps(
        {"o": organizer.pk, "e": email, "f": first_name, "l": last_name}, salt=SALT, compress=True
    )


def signup_request(
    *, organizer: Organizer, email: str, first_name: str, last_name: str, confirm_url: str
) -> None:
    """Mail a confirmation link to ``email``; ``confirm_url`` is the absolute URL prefix.

    One mail per address and hour at most (the outbox's delivery key), so the form cannot be
    used to flood an inbox.
    """
    email = normalise_email(email)
    token = signup_token(organizer=organizer, email=email, first_name=first_name, last_name=last_name)
    link = confirm_url + reverse(
        "plugins:campaigns:signup.confirm", kwargs={"organizer": organizer.slug, "token": token}
    )
    hour = timezone.now().strftime("%Y%m%d%H")
    body = _(
        "Hello {name},\n\nplease confirm that {organizer} may send you news by email:\n\n{link}\n\n"
        "The link works for {days} days. If you did not ask for this, ignore this mail: "
        "nothing was stored."
    ).format(
        name=first_name or email,
        organizer=organizer.name,
        link=link,
        days=TOKEN_MAX_AGE.days,
    )
    mail_queue(
        to=[email],
        subject=_("Please confirm your subscription to {organizer}").format(organizer=organizer.name),
        body=body,
        organizer=organizer,
        delivery_key=f"campaigns:signup:{organizer.pk}:{email}:{hour}",
    )


def signup_data(*, organizer: Organizer, token: str) -> dict[str, Any]:
    """What the confirmation link carries; raises :class:`SignupTokenInvalid`."""
    try:
        data = signing.loads(token, salt=SALT, max_age=TOKEN_MAX_AGE)
    except signing.BadSignature:  # includes SignatureExpired
        raise SignupTokenInvalid() from None
    if not isinstance(data, dict) or data.get("o") != organizer.pk or not data.get("e"):
        raise SignupTokenInvalid()
    return data


def signup_confirm(*, organizer: Organizer, token: str) -> Contact:
    """Create or update the contact of a valid link and record its consent (one transaction)."""
    data = signup_data(organizer=organizer, token=token)
    with transaction.atomic():
        contact = Contact.objects.select_for_update().filter(organizer=organizer, email_key=data["e"]).first()
        profile: dict[str, Any] = {"email": data["e"]}
        # A sign-up never overwrites a name the organizer already has.
        if contact is None or not contact.first_name:
            profile["first_name"] = data["f"]
        if contact is None or not contact.last_name:
            profile["last_name"] = data["l"]
        contact = contact_save(
            organizer=organizer,
            contact=contact,
            data=profile,
            consent_source=Contact.ConsentSource.SIGNUP,
        )
        # Recorded even for a contact that had consent already: this is the confirmed opt-in.
        contact.marketing_consent = True
        contact.consent_source = Contact.ConsentSource.SIGNUP
        contact.consent_at = timezone.now()
        contact.save(update_fields=["marketing_consent", "consent_source", "consent_at", "updated"])
        log_action(
            action="campaigns.contact.signup_confirmed",
            organizer=organizer,
            obj=contact,
            data={"marketing_consent": True, "consent_source": "signup"},
        )
    return contact
