"""Executing automation steps when they come due, and sending the messages they write.

Steps are claimed like every outbox row (:func:`eventyay.base.services.outbox.claim_due` on
``next_attempt``), from a task queued after the run was written or from the beat task that
finds the delayed ones and those whose task got lost. Each outcome is recorded on the step, so
the contact's timeline shows what happened. A step sending a message writes it to the
campaigns outbox; the message is then sent by the same delivery path as campaign messages
(:func:`eventyay_campaigns.services.sending.messages_send`).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable

from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django_scopes import scope, scopes_disabled

from eventyay.base.models import Organizer
from eventyay.base.services import http
from eventyay.base.services.outbox import claim_due
from eventyay_campaigns.channels import channel_get
from eventyay_campaigns.models import (
    AutomationAction,
    AutomationRule,
    AutomationStep,
    Contact,
    Message,
)
from eventyay_campaigns.services.automation import contact_matches, contact_tag_add, contact_tag_remove
from eventyay_campaigns.services.sending import BatchResult, messages_send, organizer_rate

logger = logging.getLogger(__name__)

#: How long a claimed step is reserved for the worker executing it (webhook timeouts included).
STEP_LEASE = dt.timedelta(minutes=5)
BATCH = 200
#: The window of the organizer's rate for automation messages.
RATE_WINDOW = dt.timedelta(minutes=1)
MAX_ATTEMPTS = 5
WEBHOOK_TIMEOUT = 10.0


def _claimable() -> QuerySet[AutomationStep]:
    return AutomationStep.objects.filter(
        status=AutomationStep.Status.PENDING, run__rule__status=AutomationRule.Status.ACTIVE
    )


def steps_run(*, step_ids: Iterable[int]) -> int:
    """Claim and execute the given steps if they are (still) due; returns how many ran."""
    with scopes_disabled():
        claimed = claim_due(
            _claimable().filter(pk__in=list(step_ids)),
            lease=STEP_LEASE,
            limit=BATCH,
            attempts=F("attempts") + 1,
        )
    for step in claimed:
        step_execute(step_id=step.pk)
    return len(claimed)


def steps_run_due(*, now: dt.datetime | None = None) -> int:
    """Beat task body: claim and execute every due step, batch by batch."""
    total = 0
    while True:
        with scopes_disabled():
            claimed = claim_due(
                _claimable(), lease=STEP_LEASE, limit=BATCH, now=now, attempts=F("attempts") + 1
            )
        for step in claimed:
            step_execute(step_id=step.pk)
        total += len(claimed)
        if len(claimed) < BATCH:
            return total


class StepFailed(Exception):
    def __init__(self, message: str, *, transient: bool) -> None:
        super().__init__(message)
        self.transient = transient


def _settle(step: AutomationStep, status: str, detail: str) -> None:
    step.status = status
    step.detail = detail[:2000]
    step.next_attempt = None
    step.executed_at = timezone.now()
    step.save(update_fields=["status", "detail", "next_attempt", "executed_at"])


def step_execute(*, step_id: int) -> None:
    """Execute one claimed step and record what happened on it."""
    with scopes_disabled():
        step = (
            AutomationStep.objects.select_related(
                "organizer", "run__rule__organizer", "run__contact", "action__template"
            )
            .filter(pk=step_id)
            .first()
        )
    if step is None or step.status != AutomationStep.Status.PENDING:
        return
    rule = step.run.rule
    with scope(organizer=step.organizer):
        if rule.status != AutomationRule.Status.ACTIVE:
            _settle(step, AutomationStep.Status.CANCELED, _("The rule was paused."))
            return
        contact = step.run.contact
        if not contact_matches(rule=rule, contact=contact):
            _settle(step, AutomationStep.Status.CANCELED, _("The contact no longer meets the conditions."))
            return
        try:
            detail = _action_do(step, contact)
        except StepFailed as exc:
            if exc.transient and step.attempts < MAX_ATTEMPTS:
                step.detail = str(exc)[:2000]
                step.next_attempt = timezone.now() + dt.timedelta(minutes=2**step.attempts)
                step.save(update_fields=["detail", "next_attempt"])
            else:
                _settle(step, AutomationStep.Status.FAILED, str(exc))
            return
        except Exception as exc:
            logger.exception("Automation step %s failed", step.pk)
            _settle(step, AutomationStep.Status.FAILED, f"{type(exc).__name__}: {exc}")
            return
        if detail is None:
            return
        _settle(step, AutomationStep.Status.DONE, detail)


def _action_do(step: AutomationStep, contact: Contact) -> str | None:
    action = step.action
    if action.kind == AutomationAction.Kind.SEND_MESSAGE:
        return _message_queue(step, contact)
    if action.kind == AutomationAction.Kind.ADD_TAG:
        added = contact_tag_add(contact=contact, name=action.tag)
        return _("Tag “%(tag)s” added.") % {"tag": action.tag} if added else _("Had the tag already.")
    if action.kind == AutomationAction.Kind.REMOVE_TAG:
        removed = contact_tag_remove(contact=contact, name=action.tag)
        return _("Tag “%(tag)s” removed.") % {"tag": action.tag} if removed else _("Did not have the tag.")
    return _webhook_call(step, contact)


def _message_queue(step: AutomationStep, contact: Contact) -> str | None:
    """Write the message to the outbox and settle the step in one transaction."""
    template = step.action.template
    if template is None:
        raise StepFailed(_("The action has no message template."), transient=False)
    channel = channel_get(template.channel)
    if channel is None:
        raise StepFailed(_("The channel “%s” is not installed.") % template.channel, transient=False)
    address = channel.address(contact)
    if not address:
        _settle(step, AutomationStep.Status.CANCELED, _("The contact has no address on this channel."))
        return None
    if not getattr(contact, channel.consent_field, False):
        _settle(step, AutomationStep.Status.CANCELED, _("The contact has not agreed to these messages."))
        return None
    from eventyay_campaigns.services.tracking import is_suppressed

    if is_suppressed(contact.organizer, channel.identifier, address):
        _settle(step, AutomationStep.Status.CANCELED, _("The address is suppressed."))
        return None
    with transaction.atomic():
        message = Message.objects.create(
            organizer_id=step.organizer_id,
            contact=contact,
            channel=channel.identifier,
            recipient=address,
            next_attempt=timezone.now(),
            automation_step=step,
        )
        _settle(step, AutomationStep.Status.DONE, _("Message %(id)s queued.") % {"id": message.pk})
        message_send_soon(message)
    return None


def message_send_soon(message: Message) -> None:
    """Hand a queued automation message to the campaigns sender after commit."""
    from eventyay_campaigns.tasks_automation import automation_message_send

    message_id = message.pk
    transaction.on_commit(lambda: automation_message_send.delay(message_id), robust=True)


def _automation_messages() -> QuerySet[Message]:
    return Message.objects.filter(campaign__isnull=True, automation_step__isnull=False)


def rate_room(*, organizer: Organizer, now: dt.datetime | None = None) -> int:
    """How many automation messages the organizer may send now.

    Its rate (the ``campaigns_rate_per_minute`` setting its campaigns use) less the messages it
    sent in the last minute, campaign messages included (index ``campaigns_message_sent``).
    """
    rate = organizer_rate(organizer)
    since = (now or timezone.now()) - RATE_WINDOW
    with scopes_disabled():
        recent = Message.objects.filter(organizer=organizer, sent_at__gte=since).order_by()[:rate]
        return rate - recent.count()


def message_send(*, message_id: int) -> None:
    """Send one automation message through the plugin's one delivery path.

    :func:`~eventyay_campaigns.services.sending.messages_send` claims it, reads consent and
    suppression again (they may have changed since the step ran), renders its template and
    retries transient channel errors, exactly as for campaign messages. Over the organizer's
    rate it stays queued; the beat task (:func:`messages_send_due`) sends it when there is room.
    """
    with scopes_disabled():
        message = Message.objects.select_related("organizer").filter(pk=message_id).first()
    if message is None or rate_room(organizer=message.organizer) < 1:
        return
    messages_send(_automation_messages().filter(pk=message_id), budget=1)


def messages_send_due() -> int:
    """Beat task body: send due automation messages, each organizer's within its rate.

    Those whose task got lost, whose try failed, or that waited for room in the rate.
    """
    total = 0
    now = timezone.now()
    with scopes_disabled():
        waiting = (
            _automation_messages()
            .filter(status__in=(Message.Status.QUEUED, Message.Status.SENDING), next_attempt__lte=now)
            .order_by()
            .values_list("organizer_id", flat=True)
            .distinct()
        )
        organizers = list(Organizer.objects.filter(pk__in=waiting).order_by("pk"))
    for organizer in organizers:
        room = rate_room(organizer=organizer, now=now)
        with scope(organizer=organizer):
            theirs = _automation_messages().filter(organizer=organizer)
            while room > 0:
                result = BatchResult()
                budget = min(BATCH, room)
                messages_send(theirs, budget=budget, result=result)
                total += result.handled
                room -= result.handled
                if result.handled < budget:
                    break
    return total


def _webhook_call(step: AutomationStep, contact: Contact) -> str:
    run = step.run
    payload = {
        "rule": {"id": run.rule_id, "name": run.rule.name},
        "trigger": run.trigger,
        "occurrence": run.occurrence,
        "data": run.data,
        "contact": {
            "id": contact.pk,
            "email": contact.email,
            "first_name": contact.first_name,
            "last_name": contact.last_name,
            "company": contact.company,
            "tags": sorted(t.name for t in contact.tags.all()),
        },
    }
    try:
        response = http.outgoing_request(
            "POST",
            step.action.webhook_url,
            json=payload,
            headers={"X-Eventyay-Step": str(step.pk)},
            timeout=WEBHOOK_TIMEOUT,
        )
    except http.OutgoingRequestRefused as exc:
        raise StepFailed(str(exc), transient=False) from exc
    except http.OutgoingRequestError as exc:
        raise StepFailed(str(exc), transient=True) from exc
    if not response.ok:
        raise StepFailed(
            f"HTTP {response.status}", transient=response.status >= 500 or response.status == 429
        )
    return f"HTTP {response.status}"
