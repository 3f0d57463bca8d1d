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
  after a pause. A cancel is also seen before every message: the claimed messages not sent
  yet become ``canceled`` and nothing stays ``sending``; messages of a worker that died
  holding them are settled by the sweep once their lease ran out
  (:func:`canceled_leftovers_settle`).
* **Crashes**: a killed worker leaves its claimed messages and the campaign with leases that
  run out; the periodic sweep (:func:`campaigns_due`) queues the batch again and the messages
  are claimed anew. A message is sent at most once per claim and marked sent right after.
* **Right before sending** each message, the contact's consent and the suppression list are
  read again: a contact who unsubscribed after the list was frozen is ``skipped``.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from eventyay.base.models import Organizer, OutgoingMail
from eventyay.base.services.log import log_action
from eventyay.base.services.outbox import claim_due
from eventyay_campaigns.channels import ChannelError, MessageChannel, RenderedMessage, channel_get
from eventyay_campaigns.models import AutomationStep, Campaign, Contact, Message, Suppression
from eventyay_campaigns.services import tracking
from eventyay_campaigns.services.figures import figure_add, utc_day
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
        sharing = max(1, Campaign.objects.filter(organizer=organizer, status=Campaign.Status.SENDING).count())
        per_minute = max(1, organizer_rate(organizer) // sharing)
        budget = max(1, min(MAX_BATCH, per_minute))

        def hold() -> str | None:
            if not _still_sending(campaign.pk):
                return "stopped"
            if transactional_mail_waiting():
                return "priority"
            return None

        stopped = messages_send(
            Message.objects.filter(campaign=campaign),
            budget=budget,
            now=started,
            result=result,
            hold=hold,
            campaign=campaign,
        )
        if not _still_sending(campaign.pk):
            # Canceled during the batch: retries its rounds queued again are settled too.
            canceled_leftovers_settle(campaign_id=campaign.pk)
            return result
        if stopped == "priority":
            result.next_batch = timezone.now() + PRIORITY_PAUSE
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


def messages_send(
    queryset: QuerySet[Message],
    *,
    budget: int,
    now: dt.datetime | None = None,
    result: BatchResult | None = None,
    hold: Callable[[], str | None] | None = None,
    campaign: Campaign | None = None,
) -> str | None:
    """The one delivery path of the plugin's outbox: campaign and automation messages alike.

    Claims the due messages of ``queryset`` in rounds of ``ROUND_SIZE`` with leases
    (``SELECT … FOR UPDATE SKIP LOCKED``), at most ``budget`` of them (the caller's share of
    the rate), reads suppression once per round, and hands each message to its channel, with
    retries on transient errors. Before every round ``hold`` may stop the sending (a paused or
    canceled campaign, waiting transactional mail); what it returned is returned, None when
    the budget or the due messages ran out. Messages differ only in how they were written and
    rendered (:func:`message_content`).
    """
    result = result if result is not None else BatchResult()
    started = now or timezone.now()
    while result.handled < budget:
        reason = hold() if hold is not None else None
        if reason is not None:
            return reason
        with scopes_disabled():
            messages = claim_due(
                queryset.filter(status__in=OPEN_STATUSES),
                lease=MESSAGE_LEASE,
                limit=min(ROUND_SIZE, budget - result.handled),
                now=max(started, timezone.now()),
                status=Message.Status.SENDING,
                attempts=F("attempts") + 1,
            )
        if not messages:
            return None
        _round_deliver(messages, result, campaign)
    return None


def _round_deliver(messages: list[Message], result: BatchResult, campaign: Campaign | None) -> None:
    """Deliver one claimed round, organizer by organizer (automation rounds mix them)."""
    by_organizer: dict[int, list[Message]] = {}
    for message in messages:
        by_organizer.setdefault(message.organizer_id, []).append(message)
    with scopes_disabled():
        organizers = Organizer.objects.in_bulk(list(by_organizer))
    for organizer_id, group in by_organizer.items():
        organizer = organizers[organizer_id]
        with scope(organizer=organizer):
            contacts = Contact.objects.in_bulk([m.contact_id for m in group if m.contact_id])
            steps = AutomationStep.objects.select_related("action__template").in_bulk(
                [m.automation_step_id for m in group if m.automation_step_id]
            )
            suppressed: dict[str, set[str]] = {}
            for channel_name in {m.channel for m in group}:
                addresses = [m.recipient for m in group if m.channel == channel_name]
                suppressed[channel_name] = suppressed_addresses(organizer, channel_name, addresses)
            for index, message in enumerate(group):
                if campaign is not None and _canceled(campaign.pk):
                    # Canceled while this round was being sent: what is not sent yet never
                    # will be. (A pause lets the round finish; its messages are sent.)
                    Message.objects.filter(
                        pk__in=[m.pk for m in group[index:]], status=Message.Status.SENDING
                    ).update(status=Message.Status.CANCELED, next_attempt=None)
                    return
                message.organizer = organizer
                if campaign is not None and message.campaign_id == campaign.pk:
                    message.campaign = campaign
                message.contact = contacts.get(message.contact_id) if message.contact_id else None
                if message.automation_step_id:
                    message.automation_step = steps.get(message.automation_step_id)
                _deliver(message, channel_get(message.channel), result, suppressed[message.channel])


def message_content(message: Message, channel: MessageChannel) -> RenderedMessage | None:
    """What ``message`` says: its campaign's text, or its automation step's template.

    None when its source is gone (the template of the step was deleted).
    """
    campaign = message.campaign
    if campaign is None:
        step = message.automation_step
        template = step.action.template if step is not None else None
        if template is None:
            return None
        # A template is rendered as a campaign of one message, never saved.
        campaign = Campaign(
            organizer=message.organizer,
            channel=template.channel,
            subject=template.subject,
            body=template.body,
        )
    return campaign_render(campaign=campaign, contact=message.contact, channel=channel, message=message)


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
    try:
        content = message_content(message, channel)
        if content is None:
            claimed.update(status=Message.Status.CANCELED, error="the template is gone", next_attempt=None)
            result.skipped += 1
            return
        provider_id = channel.send(message, content)
    except Exception as exc:
        if isinstance(exc, ChannelError):
            logger.warning("Sending message %s failed: %s", message.pk, exc)
        else:
            logger.exception("Rendering or sending message %s failed", message.pk)
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
    sent_at = timezone.now()
    with transaction.atomic():
        marked = claimed.update(
            status=Message.Status.SENT,
            sent_at=sent_at,
            provider_id=(provider_id or "")[:200],
            error="",
            next_attempt=None,
        )
        if marked:
            figure_add(
                organizer_id=message.organizer_id,
                campaign_id=message.campaign_id,
                kind="sent",
                day=utc_day(sent_at),
            )
    result.sent += 1


def _canceled(campaign_id: int) -> bool:
    return Campaign.objects.filter(pk=campaign_id, status=Campaign.Status.CANCELED).exists()


def canceled_leftovers_settle(*, campaign_id: int | None = None, now: dt.datetime | None = None) -> int:
    """Mark ``canceled`` the open messages of canceled campaigns that no worker holds any more.

    Canceling leaves the messages a worker holds to that worker; the ones it queued again for
    a retry, and those of a worker that died holding them (lease run out), are settled here:
    by the batch that saw the cancel, and by the periodic sweep.
    """
    now = now or timezone.now()
    with scopes_disabled():
        leftovers = Message.objects.filter(campaign__status=Campaign.Status.CANCELED).filter(
            Q(status=Message.Status.QUEUED) | Q(status=Message.Status.SENDING, next_attempt__lte=now)
        )
        if campaign_id is not None:
            leftovers = leftovers.filter(campaign_id=campaign_id)
        return leftovers.update(status=Message.Status.CANCELED, next_attempt=None)


def campaigns_due(now: dt.datetime | None = None) -> list[int]:
    """Ids of sending campaigns whose next batch is due: never queued, lost, or after a crash."""
    now = now or timezone.now()
    with scopes_disabled():
        due = Campaign.objects.filter(status=Campaign.Status.SENDING, next_batch__lte=now)
        return list(due.order_by("next_batch").values_list("pk", flat=True)[:500])
