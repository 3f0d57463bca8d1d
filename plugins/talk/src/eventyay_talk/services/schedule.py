"""Rooms, the work-in-progress schedule and releasing it as a frozen version."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from i18nfield.strings import LazyI18nString

from eventyay.base.models import Event
from eventyay.base.plugins.manager import notify
from eventyay.base.services.cache import content_version_bump
from eventyay.base.services.log import Actor, log_action
from eventyay.base.services.webhooks import webhook_emit
from eventyay_talk.models import (
    MailTemplate,
    Room,
    Schedule,
    ScheduleExport,
    Submission,
    SubmissionStates,
    TalkSlot,
)
from eventyay_talk.models.schedule import RESERVED_VERSIONS
from eventyay_talk.services.mails import talk_mail_queue


def wip_schedule(*, event: Event) -> Schedule:
    """The event's work-in-progress schedule, created on first use."""
    schedule = Schedule.objects.filter(event=event, version__isnull=True).first()
    if schedule is None:
        schedule, _created = Schedule.objects.get_or_create(event=event, version=None)
    return schedule


def availabilities_clean(value: Any) -> list[dict[str, str]]:
    """Validate ``[{"start": ..., "end": ...}]`` (ISO datetimes with offset) and sort it."""
    if value is not None and not isinstance(value, list | tuple):
        raise ValidationError({"availabilities": [_("Give a list of availabilities.")]})
    result = []
    for item in value or []:
        try:
            start = (
                item["start"]
                if isinstance(item["start"], dt.datetime)
                else dt.datetime.fromisoformat(item["start"])
            )
            end = (
                item["end"]
                if isinstance(item["end"], dt.datetime)
                else dt.datetime.fromisoformat(item["end"])
            )
        except (KeyError, TypeError, ValueError):
            raise ValidationError({"availabilities": [_("Give each availability a start and an end.")]})
        if timezone.is_naive(start) or timezone.is_naive(end):
            raise ValidationError({"availabilities": [_("Availabilities need a time zone.")]})
        if end <= start:
            raise ValidationError({"availabilities": [_("An availability must end after it starts.")]})
        result.append({"start": start.isoformat(), "end": end.isoformat()})
    return sorted(result, key=lambda item: item["start"])


def room_save(*, event: Event, data: dict[str, Any], room: Room | None = None, actor: Actor = None) -> Room:
    with transaction.atomic():
        room = room or Room(event=event)
        for key in ("name", "description"):
            if key in data:
                setattr(room, key, LazyI18nString(data[key]))
        for key in ("capacity", "position"):
            if key in data:
                setattr(room, key, data[key])
        if "availabilities" in data:
            room.availabilities = availabilities_clean(data["availabilities"])
        if not str(room.name).strip():
            raise ValidationError({"name": [_("This field is required.")]})
        room.save()
        log_action(
            action="eventyay_talk.room.saved",
            organizer=event.organizer,
            event=event,
            obj=room,
            actor=actor,
            data={"name": str(room.name)},
        )
    return room


def event_bounds(event: Event) -> tuple[dt.datetime, dt.datetime]:
    """From the start of the event's first day to the end of its last, in its time zone."""
    tz = event.tz
    first = timezone.localtime(event.date_from, tz).date()
    last = timezone.localtime(event.date_to or event.date_from, tz).date()
    return (
        dt.datetime.combine(first, dt.time(0, 0), tzinfo=tz),
        dt.datetime.combine(last + dt.timedelta(days=1), dt.time(0, 0), tzinfo=tz),
    )


