"""Importing a frab/c3voc ``schedule.xml`` into an event: no account at the source needed.

What comes over: the conference (title, dates, time zone when the file names one), rooms,
tracks, session types, talks as confirmed submissions, their persons as speakers, each talk's
slot (room, start, duration) and a released schedule version holding them.

Every imported row is remembered by the key it has in the file (a guid where the file gives
one) in :class:`~eventyay_talk.models.TalkImportRecord`, so a second run updates instead of
duplicating, and a talk that left the file is taken out of the schedule. An event has one
schedule-XML import: the same schedule read once from a URL and once from a downloaded copy
maps onto the same rows. Everything is written in one transaction; a dry run rolls it back, so
its report is exactly what the import would do.

Speakers in a schedule have a name and nothing else. Each becomes a user without a password
and with an address under the reserved ``.invalid`` domain, so no mail reaches anyone; an
organizer who wants the speaker to log in changes the address in the speaker's profile.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import uuid
import zoneinfo
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_scopes import scope
from i18nfield.strings import LazyI18nString

from eventyay.base.models import Event, Organizer
from eventyay.base.services.events import event_create, event_update
from eventyay.base.services.import_report import ImportReport
from eventyay.base.services.jobs import job_atomic
from eventyay.base.services.log import Actor, log_action
from eventyay_talk.importers.schedule_xml_format import (
    MAX_XML_BYTES,
    ScheduleXMLError,
    XMLPerson,
    XMLSchedule,
    XMLTalk,
    schedule_xml_fetch,
    schedule_xml_parse,
    schedule_xml_read,
)
from eventyay_talk.importers.schedule_xml_records import ScheduleXMLRecords
from eventyay_talk.models import (
    Room,
    Schedule,
    SpeakerProfile,
    Submission,
    SubmissionStates,
    SubmissionType,
    TalkImport,
    TalkSlot,
    Track,
)
from eventyay_talk.models.codes import CODE_ALPHABET, CODE_LENGTH, generate_unique_code
from eventyay_talk.services.accounts import speaker_user_for_email
from eventyay_talk.services.schedule import schedule_release, wip_schedule

__all__ = [
    "MAX_XML_BYTES",
    "ScheduleXMLError",
    "schedule_xml_fetch",
    "schedule_xml_import",
    "schedule_xml_read",
]

Progress = Callable[[int], None]

#: A talk code from the file is kept when it looks like one of ours (pretalx uses the same kind).
CODE_PATTERN = re.compile(r"^[A-Z0-9]{4,16}$")
#: The domain of the addresses given to imported speakers; ``.invalid`` never receives mail.
SPEAKER_EMAIL_DOMAIN = "schedule-import.eventyay.invalid"
SPEAKER_EMAIL_NAMESPACE = uuid.UUID("2c1f9e0a-7b7d-4b35-9f54-0c2a8f3e6d21")
DEFAULT_TRACK_COLOR = "#3b7a57"


class ScheduleXMLImportError(ScheduleXMLError):
    """The import cannot start or go on; the message can be shown as it is."""


class _Importer:
    def __init__(self, *, schedule: XMLSchedule, source_url: str, report: ImportReport, actor: Actor) -> None:
        self.schedule = schedule
        self.source_url = source_url
        self.report = report
        self.actor = actor
        self.event: Event
        self.records: ScheduleXMLRecords
        self._taken_codes: set[str] | None = None

    def run(self, event: Event, progress: Progress) -> None:
        self.event = event
        talk_import = TalkImport.objects.filter(
            event=event, source_kind=TalkImport.SourceKind.SCHEDULE_XML
        ).first()
        if talk_import is None:
            talk_import = TalkImport.objects.create(
                event=event, source_kind=TalkImport.SourceKind.SCHEDULE_XML, source_url=self.source_url[:500]
            )
        elif talk_import.source_url != self.source_url[:500]:
            talk_import.source_url = self.source_url[:500]
            talk_import.save(update_fields=["source_url"])
        self.records = ScheduleXMLRecords(talk_import, event, self.report)
        in_event = {"event": event}
        rooms = {
            room.name: self.records.save(
                "room",
                room.key,
                Room,
                {"name": LazyI18nString(room.name), "position": index},
                scoped=in_event,
            )
            for index, room in enumerate(self.schedule.rooms)
        }
        tracks = {
            name: self.records.save(
                "track",
                f"name:{name}",
                Track,
                {"name": LazyI18nString(name), "color": color or DEFAULT_TRACK_COLOR, "position": index},
                scoped=in_event,
            )
            for index, (name, color) in enumerate(self.schedule.tracks.items())
        }
        types = self._types()
        progress(20)
        speakers = self._speakers()
        progress(40)
        wip = wip_schedule(event=event)
        imported: set[int] = set()
        for count, talk in enumerate(self.schedule.talks, start=1):
            submission = self._submission(talk, types, tracks.get(talk.track))
            users = [speakers[person.key].user for person in talk.persons]
            if {u.pk for u in submission.speakers.all()} != {u.pk for u in users}:
                submission.speakers.set(users)
            self._slot(wip, submission, rooms[talk.room], talk)
            imported.add(submission.pk)
            if count % 20 == 0:
                progress(40 + 50 * count // len(self.schedule.talks))
        self._drop_departed(wip, imported)
        self._release()
        TalkImport.objects.filter(pk=talk_import.pk).update(
            last_run=timezone.now(), last_report=self.report.as_dict()
        )

    def _types(self) -> dict[str, SubmissionType]:
        durations: dict[str, list[int]] = {}
        for talk in self.schedule.talks:
            durations.setdefault(talk.type or _("Talk"), []).append(talk.duration)
        return {
            name: self.records.save(
                "submission_type",
                f"name:{name}",
                SubmissionType,
                # The most frequent length of talks of this type; ties go to the shorter.
                {
                    "name": LazyI18nString(name),
                    "default_duration": max(sorted(set(lengths)), key=lengths.count),
                },
                scoped={"event": self.event},
            )
            for name, lengths in durations.items()
        }

    def _speakers(self) -> dict[str, SpeakerProfile]:
        persons: dict[str, XMLPerson] = {}
        for talk in self.schedule.talks:
            for person in talk.persons:
                persons.setdefault(person.key, person)
        profiles = {}
        for key, person in persons.items():
            profile = self.records.get(SpeakerProfile, "speaker", key, event=self.event)
            if profile is None:
                # One user per person and event, so the same file imported by another organizer
                # never shares an account with this one.
                local = uuid.uuid5(SPEAKER_EMAIL_NAMESPACE, f"{self.event.pk}/{key}").hex
                user = speaker_user_for_email(
                    event=self.event, email=f"speaker-{local}@{SPEAKER_EMAIL_DOMAIN}", name=person.name
                )
                profile = SpeakerProfile.objects.filter(event=self.event, user=user).first()
            code = person.code if CODE_PATTERN.match(person.code) else ""
            if profile is None:
                profile = SpeakerProfile.objects.create(
                    event=self.event,
                    user=user,
                    name=person.name,
                    code=code
                    if code and not SpeakerProfile.objects.filter(event=self.event, code=code).exists()
                    else generate_unique_code(SpeakerProfile, event=self.event),
                )
                self.records.remember("speaker", key, profile, person.name)
                self.report.count("speaker", created=True)
            elif profile.name != person.name:
                profile.name = person.name
                profile.save(update_fields=["name"])
                self.records.remember("speaker", key, profile, person.name)
                self.report.count("speaker", created=False)
            else:
                self.records.remember("speaker", key, profile, person.name)
                self.report.unchanged["speaker"] += 1
            profiles[key] = profile
        return profiles

    def _code(self, talk: XMLTalk) -> str:
        """The file's code where it fits and is free, else one derived from the guid (stable)."""
        if self._taken_codes is None:
            self._taken_codes = set(
                Submission.objects.filter(event=self.event).values_list("code", flat=True)
            )
        taken = self._taken_codes
        code = self._free_code(talk, taken)
        taken.add(code)
        return code

    def _free_code(self, talk: XMLTalk, taken: set[str]) -> str:
        if CODE_PATTERN.match(talk.code) and talk.code not in taken:
            return talk.code
        digest = uuid.UUID(talk.guid).int
        for _attempt in range(20):
            code = ""
            value = digest
            for _position in range(CODE_LENGTH):
                value, index = divmod(value, len(CODE_ALPHABET))
                code += CODE_ALPHABET[index]
            if code not in taken:
                return code
            digest = int(hashlib.sha256(str(digest).encode()).hexdigest(), 16)
        return generate_unique_code(Submission, event=self.event)

    def _submission(self, talk: XMLTalk, types: dict[str, SubmissionType], track: Track | None) -> Submission:
        fields = {
            "title": talk.title,
            "abstract": talk.abstract,
            "description": talk.description,
            "duration": talk.duration,
            "track": track,
            "submission_type": types[talk.type or _("Talk")],
            "content_locale": talk.language or self.event.locale,
            "state": SubmissionStates.CONFIRMED,
        }
        existing = self.records.get(Submission, "submission", talk.guid, event=self.event)
        if existing is None:
            return self.records.save(
                "submission",
                talk.guid,
                Submission,
                fields,
                scoped={"event": self.event, "code": self._code(talk)},
            )
        return self.records.save("submission", talk.guid, Submission, fields, scoped={"event": self.event})

    def _slot(self, wip: Schedule, submission: Submission, room: Room, talk: XMLTalk) -> None:
        slot = TalkSlot.objects.filter(schedule=wip, submission=submission, kind=TalkSlot.Kind.TALK).first()
        placement = (room.pk, talk.start, talk.end)
        if slot is None:
            TalkSlot.objects.create(
                schedule=wip,
                submission=submission,
                kind=TalkSlot.Kind.TALK,
                room=room,
                start=talk.start,
                end=talk.end,
            )
            self.report.count("slot", created=True)
        elif (slot.room_id, slot.start, slot.end) != placement:
            slot.room, slot.start, slot.end = room, talk.start, talk.end
            slot.save(update_fields=["room", "start", "end"])
            self.report.count("slot", created=False)
        else:
            self.report.unchanged["slot"] += 1

    def _drop_departed(self, wip: Schedule, imported: set[int]) -> None:
        """Talks of an earlier run that are not in the file any more leave the schedule (and are kept)."""
        earlier = {
            object_id for (kind, _key), (object_id, _m) in self.records.ids.items() if kind == "submission"
        }
        departed = TalkSlot.objects.filter(
            schedule=wip, submission_id__in=earlier - imported, room__isnull=False
        ).select_related("submission")
        for slot in departed:
            if slot.submission is not None:
                self.report.notes.append(
                    _("“%(title)s” is no longer in the file; it was taken out of the schedule.")
                    % {"title": slot.submission.title}
                )
        departed.update(room=None, start=None, end=None)

    def _release(self) -> None:
        """Release the imported schedule as a version, unless the latest release already shows it."""
        from eventyay_talk.selectors import latest_schedule

        def placements(schedule: Schedule) -> set[tuple[Any, ...]]:
            return set(
                schedule.slots.filter(
                    kind=TalkSlot.Kind.TALK, room__isnull=False, submission__state=SubmissionStates.CONFIRMED
                ).values_list("submission_id", "room_id", "start", "end")
            )

        latest = latest_schedule(self.event)
        wip = wip_schedule(event=self.event)
        if latest is not None and placements(latest) == placements(wip):
            self.report.notes.append(
                _("The schedule did not change; no new version was released (latest: %(version)s).")
                % {"version": latest.version}
            )
            return
        version = self._version_name()
        schedule_release(
            event=self.event,
            version=version,
            comment=_("Imported from %(source)s") % {"source": self.source_url},
            notify_speakers=False,
            actor=self.actor,
        )
        self.report.count("schedule", created=True)
        self.report.notes.append(_("Released the schedule as version “%(version)s”.") % {"version": version})

    def _version_name(self) -> str:
        base = (self.schedule.version or _("import")).replace("/", "-").strip()[:180] or _("import")
        if base.lower() in ("wip", "latest"):
            base = f"{base}-import"
        taken = {
            v.lower()
            for v in Schedule.objects.filter(event=self.event).values_list("version", flat=True)
            if v
        }
        name, number = base, 1
        while name.lower() in taken:
            number += 1
            name = f"{base} ({number})"
        return name


