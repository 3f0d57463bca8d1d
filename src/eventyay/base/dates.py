"""Dates and times of an event, as its visitors read them.

Times are shown in the event's time zone (where the event happens), never in the server's or
a guess of the visitor's: the visitor's own zone is unknown without JavaScript, so every time
is followed by the zone's abbreviation (``CEST``, ``EDT``) and nobody misreads it. Dates and
times are formatted for the active language with Django's localisation, except that the
formats below replace the ones that read ambiguously: English day-first with the month as a
word (no US ``5/1`` month-first numbers, no ``a.m.`` that ends in a second full stop at the
end of a sentence) and German ``Montag, 5. Mai 2031``.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Protocol

from django.utils import formats, translation
from django.utils.dateformat import format as date_format

#: Date and time formats per language (Django's ``date`` syntax); other languages use the
#: formats of their Django locale.
_FORMATS: dict[str, dict[str, str]] = {
    "en": {"date": "j F Y", "long_date": "l, j F Y", "time": "H:i"},
    "de": {"date": "j. F Y", "long_date": "l, j. F Y", "time": "H:i"},
}


class HasTimezone(Protocol):
    timezone: str


def _zone(event_or_zone: HasTimezone | str | dt.tzinfo | None) -> dt.tzinfo:
    if event_or_zone is None or event_or_zone == "":
        return dt.UTC
    if isinstance(event_or_zone, dt.tzinfo):
        return event_or_zone
    name = event_or_zone if isinstance(event_or_zone, str) else event_or_zone.timezone
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return dt.UTC


def _format(kind: str) -> str:
    language = (translation.get_language() or "en").split("-")[0].lower()
    if language in _FORMATS:
        return _FORMATS[language][kind]
    django_name = {"date": "DATE_FORMAT", "long_date": "DATE_FORMAT", "time": "TIME_FORMAT"}[kind]
    return str(formats.get_format(django_name))


def _local(value: dt.datetime, event_or_zone: HasTimezone | str | dt.tzinfo | None) -> dt.datetime:
    if value.tzinfo is None:
        # Naive values are UTC (the database's and Django's convention with USE_TZ).
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(_zone(event_or_zone))


def zone_abbreviation(value: dt.datetime, event_or_zone: HasTimezone | str | dt.tzinfo | None) -> str:
    """The abbreviation of the event's zone at ``value`` (``CEST``; ``UTC+03`` where there is none)."""
    local = _local(value, event_or_zone)
    name = local.tzname() or "UTC"
    if name[0] in "+-":
        name = f"UTC{name}"
    return name


def format_date(
    value: dt.date | dt.datetime | None, event_or_zone: HasTimezone | str | None = None, *, long: bool = False
) -> str:
    """The day of ``value`` in the event's zone, such as ``5 May 2031`` or ``Montag, 5. Mai 2031``."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = _local(value, event_or_zone)
    return date_format(value, _format("long_date" if long else "date"))


def format_time(
    value: dt.datetime | None, event_or_zone: HasTimezone | str | None = None, *, zone: bool = True
) -> str:
    """The time of ``value`` in the event's zone, followed by the zone's abbreviation (``09:30 CEST``)."""
    if value is None:
        return ""
    text = date_format(_local(value, event_or_zone), _format("time"))
    return f"{text} {zone_abbreviation(value, event_or_zone)}" if zone else text


def format_datetime(
    value: dt.datetime | None, event_or_zone: HasTimezone | str | None = None, *, long: bool = False
) -> str:
    """Day and time of ``value`` in the event's zone: ``5 May 2031, 09:30 CEST``."""
    if value is None:
        return ""
    return f"{format_date(value, event_or_zone, long=long)}, {format_time(value, event_or_zone)}"


def format_time_range(
    start: dt.datetime | None, end: dt.datetime | None, event_or_zone: HasTimezone | str | None = None
) -> str:
    """From and until on one day, with the zone once: ``09:30–10:15 CEST``."""
    if start is None:
        return ""
    if end is None:
        return format_time(start, event_or_zone)
    return f"{format_time(start, event_or_zone, zone=False)}–{format_time(end, event_or_zone)}"


def format_range(
    start: dt.datetime | None, end: dt.datetime | None, event_or_zone: HasTimezone | str | None = None
) -> str:
    """A span of time in the event's zone, naming the day once when it starts and ends on it.

    ``5 May 2031, 09:00–17:00 CEST``; ``5 May 2031, 09:00 CEST – 7 May 2031, 18:00 CEST``.
    """
    if start is None:
        return ""
    if end is None:
        return format_datetime(start, event_or_zone)
    local_start, local_end = _local(start, event_or_zone), _local(end, event_or_zone)
    if local_start.date() == local_end.date():
        return f"{format_date(start, event_or_zone)}, {format_time_range(start, end, event_or_zone)}"
    return f"{format_datetime(start, event_or_zone)} – {format_datetime(end, event_or_zone)}"


def format_date_range(
    start: dt.datetime | None, end: dt.datetime | None, event_or_zone: HasTimezone | str | None = None
) -> str:
    """The days an event spans, in its zone: ``5 May 2031`` or ``5 May 2031 – 7 May 2031``."""
    if start is None:
        return ""
    first = format_date(start, event_or_zone)
    if end is None:
        return first
    last = format_date(end, event_or_zone)
    return first if first == last else f"{first} – {last}"