def room_availability_add(*, room: Room, start: dt.datetime, end: dt.datetime, actor: Actor = None) -> Room:
    """Add a window in which ``room`` can be used; it must end after it starts, within the event."""
    event = room.event
    if end <= start:
        raise ValidationError({"end": [_("An availability must end after it starts.")]})
    first, last = event_bounds(event)
    if start < first or end > last:
        raise ValidationError(
            {
                "start" if start < first else "end": [
                    _("Availabilities lie within the event, %(first)s to %(last)s.")
                    % {"first": f"{first:%Y-%m-%d}", "last": f"{last - dt.timedelta(days=1):%Y-%m-%d}"}
                ]
            }
        )
    with transaction.atomic():
        locked = Room.objects.select_for_update().get(pk=room.pk)
        windows = [*locked.availabilities, {"start": start.isoformat(), "end": end.isoformat()}]
        locked.availabilities = availabilities_clean(windows)
        locked.save(update_fields=["availabilities"])
        log_action(
            action="eventyay_talk.room.availability_added",
            organizer=event.organizer,
            event=event,
            obj=locked,
            actor=actor,
            data={"start": start.isoformat(), "end": end.isoformat()},
        )
    room.availabilities = locked.availabilities
    return room


def room_availability_remove(*, room: Room, start: str, actor: Actor = None) -> Room:
    """Remove the window of ``room`` that starts at ``start`` (ISO, as stored)."""
    event = room.event
    with transaction.atomic():
        locked = Room.objects.select_for_update().get(pk=room.pk)
        kept = [window for window in locked.availabilities if window["start"] != start]
        if len(kept) == len(locked.availabilities):
            raise ValidationError(_("This availability does not exist (any more)."))
        locked.availabilities = kept
        locked.save(update_fields=["availabilities"])
        log_action(
            action="eventyay_talk.room.availability_removed",
            organizer=event.organizer,
            event=event,
            obj=locked,
            actor=actor,
            data={"start": start},
        )
    room.availabilities = locked.availabilities
    return room


def room_delete(*, room: Room, actor: Actor = None) -> None:
    if TalkSlot.objects.filter(room=room).exists():
        raise ValidationError(_("This room is used in a schedule and cannot be deleted."))
    with transaction.atomic():
        log_action(
            action="eventyay_talk.room.deleted",
            organizer=room.event.organizer,
            event=room.event,
            actor=actor,
            data={"name": str(room.name)},
        )
        room.delete()


def _editable_slot(slot: TalkSlot) -> TalkSlot:
    if not slot.schedule.is_wip:
        raise ValidationError(_("Released schedules cannot be changed; edit the work-in-progress schedule."))
    return slot


def slot_schedule(
    *, slot: TalkSlot, room: Room, start: dt.datetime, end: dt.datetime | None = None, actor: Actor = None
) -> TalkSlot:
    """Place (or move) a WIP slot in ``room`` at ``start``; talks default to their duration.

    Conflicts and availability problems do not block the move: the editor shows them from
    :func:`eventyay_talk.selectors.slot_warnings`.
    """
    _editable_slot(slot)
    event = slot.schedule.event
    if room.event_id != event.pk:
        raise ValidationError({"room": [_("Unknown room.")]})
    if timezone.is_naive(start):
        raise ValidationError({"start": [_("The start needs a time zone.")]})
    if end is None:
        submission = slot.submission
        if submission is None:
            raise ValidationError({"end": [_("Breaks and blockers need an end.")]})
        end = start + dt.timedelta(minutes=submission.export_duration)
    if end <= start:
        raise ValidationError({"end": [_("A slot must end after it starts.")]})
    with transaction.atomic():
        before = {"room": slot.room_id, "start": slot.start.isoformat() if slot.start else None}
        slot.room, slot.start, slot.end = room, start, end
        slot.save(update_fields=["room", "start", "end"])
        log_action(
            action="eventyay_talk.slot.moved",
            organizer=event.organizer,
            event=event,
            obj=slot,
            actor=actor,
            data={"before": before, "after": {"room": room.pk, "start": start.isoformat()}},
        )
    return slot