def _event_fields(schedule: XMLSchedule, event: Event | None) -> dict[str, Any]:
    tz_name = schedule.time_zone or (event.timezone if event is not None else "UTC")
    zone = zoneinfo.ZoneInfo(tz_name)
    starts = [talk.start for talk in schedule.talks]
    ends = [talk.end for talk in schedule.talks]
    if schedule.start is not None:
        starts.append(dt.datetime.combine(schedule.start, dt.time(0, 0), tzinfo=zone))
    if schedule.end is not None:
        ends.append(dt.datetime.combine(schedule.end, dt.time(23, 59), tzinfo=zone))
    if not starts:
        raise ScheduleXMLImportError(_("The schedule has no talks and no conference dates."))
    fields: dict[str, Any] = {"date_from": min(starts), "date_to": max(ends or starts), "timezone": tz_name}
    if schedule.title:
        fields["name"] = schedule.title[:200]
    return fields


def _target(
    organizer: Organizer, event_slug: str, schedule: XMLSchedule, report: ImportReport, actor: Actor
) -> Event:
    """The event to import into: created with the talk plugin, or an existing one that may take it."""
    event = Event.objects.filter(organizer=organizer, slug=event_slug).first()
    try:
        if event is None:
            data = {**_event_fields(schedule, None), "slug": event_slug}
            data.setdefault("name", event_slug)
            report.count("event", created=True)
            return event_create(organizer=organizer, data=data, plugins=["talk"], actor=actor)
        if not event.has_plugin("talk"):
            raise ScheduleXMLImportError(
                _("The event %(slug)s does not use the talk plugin; switch it on first.")
                % {"slug": event.slug}
            )
        imported_before = TalkImport.objects.filter(
            event=event, source_kind=TalkImport.SourceKind.SCHEDULE_XML
        ).exists()
        if not imported_before and Submission.objects.filter(event=event).exists():
            raise ScheduleXMLImportError(
                _(
                    "The event %(slug)s already has proposals of its own; import the schedule into a new event."
                )
                % {"slug": event.slug}
            )
        changed = {
            name: value
            for name, value in _event_fields(schedule, event).items()
            # Names compare as text: a translated name whose shown text is the title stays as it is.
            if (str(event.name) if name == "name" else getattr(event, name)) != value
        }
        if not changed:
            report.unchanged["event"] += 1
            return event
        report.count("event", created=False)
        return event_update(event=event, data=changed, actor=actor)
    except ValidationError as exc:
        raise ScheduleXMLImportError(
            _("The event cannot be saved: %(problem)s") % {"problem": " ".join(exc.messages)}
        ) from exc


