"""Automation rules: firing them for a contact, and executing their steps when they come due.

:func:`trigger_fire` is what the rest of the platform calls when something happens to a
contact (an order, a check-in, a click, a tag). For each active rule of that trigger whose
conditions the contact matches, it writes one :class:`AutomationRun` and its steps in one
transaction; the run is unique per (rule, contact, occurrence), so a notification that comes
twice, or a beat pass that looks at the same event again, writes nothing the second time.

Steps are due at the trigger's time plus their action's delay. Steps due at once are handed to
a Celery task after commit; the others, and any whose task got lost, are claimed by the beat
task :func:`steps_run_due` with :func:`eventyay.base.services.outbox.claim_due`. A step that
sends a message writes a :class:`~eventyay_campaigns.models.Message` to the campaigns outbox,
which the campaign sender delivers like every other message. Pausing a rule cancels its
pending steps; the claim also skips steps of paused rules, so a step claimed in between is
not executed either.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _
from django_scopes import scope, scopes_disabled

from eventyay.base.models import Event, Organizer
from eventyay.base.services.log import log_action
from eventyay_campaigns.channels import channels_all
from eventyay_campaigns.models import (
    AutomationAction,
    AutomationRule,
    AutomationRun,
    AutomationStep,
    Contact,
    ContactEvent,
    ContactTag,
    MessageTemplate,
    Tag,
)

logger = logging.getLogger(__name__)

Trigger = AutomationRule.Trigger
#: Triggers that concern one event; a rule limited to an event fires only for that one.
EVENT_TRIGGERS = {
    Trigger.ORDER_PLACED,
    Trigger.ORDER_PAID,
    Trigger.CHECKED_IN,
    Trigger.TALK_ACCEPTED,
    Trigger.EVENT_START,
}
#: Event starts further back than this are not looked at again by the beat task.
EVENT_START_LOOKBACK = dt.timedelta(days=1)


# ---------------------------------------------------------------------------------------------
# Message templates and rules
# ---------------------------------------------------------------------------------------------


def template_save(
    *, organizer: Organizer, data: dict[str, Any], template: MessageTemplate | None = None, actor: Any = None
) -> MessageTemplate:
    """Create or update a message template; an unknown channel is an error on ``channel``."""
    channel = data.get("channel", template.channel if template else "email")
    if channel not in channels_all():
        raise ValidationError({"channel": _("Unknown channel.")})
    with transaction.atomic():
        creating = template is None
        template = template or MessageTemplate(organizer=organizer)
        template.channel = channel
        for name in ("name", "subject", "body"):
            if name in data:
                setattr(template, name, data[name] or "")
        template.full_clean(exclude=["organizer"])
        template.save()
        log_action(
            action="campaigns.template.created" if creating else "campaigns.template.changed",
            organizer=organizer,
            obj=template,
            actor=actor,
        )
    return template


def template_delete(*, template: MessageTemplate, actor: Any = None) -> None:
    if template.actions.exists():
        raise ValidationError(_("Automation rules use this template."))
    with transaction.atomic():
        log_action(
            action="campaigns.template.deleted", organizer=template.organizer, obj=template, actor=actor
        )
        template.delete()


def conditions_clean(*, organizer: Organizer, conditions: Any) -> dict[str, Any]:
    """Check conditions as the contacts API checks its filter; errors name ``conditions.<key>``."""
    from eventyay_campaigns.forms import ContactFilterForm  # forms import the contact services

    if not isinstance(conditions, dict):
        raise ValidationError({"conditions": _("Expected an object of contact filter parameters.")})
    unknown = [key for key in conditions if key == "sort_by"]
    form = ContactFilterForm({k: v for k, v in conditions.items() if k not in unknown}, organizer=organizer)
    errors = {f"conditions.{name}": list(messages) for name, messages in form.errors.items()}
    errors.update(
        {f"conditions.{key}": [_("Unknown filter.")] for key in conditions if key not in form.fields}
    )
    if errors:
        raise ValidationError(errors)
    return form.stored()


def _actions_clean(*, organizer: Organizer, actions: Any) -> list[dict[str, Any]]:
    if not isinstance(actions, list) or not actions:
        raise ValidationError({"actions": _("Add at least one action.")})
    templates = {t.pk: t for t in MessageTemplate.objects.filter(organizer=organizer)}
    cleaned: list[dict[str, Any]] = []
    errors: dict[str, list[str]] = {}
    for index, raw in enumerate(actions):
        prefix = f"actions.{index}"
        if not isinstance(raw, dict):
            errors[prefix] = [_("Expected an object.")]
            continue
        kind = raw.get("kind")
        if kind not in AutomationAction.Kind.values:
            errors[f"{prefix}.kind"] = [_("Unknown action.")]
            continue
        delay = raw.get("delay_minutes") or 0
        if isinstance(delay, bool) or not isinstance(delay, int) or delay < 0:
            errors[f"{prefix}.delay_minutes"] = [_("Enter a whole number of minutes, 0 or more.")]
            continue
        action = {"kind": kind, "delay_minutes": delay, "template": None, "tag": "", "webhook_url": ""}
        if kind == AutomationAction.Kind.SEND_MESSAGE:
            template_id = raw.get("template")
            template = templates.get(template_id) if isinstance(template_id, int) else None
            if template is None:
                errors[f"{prefix}.template"] = [_("Choose one of the organizer's message templates.")]
            action["template"] = template
        elif kind in (AutomationAction.Kind.ADD_TAG, AutomationAction.Kind.REMOVE_TAG):
            tag = str(raw.get("tag") or "").strip()
            if not tag or len(tag) > 100:
                errors[f"{prefix}.tag"] = [_("Enter a tag of at most 100 characters.")]
            action["tag"] = tag
        else:
            url = str(raw.get("webhook_url") or "").strip()
            # Whether the host is public is checked on every call (its address may change).
            if not url.startswith(("http://", "https://")) or len(url) > 500 or not urlsplit(url).hostname:
                errors[f"{prefix}.webhook_url"] = [_("Enter an http or https URL.")]
            action["webhook_url"] = url
        cleaned.append(action)
    if errors:
        raise ValidationError(errors)
    return cleaned


def rule_save(
    *,
    organizer: Organizer,
    data: dict[str, Any],
    actions: list[dict[str, Any]] | None = None,
    rule: AutomationRule | None = None,
    actor: Any = None,
) -> AutomationRule:
    """Create or update a rule and (when given) replace its actions.

    ``data`` holds ``name``, ``trigger``, ``tag``, ``event`` (an event of the organizer or
    ``None``), ``offset_minutes`` and ``conditions``; ``actions`` is a list of
    ``{"kind", "delay_minutes", "template" (id), "tag", "webhook_url"}``. Errors name the field
    (``conditions.city``, ``actions.0.template``). Steps already written keep their actions:
    replacing the actions of a rule changes what later runs do.
    """
    errors: dict[str, Any] = {}
    trigger = data.get("trigger", rule.trigger if rule else "")
    if trigger not in Trigger.values:
        errors["trigger"] = [_("Unknown trigger.")]
    event = data.get("event", rule.event if rule else None)
    if event is not None and event.organizer_id != organizer.pk:
        errors["event"] = [_("Unknown event.")]
    conditions: dict[str, Any] = rule.conditions if rule else {}
    if "conditions" in data:
        try:
            conditions = conditions_clean(organizer=organizer, conditions=data["conditions"])
        except ValidationError as exc:
            errors.update(exc.message_dict)
    cleaned_actions = None
    if actions is not None or rule is None:
        try:
            cleaned_actions = _actions_clean(organizer=organizer, actions=actions)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        creating = rule is None
        rule = rule or AutomationRule(organizer=organizer)
        rule.trigger = trigger
        rule.event = event
        rule.conditions = conditions
        for name in ("name", "tag", "offset_minutes"):
            if name in data:
                setattr(rule, name, data[name] if data[name] is not None else "")
        rule.full_clean(exclude=["organizer", "event", "conditions"])
        rule.save()
        if cleaned_actions is not None:
            current = list(rule.actions.all())
            for position, values in enumerate(cleaned_actions):
                action = current[position] if position < len(current) else AutomationAction(rule=rule)
                action.position = position
                for name, value in values.items():
                    setattr(action, name, value)
                action.save()
            for stale in current[len(cleaned_actions) :]:
                # Its pending steps go with it; executed ones are on the timeline no longer.
                stale.delete()
        log_action(
            action="campaigns.automation.created" if creating else "campaigns.automation.changed",
            organizer=organizer,
            obj=rule,
            actor=actor,
            data={"trigger": rule.trigger, "actions": [a["kind"] for a in cleaned_actions or []]},
        )
    return rule


def rule_pause(*, rule: AutomationRule, actor: Any = None) -> int:
    """Pause ``rule`` and cancel its pending steps; returns how many were canceled."""
    with transaction.atomic():
        rule.status = AutomationRule.Status.PAUSED
        rule.save(update_fields=["status", "updated"])
        canceled = AutomationStep.objects.filter(run__rule=rule, status=AutomationStep.Status.PENDING).update(
            status=AutomationStep.Status.CANCELED,
            next_attempt=None,
            detail=_("The rule was paused."),
        )
        log_action(
            action="campaigns.automation.paused",
            organizer=rule.organizer,
            obj=rule,
            actor=actor,
            data={"canceled_steps": canceled},
        )
    return canceled


def rule_resume(*, rule: AutomationRule, actor: Any = None) -> None:
    """Fire ``rule`` again for what happens from now on (canceled steps stay canceled)."""
    with transaction.atomic():
        rule.status = AutomationRule.Status.ACTIVE
        rule.save(update_fields=["status", "updated"])
        log_action(action="campaigns.automation.resumed", organizer=rule.organizer, obj=rule, actor=actor)


def rule_delete(*, rule: AutomationRule, actor: Any = None) -> None:
    with transaction.atomic():
        log_action(
            action="campaigns.automation.deleted",
            organizer=rule.organizer,
            obj=rule,
            actor=actor,
            data={"id": rule.pk, "name": rule.name},
        )
        rule.delete()


# ---------------------------------------------------------------------------------------------
# Firing
# ---------------------------------------------------------------------------------------------


def _rule_applies(rule: AutomationRule, data: dict[str, Any]) -> bool:
    if rule.trigger == Trigger.CONTACT_TAGGED and rule.tag:
        return str(data.get("tag", "")).lower() == rule.tag.lower()
    if rule.trigger in EVENT_TRIGGERS and rule.event_id is not None:
        return data.get("event") == rule.event_id
    return True


def contact_matches(*, rule: AutomationRule, contact: Contact) -> bool:
    """Whether ``contact`` meets the rule's conditions (the contact filter, applied to one row)."""
    return contact.pk in contacts_matching_rule(rule=rule, contact_ids={contact.pk})


