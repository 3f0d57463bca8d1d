"""Campaigns: writing them, freezing their recipients and moving them through their states.

A campaign is edited as a draft, then either scheduled (``send_at``; the beat sweep starts
it) or started at once. Starting freezes the recipient list: one ``Message`` row per contact
who matches the campaign's segment or filter at that moment, has consented on the campaign's
channel, has an address there and is not suppressed. The rows are written by the database
itself (``INSERT ... SELECT``) in the transaction that moves the campaign to ``sending``, so a
campaign of 100,000 recipients starts in one statement and is never half-frozen. Workers then
send the rows in batches (:mod:`eventyay_campaigns.services.sending`).

States: draft → scheduled → sending → sent; sending ⇄ paused; anything not finished →
canceled. Only drafts are edited; a scheduled campaign goes back to draft to be edited.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connections, router, transaction
from django.db.models import Count, Exists, F, IntegerField, OuterRef, Q, QuerySet, Value
from django.db.models.fields import CharField, DateTimeField
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled

from eventyay.base.models import Organizer
from eventyay.base.services.log import log_action
from eventyay_campaigns.channels import MessageChannel, channel_get, channels_all
from eventyay_campaigns.forms import ContactFilterForm
from eventyay_campaigns.models import (
    UTM_FIELDS,
    Campaign,
    Contact,
    Message,
    Segment,
    Suppression,
)
from eventyay_campaigns.selectors import ContactCriteria, contacts_matching
from eventyay_campaigns.services.figures import figures_read

#: Fields a draft's editor may set, besides ``filters`` and ``segment``.
EDITABLE_FIELDS = ("name", "channel", "subject", "body", "sender", *UTM_FIELDS, "track_opens", "send_at")
#: States in which messages may still go out.
OPEN_STATES = (Campaign.Status.SENDING, Campaign.Status.PAUSED)
#: Contacts read per round when a channel computes addresses in Python.
FREEZE_CHUNK = 2000


class CampaignStateError(ValidationError):
    """The campaign is not in a state that allows the requested change."""


def _filters_clean(*, organizer: Organizer, filters: Any) -> dict[str, Any]:
    if not isinstance(filters, dict):
        raise ValidationError({"filter": [_("An object of contact filters is expected.")]})
    form = ContactFilterForm({k: v for k, v in filters.items() if k != "sort_by"}, organizer=organizer)
    if not form.is_valid():
        raise ValidationError(
            {f"filter.{name}": [str(message) for message in errors] for name, errors in form.errors.items()}
        )
    return form.stored()


def campaign_save(
    *,
    organizer: Organizer,
    data: dict[str, Any],
    campaign: Campaign | None = None,
    actor: Any = None,
) -> Campaign:
    """Create a campaign or change a draft. ``data`` holds any of :data:`EDITABLE_FIELDS`,
    ``filters`` (the contacts API's filter parameters) and ``segment`` (a segment or its id).

    Raises :class:`~django.core.exceptions.ValidationError` naming the field at fault.
    """
    if campaign is not None and campaign.status != Campaign.Status.DRAFT:
        raise CampaignStateError({"status": [_("Only drafts can be changed.")]})
    creating = campaign is None
    if campaign is None:
        campaign = Campaign(organizer=organizer)
    errors: dict[str, list[str]] = {}
    for name in EDITABLE_FIELDS:
        if name in data:
            setattr(campaign, name, data[name] if data[name] is not None or name == "send_at" else "")
    if "segment" in data:
        segment = data["segment"]
        if segment is not None and not isinstance(segment, Segment):
            segment = Segment.objects.filter(organizer=organizer, pk=segment).first()
            if segment is None:
                errors["segment"] = [_("The organizer has no such segment.")]
        elif segment is not None and segment.organizer_id != organizer.pk:
            errors["segment"] = [_("The organizer has no such segment.")]
        campaign.segment = segment
    if "filters" in data:
        try:
            campaign.filters = _filters_clean(organizer=organizer, filters=data["filters"] or {})
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if campaign.channel not in channels_all():
        errors["channel"] = [_("No such channel: {name}.").format(name=campaign.channel)]
    if not (campaign.name or "").strip():
        errors["name"] = [_("This field is required.")]
    if not (campaign.body or "").strip():
        errors["body"] = [_("This field is required.")]
    channel = channel_get(campaign.channel)
    if channel is not None and channel.has_subject and not (campaign.subject or "").strip():
        errors["subject"] = [_("This field is required.")]
    if campaign.sender:
        address = campaign.sender.rsplit("<", 1)[-1].rstrip(">").strip()
        try:
            validate_email(address)
        except ValidationError:
            errors["sender"] = [_("Enter an address, optionally as Name <address>.")]
        if "\n" in campaign.sender or "\r" in campaign.sender:
            errors["sender"] = [_("Enter an address, optionally as Name <address>.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        if not creating:
            # The caller's copy may be stale: the row decides whether it is still a draft.
            stored = (
                Campaign.objects.select_for_update().filter(pk=campaign.pk).values_list("status", flat=True)
            )
            if stored.first() != Campaign.Status.DRAFT:
                raise CampaignStateError({"status": [_("Only drafts can be changed.")]})
        if actor is not None and getattr(actor, "is_authenticated", False) and creating:
            campaign.created_by = actor
        campaign.save()
        log_action(
            action="campaigns.campaign.created" if creating else "campaigns.campaign.changed",
            organizer=organizer,
            obj=campaign,
            actor=actor,
            data={name: str(getattr(campaign, name)) for name in ("name", "subject", "channel")},
        )
    return campaign


def campaign_delete(*, campaign: Campaign, actor: Any = None) -> None:
    """Delete a draft (a campaign that sent anything stays, for its figures)."""
    if campaign.status != Campaign.Status.DRAFT:
        raise CampaignStateError({"status": [_("Only drafts can be deleted; cancel the campaign instead.")]})
    with transaction.atomic():
        log_action(
            action="campaigns.campaign.deleted", organizer=campaign.organizer, obj=campaign, actor=actor
        )
        campaign.delete()


def campaign_criteria(campaign: Campaign) -> ContactCriteria:
    """The contact criteria of the campaign's segment, or of its own filter without one."""
    filters = campaign.segment.filters if campaign.segment_id and campaign.segment else campaign.filters
    form = ContactFilterForm(filters or {}, organizer=campaign.organizer)
    if not form.is_valid():
        # A segment saved before a custom field was deleted: it names the field that broke.
        raise ValidationError({f"filter.{k}": [str(m) for m in v] for k, v in form.errors.items()})
    return form.criteria()


def campaign_recipients(campaign: Campaign, channel: MessageChannel | None = None) -> QuerySet[Contact]:
    """The contacts the campaign would reach now: matching, consenting, reachable, not suppressed."""
    channel = channel or channel_get(campaign.channel)
    if channel is None:
        raise ValidationError({"channel": [_("No such channel: {name}.").format(name=campaign.channel)]})
    contacts = contacts_matching(
        organizer=campaign.organizer, criteria=campaign_criteria(campaign), ordered=False
    )
    suppressed = Suppression.objects.filter(
        organizer=campaign.organizer,
        channel=channel.identifier,
        address_key=Lower(OuterRef(channel.address_field)),
    )
    return (
        contacts.filter(**{channel.consent_field: True})
        .exclude(**{channel.address_field: ""})
        .filter(~Exists(suppressed))
    )


def campaign_recipients_count(campaign: Campaign) -> int:
    return campaign_recipients(campaign).count()


def _freeze(campaign: Campaign, channel: MessageChannel, now: dt.datetime) -> int:
    recipients = campaign_recipients(campaign, channel)
    if type(channel).address is not MessageChannel.address:
        # The channel works the address out itself: read the contacts in chunks instead.
        created = 0
        batch: list[Message] = []
        for contact in recipients.order_by("pk").iterator(chunk_size=FREEZE_CHUNK):
            address = channel.address(contact)
            if address:
                batch.append(_message(campaign, channel, contact.pk, address, now))
            if len(batch) >= FREEZE_CHUNK:
                created += len(Message.objects.bulk_create(batch))
                batch = []
        if batch:
            created += len(Message.objects.bulk_create(batch))
        return created
    rows = recipients.annotate(
        m_organizer=Value(campaign.organizer_id, output_field=IntegerField()),
        m_campaign=Value(campaign.pk, output_field=IntegerField()),
        m_contact=F("pk"),
        m_channel=Value(channel.identifier, output_field=CharField()),
        m_recipient=F(channel.address_field),
        m_status=Value(Message.Status.QUEUED.value, output_field=CharField()),
        m_next_attempt=Value(now, output_field=DateTimeField()),
        m_attempts=Value(0, output_field=IntegerField()),
        m_blank=Value("", output_field=CharField()),
        m_created=Value(now, output_field=DateTimeField()),
    ).values_list(
        "m_organizer",
        "m_campaign",
        "m_contact",
        "m_channel",
        "m_recipient",
        "m_status",
        "m_next_attempt",
        "m_attempts",
        "m_blank",
        "m_blank",
        "m_created",
    )
    columns = (
        "organizer_id",
        "campaign_id",
        "contact_id",
        "channel",
        "recipient",
        "status",
        "next_attempt",
        "attempts",
        "provider_id",
        "error",
        "created",
    )
    sql, params = rows.query.sql_with_params()
    database = router.db_for_write(Message)
    with connections[database].cursor() as cursor:
        cursor.execute(f"INSERT INTO {Message._meta.db_table} ({', '.join(columns)}) {sql}", params)
    return Message.objects.filter(campaign=campaign).count()


def _message(
    campaign: Campaign, channel: MessageChannel, contact_id: int, address: str, now: dt.datetime
) -> Message:
    return Message(
        organizer_id=campaign.organizer_id,
        campaign=campaign,
        contact_id=contact_id,
        channel=channel.identifier,
        recipient=address,
        next_attempt=now,
    )


def _locked(campaign: Campaign) -> Campaign:
    return Campaign.objects.select_for_update().get(pk=campaign.pk)


def _enqueue_batch(campaign_id: int) -> None:
    from eventyay_campaigns.tasks import send_campaign_batch

    send_campaign_batch.delay(campaign_id)


def campaign_start(*, campaign: Campaign, actor: Any = None) -> Campaign:
    """Freeze the recipients of a draft or scheduled campaign and start sending it.

    One transaction: the campaign row is locked, its messages are written and it moves to
    ``sending``; the first batch is queued after commit.
    """
    channel = channel_get(campaign.channel)
    if channel is None:
        raise ValidationError({"channel": [_("No such channel: {name}.").format(name=campaign.channel)]})
    with transaction.atomic():
        locked = _locked(campaign)
        if locked.status not in (Campaign.Status.DRAFT, Campaign.Status.SCHEDULED):
            raise CampaignStateError({"status": [_("Only a draft or scheduled campaign can be sent.")]})
        now = timezone.now()
        total = _freeze(locked, channel, now)
        locked.recipients_total = total
        locked.started_at = now
        locked.next_batch = now
        if total:
            locked.status = Campaign.Status.SENDING
        else:
            locked.status = Campaign.Status.SENT
            locked.finished_at = now
        locked.save(
            update_fields=["recipients_total", "started_at", "next_batch", "status", "finished_at", "updated"]
        )
        log_action(
            action="campaigns.campaign.started",
            organizer=locked.organizer,
            obj=locked,
            actor=actor,
            data={"recipients": total},
        )
        if total:
            campaign_id = locked.pk
            transaction.on_commit(lambda: _enqueue_batch(campaign_id), robust=True)
    return locked


def campaign_schedule(*, campaign: Campaign, send_at: dt.datetime, actor: Any = None) -> Campaign:
    """Have a draft sent at ``send_at`` (by the beat sweep); the recipients are frozen then."""
    if send_at <= timezone.now():
        raise ValidationError({"send_at": [_("Choose a time in the future.")]})
    with transaction.atomic():
        locked = _locked(campaign)
        if locked.status not in (Campaign.Status.DRAFT, Campaign.Status.SCHEDULED):
            raise CampaignStateError({"status": [_("Only a draft can be scheduled.")]})
        locked.send_at = send_at
        locked.status = Campaign.Status.SCHEDULED
        locked.save(update_fields=["send_at", "status", "updated"])
        log_action(
            action="campaigns.campaign.scheduled",
            organizer=locked.organizer,
            obj=locked,
            actor=actor,
            data={"send_at": send_at.isoformat()},
        )
    return locked


def campaign_unschedule(*, campaign: Campaign, actor: Any = None) -> Campaign:
    """Take a scheduled campaign back to draft, to edit it."""
    return _transition(
        campaign,
        allowed=(Campaign.Status.SCHEDULED,),
        to=Campaign.Status.DRAFT,
        action="campaigns.campaign.unscheduled",
        actor=actor,
        error=_("Only a scheduled campaign can go back to draft."),
    )


def campaign_pause(*, campaign: Campaign, actor: Any = None) -> Campaign:
    """Stop claiming further messages; the batch in flight finishes its current messages."""
    return _transition(
        campaign,
        allowed=(Campaign.Status.SENDING,),
        to=Campaign.Status.PAUSED,
        action="campaigns.campaign.paused",
        actor=actor,
        error=_("Only a sending campaign can be paused."),
    )


def campaign_resume(*, campaign: Campaign, actor: Any = None) -> Campaign:
    """Continue a paused campaign where it stopped."""
    resumed = _transition(
        campaign,
        allowed=(Campaign.Status.PAUSED,),
        to=Campaign.Status.SENDING,
        action="campaigns.campaign.resumed",
        actor=actor,
        error=_("Only a paused campaign can be resumed."),
        next_batch=timezone.now(),
    )
    campaign_id = resumed.pk
    transaction.on_commit(lambda: _enqueue_batch(campaign_id), robust=True)
    return resumed


def campaign_cancel(*, campaign: Campaign, actor: Any = None) -> Campaign:
    """Cancel a campaign that has not finished: its unsent messages are marked canceled.

    A message a worker holds right now (claimed, lease running) is left to that worker, which
    records what really happened to it.
    """
    with transaction.atomic():
        locked = _locked(campaign)
        if locked.status in (Campaign.Status.SENT, Campaign.Status.CANCELED):
            raise CampaignStateError({"status": [_("The campaign has already finished.")]})
        now = timezone.now()
        canceled = (
            Message.objects.filter(campaign=locked)
            .filter(Q(status=Message.Status.QUEUED) | Q(status=Message.Status.SENDING, next_attempt__lte=now))
            .update(status=Message.Status.CANCELED, next_attempt=None)
        )
        locked.status = Campaign.Status.CANCELED
        locked.finished_at = now
        locked.next_batch = None
        locked.save(update_fields=["status", "finished_at", "next_batch", "updated"])
        log_action(
            action="campaigns.campaign.canceled",
            organizer=locked.organizer,
            obj=locked,
            actor=actor,
            data={"canceled_messages": canceled},
        )
    return locked


def _transition(
    campaign: Campaign,
    *,
    allowed: Iterable[str],
    to: str,
    action: str,
    actor: Any,
    error: str,
    **changes: Any,
) -> Campaign:
    with transaction.atomic():
        locked = _locked(campaign)
        if locked.status not in allowed:
            raise CampaignStateError({"status": [error]})
        locked.status = to
        for name, value in changes.items():
            setattr(locked, name, value)
        locked.save(update_fields=["status", "updated", *changes])
        log_action(action=action, organizer=locked.organizer, obj=locked, actor=actor)
    return locked


def campaigns_due_to_start(now: dt.datetime | None = None) -> list[int]:
    """Ids of scheduled campaigns whose time has come (the beat sweep starts them)."""
    now = now or timezone.now()
    with scopes_disabled():
        due = Campaign.objects.filter(status=Campaign.Status.SCHEDULED, send_at__lte=now)
        return list(due.order_by("send_at").values_list("pk", flat=True)[:100])


#: Figures of a campaign: message states, then facts recorded after sending.
FIGURES = (
    "recipients",
    "sent",
    "failed",
    "skipped",
    "canceled",
    "queued",
    "delivered",
    "bounced",
    "unsubscribed",
    "clicks",
)


def campaign_figures(campaigns: Iterable[Campaign]) -> dict[int, dict[str, int]]:
    """Figures of ``campaigns`` by id, in two grouped queries whatever their number.

    ``clicks`` counts messages clicked at least once by a person (scanner clicks left out).
    """
    campaigns = list(campaigns)
    figures: dict[int, dict[str, int]] = {
        c.pk: {**dict.fromkeys(FIGURES, 0), "recipients": c.recipients_total} for c in campaigns
    }
    if not campaigns:
        return figures
    ids = list(figures)
    states = (
        Message.objects.filter(campaign_id__in=ids).values("campaign_id", "status").annotate(n=Count("id"))
    )
    for row in states.order_by():
        name = "queued" if row["status"] == Message.Status.SENDING else row["status"]
        if name in figures[row["campaign_id"]]:
            figures[row["campaign_id"]][name] += row["n"]
    # The facts after sending come from the figures table (a few rows per campaign and day).
    kinds = {
        "delivered": "delivered",
        "bounced": "bounced",
        "unsubscribed": "unsubscribed",
        "unique_clicks": "clicks",
    }
    for campaign_id, _day, kind, _currency, n, _amount in figures_read(ids):
        if kind in kinds:
            figures[campaign_id][kinds[kind]] += n
    return figures