def schedule_xml_import(
    *,
    content: bytes,
    source_url: str,
    organizer: Organizer,
    event_slug: str,
    dry_run: bool = False,
    actor: Actor = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Import the schedule ``content`` (read from ``source_url``) into ``organizer``'s event ``event_slug``.

    The event is created with the talk plugin when it does not exist. Raises
    :class:`ScheduleXMLError` with a message for people when the file is no readable schedule or
    the event cannot take it; nothing is written then.
    """
    report = ImportReport(dry_run=dry_run)

    def step(percentage: int) -> None:
        if progress is not None:
            progress(max(0, min(100, percentage)))

    with scope(organizer=organizer):
        existing = Event.objects.filter(organizer=organizer, slug=event_slug).first()
        schedule = schedule_xml_parse(content, default_time_zone=existing.timezone if existing else "UTC")
        if not schedule.talks:
            raise ScheduleXMLImportError(_("The schedule holds no talks."))
        step(5)
        with job_atomic():
            event = _target(organizer, event_slug, schedule, report, actor)
            importer = _Importer(schedule=schedule, source_url=source_url, report=report, actor=actor)
            importer.run(event, step)
            if dry_run:
                transaction.set_rollback(True)
            else:
                log_action(
                    action="eventyay_talk.schedule.imported",
                    organizer=organizer,
                    event=event,
                    obj=event,
                    actor=actor,
                    data={"source": source_url[:500], "counts": report.as_dict()["counts"]},
                )
    step(100)
    return report