def contacts_matching_rule(*, rule: AutomationRule, contact_ids: set[int]) -> set[int]:
    """Which of ``contact_ids`` meet the rule's conditions: one query, none without conditions."""
    if not rule.conditions or not contact_ids:
        return set(contact_ids)
    from eventyay_campaigns.forms import ContactFilterForm  # forms import the contact services
    from eventyay_campaigns.selectors import contacts_matching

    form = ContactFilterForm(rule.conditions, organizer=rule.organizer)
    if not form.is_valid():
        # A custom field or event the conditions named is gone: the rule matches nobody.
        return set()
    return set(
        contacts_matching(organizer=rule.organizer, criteria=form.criteria(), ordered=False)
        .filter(pk__in=contact_ids)
        .values_list("pk", flat=True)
    )


def _run_create(
    *, rule: AutomationRule, contact: Contact, occurrence: str, data: dict[str, Any], now: dt.datetime
) -> list[AutomationStep] | None:
    """Write the run and its steps; ``None`` (and nothing written) if the run exists already."""
    with transaction.atomic():
        try:
            with transaction.atomic():
                run = AutomationRun.objects.create(
                    organizer_id=rule.organizer_id,
                    rule=rule,
                    contact=contact,
                    trigger=rule.trigger,
                    occurrence=occurrence[:200],
                    data=data,
                )
        except IntegrityError:
            return None
        steps = [
            AutomationStep(
                organizer_id=rule.organizer_id,
                run=run,
                action=action,
                due_at=now + dt.timedelta(minutes=action.delay_minutes),
                next_attempt=now + dt.timedelta(minutes=action.delay_minutes),
            )
            for action in rule.actions.all()
        ]
        return AutomationStep.objects.bulk_create(steps)


