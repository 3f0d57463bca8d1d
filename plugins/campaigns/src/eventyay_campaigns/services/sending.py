"""Sending a campaign's messages: batches at the organizer's rate, behind transactional mail.

One batch at a time per campaign: a worker first claims the *campaign* with
:func:`~eventyay.base.services.outbox.claim_due` on ``Campaign.next_batch`` (so a task queued
twice, or queued again by the sweep, finds it taken and stops), then claims the batch's
messages in small rounds with the same function, sends each, and records each outcome in its
own short transaction. When the batch is done the campaign's ``next_batch`` moves to the time
the rate allows, and the task queues itself for then.

* **Rate**: the organizer's ``campaigns_rate_per_minute`` setting, shared among the
  organizer's campaigns sending at the same time.
* **Priority**: before each round the batch looks for transactional mail (the core outbox)
  that is due and not yet sent; while there is some, it stops and comes back a few seconds
  later, so order confirmations never wait behind a newsletter.
* **Pause and cancel** are seen before every round: at most one round of messages is sent
  after the campaign left ``sending``.
* **Crashes**: a killed worker leaves its claimed messages and the campaign with leases that
  run out; the periodic sweep (:func:`campaigns_due`) queues the batch again and the messages
  are claimed anew. A message is sent at most once per claim and marked sent right after.
* **Right before sending** each message, the contact's consent and the suppression list are
  read again: a contact who unsubscribed after the list was frozen is ``skipped``.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from eventyay.base.models import Organizer, OutgoingMail
from eventyay.base.services.log import log_action
from eventyay.base.services.outbox import claim_due
from eventyay_campaigns.channels import ChannelError, MessageChannel, channel_get
from eventyay_campaigns.models import Campaign, Contact, Message, Suppression
from eventyay_campaigns.services import tracking
from eventyay_campaigns.services.rendering import campaign_render

logger = logging.getLogger(__name__)

RATE_SETTING = "campaigns_rate_per_minute"
#: Messages per minute and organizer unless the organizer set another rate.
DEFAULT_RATE = 600
MAX_RATE = 100_000
#: Messages claimed at once; pause, cancel and waiting transactional mail are checked between.
ROUND_SIZE = 20
#: Most messages one batch task sends before it hands the worker back.
MAX_BATCH = 200
#: How long a worker holds a claimed message; longer than a send can take (``EMAIL_TIMEOUT``).
MESSAGE_LEASE = dt.timedelta(minutes=10)
#: How long a worker holds a campaign for one batch; a batch is at most ``MAX_BATCH`` sends.
BATCH_LEASE = dt.timedelta(minutes=15)
#: How long a batch steps aside when transactional mail is waiting.
PRIORITY_PAUSE = dt.timedelta(seconds=3)
#: Transactional mail due for longer than this is the mail sweep's business (its task was lost
#: or its broker was down); campaigns do not wait for it.
PRIORITY_WINDOW = dt.timedelta(minutes=2)
MAX_ATTEMPTS = 6
OPEN_STATUSES = (Message.Status.QUEUED, Message.Status.SENDING)


@dataclass
class BatchResult:
    """What one batch did, and when the campaign's next batch is due (None: nothing more)."""

    sent: int = 0
    failed: int = 0
    skipped: int = 0
    retried: int = 0
    claimed_campaign: bool = False
    next_batch: dt.datetime | None = None

    @property
    def handled(self) -> int:
        return self.sent + self.failed + self.skipped + self.retried


def organizer_rate(organizer: Organizer) -> int:
    """Messages per minute the organizer's campaigns may send together."""
    try:
        rate = int(organizer.settings.get(RATE_SETTING) or DEFAULT_RATE)
    except (TypeError, ValueError):
        rate = DEFAULT_RATE
    return max(1, min(rate, MAX_RATE))


def rate_set(*, organizer: Organizer, rate: int, actor: Any = None) -> None:
    """Set how many messages a minute the organizer's campaigns may send together."""
    if not 1 <= rate <= MAX_RATE:
        raise ValidationError({"rate": [f"Between 1 and {MAX_RATE}."]})
    with transaction.atomic():
        organizer.settings.set(RATE_SETTING, rate)
        log_action(action="campaigns.rate.changed", organizer=organizer, actor=actor, data={"rate": rate})


def transactional_mail_waiting(now: dt.datetime | None = None) -> bool:
    """Whether core mail (confirmations, password resets, ...) is due and not sent yet."""
    now = now or timezone.now()
    with scopes_disabled():
        return OutgoingMail.objects.filter(
            status=OutgoingMail.Status.QUEUED,
            next_attempt__lte=now,
            next_attempt__gt=now - PRIORITY_WINDOW,
        ).exists()


