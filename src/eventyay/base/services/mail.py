"""The mail outbox: mails are rows written with the change that causes them, sent by Celery."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta
from email.utils import formataddr
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django_scopes import scopes_disabled

from eventyay.base.models import OutgoingMail
from eventyay.base.services.outbox import claim_due
from eventyay.base.storage import private_storage

if TYPE_CHECKING:
    from eventyay.base.models import Event, Organizer

logger = logging.getLogger(__name__)
MAX_ATTEMPTS = 8
#: How long a worker holds a mail it is sending; longer than a send can take (``EMAIL_TIMEOUT``).
MAIL_LEASE = timedelta(minutes=10)
OPEN_STATUSES = (OutgoingMail.Status.QUEUED, OutgoingMail.Status.SENDING)


def mail_context(*, event: Event | None = None, organizer: Organizer | None = None) -> dict[str, Any]:
    """Placeholders every mail template may use: core ones plus those plugins offer."""
    context: dict[str, Any] = {"site_url": settings.SITE_URL}
    if organizer is not None:
        context["organizer"] = organizer.name
    if event is not None:
        from eventyay.base.plugins.manager import hooks_for

        context.update(
            organizer=event.organizer.name,
            event=str(event.name),
            event_url=settings.SITE_URL + event.get_absolute_url(),
        )
        for extra in hooks_for(event).mail_placeholders(event=event):
            context.update(extra or {})
    return context


def render_mail_template(text: str, context: dict[str, Any]) -> str:
    """Render an organizer-editable template with ``{placeholder}`` syntax; unknown ones stay."""

    class Keep(dict):
        def __missing__(self, key: str) -> str:
            return "{" + key + "}"

    return str(text).format_map(Keep({k: "" if v is None else v for k, v in context.items()}))


def mail_queue(
    *,
    to: Sequence[str],
    subject: str,
    body: str,
    organizer: Organizer | None = None,
    event: Event | None = None,
    html: str = "",
    reply_to: str = "",
    delivery_key: str | None = None,
    attachments: Sequence[dict[str, str]] = (),
) -> OutgoingMail:
    """Write a mail to the outbox; it is sent after the surrounding transaction commits.

    Queueing twice with the same ``delivery_key`` returns the first mail and sends only once.
    """
    if organizer is None and event is not None:
        organizer = event.organizer
    defaults = {
        "organizer": organizer,
        "event": event,
        "to": list(to),
        "subject": subject.replace("\n", " ")[:998],
        "body_text": body,
        "body_html": html,
        "reply_to": reply_to,
        "attachments": list(attachments),
    }
    with scopes_disabled():
        if delivery_key:
            mail, created = OutgoingMail.objects.get_or_create(delivery_key=delivery_key, defaults=defaults)
        else:
            mail, created = OutgoingMail.objects.create(**defaults), True
    if created:
        from eventyay.base.tasks import send_mail

        mail_id = mail.pk
        # A broker error is logged, not raised into the committed request; the sweep sends it.
        transaction.on_commit(lambda: send_mail.delay(mail_id), robust=True)
    return mail


def mail_send(*, mail_id: int) -> bool:
    """Send one queued mail if it is due and no other worker holds it; True when this call sent it.

    The mail is claimed with a lease (:func:`~eventyay.base.services.outbox.claim_due`) so that a
    redelivered task or a second sweep cannot send it a second time while it is being sent, and
    marked sent in its own short transaction right after the send: a worker that dies in
    between leaves the mail to be sent again once the lease ran out, the one case in which a
    recipient may get it twice.
    """
    with scopes_disabled():
        claimed = claim_due(
            OutgoingMail.objects.filter(pk=mail_id, status__in=OPEN_STATUSES),
            lease=MAIL_LEASE,
            status=OutgoingMail.Status.SENDING,
            attempts=F("attempts") + 1,
        )
    if not claimed:
        return False
    mail = claimed[0]
    sender = settings.MAIL_FROM
    if mail.event_id and mail.event is not None:
        from_name = mail.event.settings.get("mail_from_name") or str(mail.event.name)
        # A display name may hold commas, quotes or non-ASCII letters ("PyCon DE, Berlin").
        sender = formataddr((from_name, settings.MAIL_FROM))
    message = EmailMultiAlternatives(
        subject=mail.subject,
        body=mail.body_text,
        from_email=sender,
        to=mail.to,
        reply_to=[mail.reply_to] if mail.reply_to else None,
        headers={"X-Eventyay-Delivery": str(mail.delivery_key)},
    )
    if mail.body_html:
        message.attach_alternative(mail.body_html, "text/html")
    try:
        for attachment in mail.attachments:
            with private_storage.open(attachment["path"], "rb") as fh:
                message.attach(attachment["name"], fh.read(), attachment.get("mimetype"))
        message.send()
    except Exception as exc:
        logger.warning("Sending mail %s failed: %s", mail.pk, exc)
        failed = mail.attempts >= MAX_ATTEMPTS
        with scopes_disabled():
            OutgoingMail.objects.filter(pk=mail.pk, status=OutgoingMail.Status.SENDING).update(
                status=OutgoingMail.Status.FAILED if failed else OutgoingMail.Status.QUEUED,
                error=str(exc)[:2000],
                next_attempt=None if failed else timezone.now() + timedelta(minutes=2**mail.attempts),
            )
        return False
    with scopes_disabled():
        OutgoingMail.objects.filter(pk=mail.pk, status=OutgoingMail.Status.SENDING).update(
            status=OutgoingMail.Status.SENT, sent=timezone.now(), error="", next_attempt=None
        )
    return True


def mail_due_for_retry() -> list[int]:
    """Ids of mails due now: never tried, to be retried, or held by a worker whose lease ran out."""
    with scopes_disabled():
        due = OutgoingMail.objects.filter(status__in=OPEN_STATUSES, next_attempt__lte=timezone.now())
        return list(due.order_by("next_attempt").values_list("pk", flat=True)[:500])