def _steps_run_soon(steps: Iterable[AutomationStep], now: dt.datetime) -> None:
    due = [step.pk for step in steps if step.due_at <= now and step.pk is not None]
    if due:
        from eventyay_campaigns.tasks_automation import automation_steps_run

        transaction.on_commit(lambda: automation_steps_run.delay(due), robust=True)


def trigger_fire(
    *,
    organizer: Organizer,
    contact: Contact,
    trigger: str,
    occurrence: str,
    data: dict[str, Any] | None = None,
) -> None:
    """Fire the organizer's active rules of ``trigger`` for ``contact``.

    ``occurrence`` names what happened (``order:ABC12``, ``tag:7``, ``click:<message>``); each
    rule runs at most once per contact and occurrence, so calling this again is a no-op.
    ``data`` carries what rules and webhooks may look at: ``event`` (an event id) for event
    triggers, ``tag`` for ``contact_tagged``. Safe to call inside a transaction: steps due at
    once are executed by a task after commit.
    """
    trigger_fire_many(
        organizer=organizer, trigger=trigger, occurrences=[Occurrence(contact, occurrence, dict(data or {}))]
    )


@dataclass(frozen=True)
class Occurrence:
    """One thing that happened to one contact: what :func:`trigger_fire` takes, for many at once."""

    contact: Contact
    name: str
    data: dict[str, Any] = field(default_factory=dict)