def slot_unschedule(*, slot: TalkSlot, actor: Actor = None) -> TalkSlot:
    """Take a WIP talk out of the grid (back to the unscheduled list); breaks are deleted."""
    _editable_slot(slot)
    event = slot.schedule.event
    with transaction.atomic():
        log_action(
            action="eventyay_talk.slot.unscheduled",
            organizer=event.organizer,
            event=event,
            obj=slot,
            actor=actor,
            data={
                "kind": slot.kind,
                "submission": slot.submission.code if slot.submission is not None else None,
            },
        )
        if slot.kind != TalkSlot.Kind.TALK:
            slot.delete()
            return slot
        slot.room = slot.start = slot.end = None
        slot.save(update_fields=["room", "start", "end"])
    return slot


def break_create(
    *,
    event: Event,
    room: Room,
    start: dt.datetime,
    end: dt.datetime,
    description: Any,
    kind: str = TalkSlot.Kind.BREAK,
    actor: Actor = None,
) -> TalkSlot:
    """Add a break (published) or blocker (internal only) to the WIP schedule."""
    if kind not in (TalkSlot.Kind.BREAK, TalkSlot.Kind.BLOCKER):
        raise ValidationError({"kind": [_("Choose a break or a blocker.")]})
    with transaction.atomic():
        slot = TalkSlot(
            schedule=wip_schedule(event=event), kind=kind, description=LazyI18nString(description)
        )
        slot.save()
        slot_schedule(slot=slot, room=room, start=start, end=end, actor=actor)
    return slot


def schedule_version_validate(*, event: Event, version: str) -> str:
    version = (version or "").strip()
    if not version:
        raise ValidationError({"version": [_("Give the new version a name.")]})
    if version.lower() in RESERVED_VERSIONS:
        raise ValidationError({"version": [_("“%s” is reserved; choose another name.") % version]})
    if "/" in version or len(version) > 190:
        raise ValidationError({"version": [_("Use at most 190 characters and no slashes.")]})
    if Schedule.objects.filter(event=event, version__iexact=version).exists():
        raise ValidationError({"version": [_("There already is a version with this name.")]})
    return version


def _publishable(slot: TalkSlot) -> bool:
    if not slot.is_scheduled:
        return False
    if slot.kind == TalkSlot.Kind.BREAK:
        return True
    return (
        slot.kind == TalkSlot.Kind.TALK
        and slot.submission is not None
        and slot.submission.state == SubmissionStates.CONFIRMED
    )


def _changelog(previous: list[TalkSlot], current: list[TalkSlot]) -> dict[str, list[dict[str, Any]]]:
    def talks(slots: list[TalkSlot]) -> dict[str, tuple[Submission, Room, dt.datetime]]:
        # Both lists hold published slots, so every talk among them has a room and a start.
        return {
            slot.submission.code: (slot.submission, slot.room, slot.start)
            for slot in slots
            if slot.submission is not None and slot.room is not None and slot.start is not None
        }

    old, new = talks(previous), talks(current)
    log: dict[str, list[dict[str, Any]]] = {"new": [], "moved": [], "canceled": []}
    for code, (submission, room, start) in new.items():
        entry = {
            "code": code,
            "title": submission.title,
            "room": str(room.name),
            "start": start.isoformat(),
        }
        if code not in old:
            log["new"].append(entry)
            continue
        old_room, old_start = old[code][1], old[code][2]
        if old_start != start or old_room.pk != room.pk:
            log["moved"].append({**entry, "old_room": str(old_room.name), "old_start": old_start.isoformat()})
    for code, (submission, _room, _start) in old.items():
        if code not in new:
            log["canceled"].append({"code": code, "title": submission.title})
    return log