def campaign_batch_send(*, campaign_id: int, now: dt.datetime | None = None) -> BatchResult:
    """Send one batch of a sending campaign if it is due and no other worker holds it."""
    result = BatchResult()
    started = now or timezone.now()
    with scopes_disabled():
        claimed = claim_due(
            Campaign.objects.filter(pk=campaign_id, status=Campaign.Status.SENDING),
            lease=BATCH_LEASE,
            due_field="next_batch",
            now=started,
        )
    if not claimed:
        return result
    result.claimed_campaign = True
    campaign = claimed[0]
    organizer = campaign.organizer
    with scope(organizer=organizer):
        channel = channel_get(campaign.channel)
        sharing = max(1, Campaign.objects.filter(organizer=organizer, status=Campaign.Status.SENDING).count())
        per_minute = max(1, organizer_rate(organizer) // sharing)
        budget = max(1, min(MAX_BATCH, per_minute))
        while result.handled < budget:
            if not _still_sending(campaign.pk):
                return result
            if transactional_mail_waiting():
                result.next_batch = timezone.now() + PRIORITY_PAUSE
                break
            messages = claim_due(
                Message.objects.filter(campaign=campaign, status__in=OPEN_STATUSES),
                lease=MESSAGE_LEASE,
                limit=min(ROUND_SIZE, budget - result.handled),
                now=max(started, timezone.now()),
                status=Message.Status.SENDING,
                attempts=F("attempts") + 1,
            )
            if not messages:
                break
            contacts = Contact.objects.in_bulk([m.contact_id for m in messages if m.contact_id])
            # Read for the round just claimed: one query instead of one per message.
            suppressed = suppressed_addresses(organizer, campaign.channel, [m.recipient for m in messages])
            for message in messages:
                message.campaign = campaign
                message.organizer = organizer
                message.contact = contacts.get(message.contact_id) if message.contact_id else None
                _deliver(message, channel, result, suppressed)
        if result.next_batch is None:
            result.next_batch = _next_batch_time(campaign, started, result, per_minute)
        _batch_finish(campaign, result.next_batch)
    return result


def _still_sending(campaign_id: int) -> bool:
    return Campaign.objects.filter(pk=campaign_id, status=Campaign.Status.SENDING).exists()


def _next_batch_time(
    campaign: Campaign, started: dt.datetime, result: BatchResult, per_minute: int
) -> dt.datetime | None:
    """When the rate allows the next batch; the earliest retry if only retries are left."""
    paced = started + dt.timedelta(seconds=60 * result.handled / per_minute)
    earliest = (
        Message.objects.filter(campaign=campaign, status__in=OPEN_STATUSES)
        .order_by("next_attempt")
        .values_list("next_attempt", flat=True)
        .first()
    )
    if earliest is None:
        return None
    return max(paced, earliest)


def _batch_finish(campaign: Campaign, next_batch: dt.datetime | None) -> None:
    """Hand the campaign on to its next batch, or mark it sent when no message is open."""
    sending = Campaign.objects.filter(pk=campaign.pk, status=Campaign.Status.SENDING)
    if next_batch is not None:
        sending.update(next_batch=next_batch)
        return
    if Message.objects.filter(campaign=campaign, status__in=OPEN_STATUSES).exists():
        sending.update(next_batch=timezone.now() + PRIORITY_PAUSE)
        return
    sending.update(status=Campaign.Status.SENT, finished_at=timezone.now(), next_batch=None)


def suppressed_addresses(organizer: Organizer, channel: str, addresses: list[str]) -> set[str]:
    """Which of ``addresses`` are suppressed on ``channel`` now, lower-cased."""
    keys = {address.strip().lower() for address in addresses}
    return set(
        Suppression.objects.filter(organizer=organizer, channel=channel, address_key__in=keys).values_list(
            "address_key", flat=True
        )
    )


def message_may_send(message: Message, channel: MessageChannel, suppressed: set[str] | None = None) -> bool:
    """Read consent and suppression again, right before sending.

    ``suppressed`` holds the suppressed addresses of the round the message was claimed in,
    read after claiming; without it the suppression list is asked for this message alone.
    """
    contact = message.contact
    if contact is None or not getattr(contact, channel.consent_field, False):
        return False
    if channel.address(contact).lower() != message.recipient.lower():
        # The contact changed the address since the list was frozen; never mail the old one.
        return False
    if suppressed is not None:
        return message.recipient.strip().lower() not in suppressed
    return not tracking.is_suppressed(message.organizer, message.channel, message.recipient)


def _deliver(
    message: Message, channel: MessageChannel | None, result: BatchResult, suppressed: set[str]
) -> None:
    claimed = Message.objects.filter(pk=message.pk, status=Message.Status.SENDING)
    if channel is None:
        claimed.update(status=Message.Status.FAILED, error="channel not installed", next_attempt=None)
        result.failed += 1
        return
    if not message_may_send(message, channel, suppressed):
        claimed.update(status=Message.Status.SKIPPED, next_attempt=None)
        result.skipped += 1
        return
    campaign = message.campaign
    assert campaign is not None
    try:
        content = campaign_render(
            campaign=campaign, contact=message.contact, channel=channel, message=message
        )
        provider_id = channel.send(message, content)
    except Exception as exc:
        if isinstance(exc, ChannelError):
            logger.warning("Sending campaign message %s failed: %s", message.pk, exc)
        else:
            logger.exception("Rendering or sending campaign message %s failed", message.pk)
        transient = exc.transient if isinstance(exc, ChannelError) else True
        final = not transient or message.attempts >= MAX_ATTEMPTS
        claimed.update(
            status=Message.Status.FAILED if final else Message.Status.QUEUED,
            error=str(exc)[:2000],
            next_attempt=None if final else timezone.now() + dt.timedelta(minutes=2**message.attempts),
        )
        if final:
            result.failed += 1
        else:
            result.retried += 1
        return
    claimed.update(
        status=Message.Status.SENT,
        sent_at=timezone.now(),
        provider_id=(provider_id or "")[:200],
        error="",
        next_attempt=None,
    )
    result.sent += 1


def campaigns_due(now: dt.datetime | None = None) -> list[int]:
    """Ids of sending campaigns whose next batch is due: never queued, lost, or after a crash."""
    now = now or timezone.now()
    with scopes_disabled():
        due = Campaign.objects.filter(status=Campaign.Status.SENDING, next_batch__lte=now)
        return list(due.order_by("next_batch").values_list("pk", flat=True)[:500])