def trigger_fire_many(*, organizer: Organizer, trigger: str, occurrences: Sequence[Occurrence]) -> None:
    """:func:`trigger_fire` for many contacts: the rules are read once, and each rule's
    conditions are tested against all the contacts in one query."""
    if not occurrences:
        return
    now = timezone.now()
    with scope(organizer=organizer):
        rules = AutomationRule.objects.filter(
            organizer=organizer, trigger=trigger, status=AutomationRule.Status.ACTIVE
        ).prefetch_related(Prefetch("actions", queryset=AutomationAction.objects.order_by("position", "id")))
        created: list[AutomationStep] = []
        for rule in rules:
            applying = [item for item in occurrences if _rule_applies(rule, item.data)]
            matching = contacts_matching_rule(rule=rule, contact_ids={item.contact.pk for item in applying})
            for item in applying:
                if item.contact.pk in matching:
                    created.extend(
                        _run_create(
                            rule=rule, contact=item.contact, occurrence=item.name, data=item.data, now=now
                        )
                        or []
                    )
        _steps_run_soon(created, now)


def order_fire(*, event: Event, order: Any, trigger: str) -> None:
    """Fire ``trigger`` for the buyer and the attendees of a tickets order."""
    emails = {(order.email or "").strip().lower()}
    emails.update((p.attendee_email or "").strip().lower() for p in order.positions.all())
    emails.discard("")
    with scope(organizer=event.organizer):
        contacts = list(Contact.objects.filter(organizer=event.organizer, email_key__in=emails))
    data = {"event": event.pk, "order": order.code}
    trigger_fire_many(
        organizer=event.organizer,
        trigger=trigger,
        occurrences=[Occurrence(contact, f"order:{order.code}", data) for contact in contacts],
    )


def submission_fire(*, submission: Any) -> None:
    """Fire ``talk_accepted`` for the speakers of an accepted submission."""
    event = submission.event
    emails = {(speaker.email or "").strip().lower() for speaker in submission.speakers.all()} - {""}
    contacts = list(Contact.objects.filter(organizer=event.organizer, email_key__in=emails))
    data = {"event": event.pk, "submission": submission.code}
    trigger_fire_many(
        organizer=event.organizer,
        trigger=Trigger.TALK_ACCEPTED,
        occurrences=[Occurrence(contact, f"submission:{submission.code}", data) for contact in contacts],
    )


def checkin_fire(*, event: Event, checkin: Any) -> None:
    """Fire ``checked_in`` for the ticket's attendee (or its buyer): once per ticket."""
    if checkin.type != "entry":
        return
    position = checkin.position
    email = (position.attendee_email or position.order.email or "").strip().lower()
    contact = Contact.objects.filter(organizer=event.organizer, email_key=email).first() if email else None
    if contact is None:
        return
    trigger_fire(
        organizer=event.organizer,
        contact=contact,
        trigger=Trigger.CHECKED_IN,
        occurrence=f"ticket:{event.pk}:{position.pk}",
        data={"event": event.pk, "order": position.order.code},
    )