def schedule_release(
    *, event: Event, version: str, comment: str = "", notify_speakers: bool = True, actor: Actor = None
) -> Schedule:
    """Freeze the WIP schedule as ``version`` and start a new WIP from it.

    Only scheduled confirmed talks and breaks are published. The changelog against the
    previous release lists new, moved and canceled talks; their speakers get a mail. The
    exports are rendered now and stored, so a version's files never change afterwards.
    """
    from eventyay_talk.exporters import exporters_for
    from eventyay_talk.selectors import latest_schedule, schedule_export_data

    with transaction.atomic():
        version = schedule_version_validate(event=event, version=version)
        released = Schedule.objects.select_for_update().filter(event=event, version__isnull=True).first()
        if released is None:
            released = wip_schedule(event=event)
        previous = latest_schedule(event)
        slots = list(released.slots.select_related("submission", "room"))
        published = [slot for slot in slots if _publishable(slot)]
        previous_slots = (
            list(previous.slots.filter(kind=TalkSlot.Kind.TALK).select_related("submission", "room"))
            if previous
            else []
        )
        released.version = version
        released.published = timezone.now()
        released.comment = comment
        released.changelog = _changelog(previous_slots, published)
        released.save()
        new_wip = Schedule.objects.create(event=event, version=None)
        TalkSlot.objects.bulk_create(
            TalkSlot(
                schedule=new_wip,
                kind=slot.kind,
                submission_id=slot.submission_id,
                description=slot.description,
                room_id=slot.room_id,
                start=slot.start,
                end=slot.end,
                guid=slot.guid,
            )
            for slot in slots
        )
        released.slots.exclude(pk__in=[slot.pk for slot in published]).delete()
        # The public pages show the new version as soon as this commits.
        content_version_bump(event)
        data = schedule_export_data(released)
        for exporter in exporters_for(event):
            content = exporter.render(data)
            if isinstance(content, str):
                content = content.encode()
            ScheduleExport.objects.create(
                schedule=released,
                identifier=exporter.identifier,
                content=content,
                content_type=exporter.content_type,
                etag=hashlib.sha256(content).hexdigest()[:32],
            )
        log_action(
            action="eventyay_talk.schedule.released",
            organizer=event.organizer,
            event=event,
            obj=released,
            actor=actor,
            data={"version": version, "changelog": released.changelog},
        )
        webhook_emit(
            event=event,
            action="schedule.released",
            object_id=version,
            data={"version": version, "changelog": released.changelog},
        )
        if notify_speakers:
            _notify_speakers(event, released)
        enabled = event.enabled_plugin_names
        transaction.on_commit(lambda: notify("schedule_released", enabled=enabled, schedule=released))
    return released


def _notify_speakers(event: Event, schedule: Schedule) -> None:
    changed = {entry["code"] for kind in ("new", "moved") for entry in schedule.changelog.get(kind, [])}
    if not changed:
        return
    per_speaker: dict[Any, list[str]] = defaultdict(list)
    slots = (
        schedule.slots.filter(submission__code__in=changed)
        .select_related("submission", "room")
        .prefetch_related("submission__speakers")
    )
    for slot in slots:
        # Published talk slots: each has its submission, room and start.
        if slot.submission is None or slot.room is None or slot.start is None:
            continue
        start = timezone.localtime(slot.start, event.tz)
        line = f"- {slot.submission.title}: {start:%Y-%m-%d %H:%M}, {slot.room.name}"
        for speaker in slot.submission.speakers.all():
            per_speaker[speaker].append(line)
    url = settings.SITE_URL + reverse(
        "plugins:talk:schedule", kwargs={"organizer": event.organizer.slug, "event": event.slug}
    )
    for speaker, talks in per_speaker.items():
        lines = "\n".join(talks)
        talk_mail_queue(
            event=event,
            role=MailTemplate.Role.SCHEDULE_UPDATE,
            to=[speaker.email],
            context={
                "speaker_name": speaker.get_full_name(),
                "schedule_version": schedule.version,
                "schedule_url": url,
                "talks": lines,
            },
            delivery_key=f"talk-schedule-{schedule.pk}-{speaker.pk}",
        )
