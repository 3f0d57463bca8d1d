"""Event lifecycle: create, change, clone, delete."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from eventyay.base.models import Event, EventPlugin, LogEntry, Organizer, Setting
from eventyay.base.plugins.manager import hooks_for, notify
from eventyay.base.services.log import Actor, changes, log_action
from eventyay.base.services.plugins import call_lifecycle_hooks_on_commit, plan_plugin_change
from eventyay.base.services.webhooks import webhook_emit

#: Fields an organizer edits directly on the event.
EDITABLE_FIELDS = (
    "name",
    "slug",
    "description",
    "date_from",
    "date_to",
    "timezone",
    "locale",
    "locales",
    "currency",
    "is_public",
    "live",
)


def event_snapshot(event: Event) -> dict[str, Any]:
    """A JSON-able view of the editable fields, for audit log before/after."""
    data: dict[str, Any] = {}
    for field in EDITABLE_FIELDS:
        value = getattr(event, field)
        if hasattr(value, "data"):  # LazyI18nString
            value = value.data
        elif hasattr(value, "isoformat"):
            value = value.isoformat()
        data[field] = value
    return data


def event_create(
    *,
    organizer: Organizer,
    data: dict[str, Any],
    plugins: Iterable[str] = (),
    actor: Actor = None,
    is_admin: bool = False,
) -> Event:
    """Create an event with the chosen plugins (plus what they require) in one transaction."""
    with transaction.atomic():
        event = Event(organizer=organizer, **{k: v for k, v in data.items() if k in EDITABLE_FIELDS})
        event.full_clean(validate_unique=False)
        if Event.objects.filter(organizer=organizer, slug=event.slug).exists():
            raise ValidationError({"slug": [_("This short form is already used by another event.")]})
        event.save()
        switched_on, _off = plan_plugin_change(event=event, enable=plugins, is_admin=is_admin)
        EventPlugin.objects.bulk_create(
            EventPlugin(event=event, name=name, enabled=True) for name in sorted(switched_on)
        )
        event.refresh_plugins()
        log_action(
            action="eventyay.event.created",
            organizer=organizer,
            event=event,
            obj=event,
            actor=actor,
            data={"after": event_snapshot(event), "plugins": sorted(switched_on)},
        )
        webhook_emit(event=event, action="event.created", object_id=event.slug)
        enabled = event.enabled_plugin_names
        call_lifecycle_hooks_on_commit(event=event, switched_on=switched_on)
        transaction.on_commit(lambda: notify("event_created", enabled=enabled, event=event))
    return event


def event_update(*, event: Event, data: dict[str, Any], actor: Actor = None) -> Event:
    before = event_snapshot(event)
    with transaction.atomic():
        for field, value in data.items():
            if field in EDITABLE_FIELDS:
                setattr(event, field, value)
        event.full_clean(validate_unique=False)
        if (
            "slug" in data
            and Event.objects.filter(organizer=event.organizer, slug=event.slug).exclude(pk=event.pk).exists()
        ):
            raise ValidationError({"slug": [_("This short form is already used by another event.")]})
        event.save()
        diff = changes(before, event_snapshot(event))
        if diff["after"]:
            log_action(
                action="eventyay.event.changed",
                organizer=event.organizer,
                event=event,
                obj=event,
                actor=actor,
                data=diff,
            )
            webhook_emit(event=event, action="event.changed", object_id=event.slug)
    return event


def event_has_data(event: Event) -> bool:
    """Whether deleting the event would lose anything beyond its configuration."""
    return LogEntry.objects.filter(event=event).exclude(action_type__startswith="eventyay.event.").exists()


def event_delete(*, event: Event, actor: Actor = None) -> None:
    """Delete an event that has no data yet (no orders, submissions...)."""
    if event_has_data(event):
        raise ValidationError(_("This event already has data and cannot be deleted. Switch it off instead."))
    organizer = event.organizer
    slug = event.slug
    with transaction.atomic():
        webhook_emit(event=event, action="event.deleted", object_id=slug)
        log_action(action="eventyay.event.deleted", organizer=organizer, actor=actor, data={"slug": slug})
        event.delete()


def event_clone(*, source: Event, data: dict[str, Any], actor: Actor = None) -> Event:
    """Create a new event from ``source``'s configuration; plugins copy theirs via ``event_cloned``."""
    base = {field: getattr(source, field) for field in EDITABLE_FIELDS}
    base.update(live=False)
    base.update(data)
    if "date_from" in data and "date_to" not in data and source.date_to is not None:
        # Moving the start moves the end too: the copy keeps the source's duration.
        base["date_to"] = data["date_from"] + (source.date_to - source.date_from)
    with transaction.atomic():
        event = event_create(
            organizer=source.organizer,
            data=base,
            plugins=source.enabled_plugin_names,
            actor=actor,
            # The source already has these plugins; restricted ones stay allowed on the copy.
            is_admin=True,
        )
        for state in EventPlugin.objects.filter(event=source):
            EventPlugin.objects.update_or_create(
                event=event, name=state.name, defaults={"settings": state.settings, "enabled": state.enabled}
            )
        Setting.objects.bulk_create(
            Setting(organizer=event.organizer, event=event, key=row.key, value=row.value)
            for row in Setting.objects.filter(event=source)
        )
        event.refresh_plugins()
        hooks_for(event).event_cloned(event=event, source=source)
        log_action(
            action="eventyay.event.cloned",
            organizer=event.organizer,
            event=event,
            obj=event,
            actor=actor,
            data={"source": source.slug},
        )
    return event