def event_starts_fire(*, now: dt.datetime | None = None) -> int:
    """Beat task body: fire ``event_start`` rules whose moment has come; returns runs written.

    A rule looks at events whose start plus its offset lies between the rule's creation (a
    new rule does not fire for the past) and now, at most :data:`EVENT_START_LOOKBACK` back;
    its contacts are those registered for the event at that moment.
    """
    now = now or timezone.now()
    written = 0
    with scopes_disabled():
        rules = list(
            AutomationRule.objects.filter(trigger=Trigger.EVENT_START, status=AutomationRule.Status.ACTIVE)
            .select_related("organizer")
            .prefetch_related(
                Prefetch("actions", queryset=AutomationAction.objects.order_by("position", "id"))
            )
        )
    for rule in rules:
        offset = dt.timedelta(minutes=rule.offset_minutes)
        earliest = max(rule.created, now - EVENT_START_LOOKBACK)
        with scope(organizer=rule.organizer):
            events = Event.objects.filter(
                organizer=rule.organizer, date_from__gt=earliest - offset, date_from__lte=now - offset
            )
            if rule.event_id:
                events = events.filter(pk=rule.event_id)
            for event in events:
                occurrence = f"event:{event.pk}"
                contacts = (
                    Contact.objects.filter(
                        organizer=rule.organizer,
                        history__event=event,
                        history__kind=ContactEvent.Kind.REGISTERED,
                    )
                    .exclude(automation_runs__rule=rule, automation_runs__occurrence=occurrence)
                    .distinct()
                )
                for contact in contacts:
                    if not contact_matches(rule=rule, contact=contact):
                        continue
                    steps = _run_create(
                        rule=rule, contact=contact, occurrence=occurrence, data={"event": event.pk}, now=now
                    )
                    if steps is not None:
                        written += 1
                        _steps_run_soon(steps, now)
    return written


# ---------------------------------------------------------------------------------------------
# Tags (the actions' own, and what fires contact_tagged)
# ---------------------------------------------------------------------------------------------


def contact_tag_add(*, contact: Contact, name: str) -> bool:
    """Give ``contact`` the tag ``name`` (created if new); fires ``contact_tagged`` if it is new."""
    with transaction.atomic():
        tag = Tag.objects.filter(organizer=contact.organizer, name__iexact=name).first()
        if tag is None:
            tag = Tag.objects.create(organizer=contact.organizer, name=name[:100])
        _link, added = ContactTag.objects.get_or_create(contact=contact, tag=tag)
    if added:
        tagged_fire(contact=contact, tags=[tag])
    return added


def contact_tag_remove(*, contact: Contact, name: str) -> bool:
    deleted, _rows = ContactTag.objects.filter(contact=contact, tag__name__iexact=name).delete()
    return deleted > 0


def tagged_fire(*, contact: Contact, tags: Iterable[Tag]) -> None:
    """Fire ``contact_tagged`` for tags the contact just got: once per contact and tag."""
    tagged_fire_many(organizer=contact.organizer, added=[(contact, list(tags))])


def tagged_fire_many(*, organizer: Organizer, added: Iterable[tuple[Contact, Iterable[Tag]]]) -> None:
    """:func:`tagged_fire` for many contacts at once."""
    occurrences = [
        Occurrence(contact, f"tag:{tag.pk}", {"tag": tag.name}) for contact, tags in added for tag in tags
    ]
    trigger_fire_many(organizer=organizer, trigger=Trigger.CONTACT_TAGGED, occurrences=occurrences)


def created_fire(*, contact: Contact) -> None:
    created_fire_many(organizer=contact.organizer, contacts=[contact])


def created_fire_many(*, organizer: Organizer, contacts: Iterable[Contact]) -> None:
    """Fire ``contact_created`` for contacts just created."""
    occurrences = [Occurrence(contact, "created") for contact in contacts]
    trigger_fire_many(organizer=organizer, trigger=Trigger.CONTACT_CREATED, occurrences=occurrences)
