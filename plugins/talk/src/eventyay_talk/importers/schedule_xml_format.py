"""Reading a frab/c3voc ``schedule.xml`` (from pretalx, frab or our own export) into plain data.

The file comes from an http(s) address, fetched through the SSRF-guarded client of
:mod:`eventyay.base.services.http` like every address an organizer types, or (on the command
line only) from a local file.

The format is described by the c3voc schema (https://c3voc.de/schedule/schema.xsd). Parsing is
lenient where producers differ and strict where the import could go wrong otherwise:

* a talk's start is its ``<date>`` (a date-time with offset); old frab files without it give
  the day's ``date`` and ``<start>`` (HH:MM), read in the conference's time zone;
* ``<duration>`` is ``HH:MM`` or ``HH:MM:SS``;
* a talk needs a ``guid`` (the key a re-run maps it by); frab files that lack it have a numeric
  ``id``, from which a stable guid is derived;
* anything else that cannot be read makes the whole file fail with a message naming the talk,
  instead of importing half a schedule.

The XML is parsed with ``defusedxml``: a file from the internet must not be able to expand
entities or reach out through external references.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from django.utils.translation import gettext as _

from eventyay.base.services.http import OutgoingRequestError, outgoing_request

#: Namespace of the guids derived for talks and persons that have none in the file.
XML_GUID_NAMESPACE = uuid.UUID("6f1d2b7a-93c4-4a52-8a0e-2f8d7c5b1e44")
DURATION = re.compile(r"^(\d{1,3}):(\d{2})(?::(\d{1,2}))?$")
CLOCK = re.compile(r"^(\d{1,2}):(\d{2})(?::\d{2})?$")
HEX_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")


class ScheduleXMLError(Exception):
    """The file is not a schedule we can read; the message can be shown as it is."""


@dataclass(frozen=True)
class XMLPerson:
    #: The person's key in the file: its guid, else ``id:<id>``, else ``name:<name>``.
    key: str
    name: str
    code: str = ""


@dataclass(frozen=True)
class XMLTalk:
    guid: str
    code: str
    title: str
    type: str
    track: str
    room: str
    start: dt.datetime
    duration: int
    abstract: str = ""
    description: str = ""
    language: str = ""
    persons: tuple[XMLPerson, ...] = ()

    @property
    def end(self) -> dt.datetime:
        return self.start + dt.timedelta(minutes=self.duration)


@dataclass(frozen=True)
class XMLRoom:
    #: The room's guid in the file, else ``name:<name>``.
    key: str
    name: str


@dataclass
class XMLSchedule:
    version: str
    title: str
    acronym: str
    time_zone: str
    start: dt.date | None
    end: dt.date | None
    rooms: list[XMLRoom] = field(default_factory=list)
    #: Track names with their colour ("" when the file gives none), in the file's order.
    tracks: dict[str, str] = field(default_factory=dict)
    talks: list[XMLTalk] = field(default_factory=list)


#: Largest schedule read, in bytes (the largest public schedules are a few megabytes).
MAX_XML_BYTES = 20 * 1024 * 1024
FETCH_TIMEOUT_SECONDS = 60.0


def schedule_xml_fetch(url: str) -> bytes:
    """The schedule at the http(s) address ``url``, fetched through the SSRF-guarded client."""
    if not url.lower().startswith(("http://", "https://")):
        raise ScheduleXMLError(_("Give a file or an http:// or https:// address."))
    try:
        response = outgoing_request(
            "GET",
            url,
            headers={"Accept": "application/xml, text/xml"},
            timeout=FETCH_TIMEOUT_SECONDS,
            max_response_bytes=MAX_XML_BYTES,
            allow_redirects=True,
        )
    except OutgoingRequestError as exc:
        raise ScheduleXMLError(
            _("The schedule could not be fetched: %(problem)s") % {"problem": exc}
        ) from exc
    if not response.ok:
        raise ScheduleXMLError(
            _("The schedule could not be fetched: HTTP %(status)d.") % {"status": response.status}
        )
    if response.truncated:
        raise ScheduleXMLError(
            _("The schedule is larger than %(size)d MB.") % {"size": MAX_XML_BYTES // 2**20}
        )
    return response.body


def schedule_xml_read(source: str) -> bytes:
    """The bytes of ``source``: an http(s) address (see :func:`schedule_xml_fetch`) or a local file.

    Only the command line reads files; the control panel fetches addresses only.
    """
    if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", source):
        return schedule_xml_fetch(source)
    path = Path(source)
    try:
        if path.stat().st_size > MAX_XML_BYTES:
            raise ScheduleXMLError(
                _("The schedule is larger than %(size)d MB.") % {"size": MAX_XML_BYTES // 2**20}
            )
        return path.read_bytes()
    except OSError as exc:
        raise ScheduleXMLError(
            _("The file %(name)s cannot be read: %(problem)s")
            % {"name": source, "problem": exc.strerror or exc}
        ) from exc


def _text(element: Element | None, name: str) -> str:
    if element is None:
        return ""
    child = element.find(name)
    return (child.text or "").strip() if child is not None else ""


def _date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value[:10]) if value else None
    except ValueError:
        return None


def _minutes(value: str) -> int | None:
    match = DURATION.match(value)
    if not match:
        return None
    hours, minutes, seconds = match.groups()
    return int(hours) * 60 + int(minutes) + (1 if seconds and int(seconds) >= 30 else 0)


def _zone(name: str) -> zoneinfo.ZoneInfo | None:
    try:
        return zoneinfo.ZoneInfo(name) if name else None
    except (ValueError, zoneinfo.ZoneInfoNotFoundError):
        return None


def derived_guid(*parts: str) -> str:
    """A guid for something the file names without one; the same input gives the same guid."""
    return str(uuid.uuid5(XML_GUID_NAMESPACE, "/".join(parts)))


def _canonical_guid(value: str) -> str | None:
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return None


def _start(event: Element, day: Element, tz: dt.tzinfo, label: str) -> dt.datetime:
    stamp = _text(event, "date")
    if stamp:
        try:
            start = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
        except ValueError:
            raise ScheduleXMLError(
                _("Talk %(talk)s has an unreadable <date> “%(value)s”.") % {"talk": label, "value": stamp}
            ) from None
        return start if start.tzinfo is not None else start.replace(tzinfo=tz)
    clock = CLOCK.match(_text(event, "start"))
    day_date = _date(day.get("date") or "")
    if clock is None or day_date is None:
        raise ScheduleXMLError(
            _("Talk %(talk)s has neither a <date> nor a day and <start>.") % {"talk": label}
        )
    return dt.datetime.combine(day_date, dt.time(int(clock.group(1)) % 24, int(clock.group(2))), tzinfo=tz)


def _persons(event: Element) -> tuple[XMLPerson, ...]:
    persons = []
    for person in event.iterfind("persons/person"):
        name = " ".join((person.text or "").split())
        if not name:
            continue
        guid = _canonical_guid(person.get("guid") or "")
        key = guid or (f"id:{person.get('id')}" if person.get("id") else f"name:{name}")
        persons.append(XMLPerson(key=key, name=name[:255], code=(person.get("code") or "").strip()))
    return tuple(persons)


def schedule_xml_parse(content: bytes, *, default_time_zone: str = "UTC") -> XMLSchedule:
    """The schedule in ``content``; :class:`ScheduleXMLError` with a reason when it is none."""
    try:
        root = fromstring(content, forbid_dtd=True)
    except ParseError as exc:
        raise ScheduleXMLError(
            _("This is not well-formed XML: %(problem)s") % {"problem": str(exc)}
        ) from None
    except DefusedXmlException:
        raise ScheduleXMLError(
            _("The file declares a document type or entities; they are not allowed.")
        ) from None
    if root.tag != "schedule":
        raise ScheduleXMLError(
            _("This is no schedule: its root element is <%(tag)s>, not <schedule>.") % {"tag": root.tag}
        )
    conference = root.find("conference")
    if conference is None:
        raise ScheduleXMLError(_("The schedule has no <conference>."))
    zone_name = _text(conference, "time_zone_name")
    tz = _zone(zone_name) or _zone(default_time_zone) or dt.UTC
    schedule = XMLSchedule(
        version=_text(root, "version"),
        title=_text(conference, "title"),
        acronym=_text(conference, "acronym"),
        time_zone=zone_name if _zone(zone_name) else "",
        start=_date(_text(conference, "start")),
        end=_date(_text(conference, "end")),
    )
    for track in conference.iterfind("track"):
        name = (track.get("name") or track.text or "").strip()
        if name:
            color = track.get("color") or ""
            schedule.tracks[name[:100]] = color if HEX_COLOR.match(color) else ""
    rooms: dict[str, XMLRoom] = {}
    seen: set[str] = set()
    days = root.findall("day")
    if not days:
        raise ScheduleXMLError(_("The schedule has no <day>."))
    for day in days:
        for room in day.iterfind("room"):
            room_name = (room.get("name") or "").strip()[:100]
            if not room_name:
                raise ScheduleXMLError(_("A <room> has no name."))
            if room_name not in rooms:
                key = _canonical_guid(room.get("guid") or "") or f"name:{room_name}"
                rooms[room_name] = XMLRoom(key=key, name=room_name)
            for event in room.iterfind("event"):
                schedule.talks.append(_talk(event, day, room_name, tz, seen))
    schedule.rooms = list(rooms.values())
    for talk in schedule.talks:
        if talk.track and talk.track not in schedule.tracks:
            schedule.tracks[talk.track] = ""
    return schedule


def _talk(event: Element, day: Element, room: str, tz: dt.tzinfo, seen: set[str]) -> XMLTalk:
    title = " ".join(_text(event, "title").split())
    label = f"“{title}”" if title else (event.get("guid") or event.get("id") or "?")
    if not title:
        raise ScheduleXMLError(_("Talk %(talk)s has no title.") % {"talk": label})
    guid = _canonical_guid(event.get("guid") or "")
    if guid is None:
        if not event.get("id"):
            raise ScheduleXMLError(_("Talk %(talk)s has neither a guid nor an id.") % {"talk": label})
        guid = derived_guid("event", event.get("id") or "")
    if guid in seen:
        # pretalx lists a talk with several slots once per slot; one submission has one slot here.
        raise ScheduleXMLError(
            _("Talk %(talk)s appears twice (guid %(guid)s).") % {"talk": label, "guid": guid}
        )
    seen.add(guid)
    duration = _minutes(_text(event, "duration"))
    if duration is None or duration <= 0:
        raise ScheduleXMLError(
            _("Talk %(talk)s has an unreadable <duration> “%(value)s”.")
            % {"talk": label, "value": _text(event, "duration")}
        )
    return XMLTalk(
        guid=guid,
        code=(event.get("code") or "").strip(),
        title=title[:300],
        type=_text(event, "type")[:100],
        track=_text(event, "track")[:100],
        room=room,
        start=_start(event, day, tz, label),
        duration=duration,
        abstract=_text(event, "abstract"),
        description=_text(event, "description"),
        language=_text(event, "language")[:16],
        persons=_persons(event),
    )
