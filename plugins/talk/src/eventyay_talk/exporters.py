"""Schedule export formats: the record plugins register and the built-in renderers.

Every renderer takes the plain data :func:`eventyay_talk.selectors.schedule_export_data`
builds (no database access), so a released version can be rendered once and stored.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from xml.etree import ElementTree as ET

from django.core.serializers.json import DjangoJSONEncoder
from django.utils.text import slugify

import eventyay_talk


@dataclass(frozen=True)
class ScheduleExporter:
    """A schedule export format, served as ``schedule.<identifier>``."""

    identifier: str
    label: str
    content_type: str
    render: Callable[[dict[str, Any]], str | bytes]

    @property
    def name(self) -> str:
        return self.identifier


def exporters_for(event: Any) -> list[ScheduleExporter]:
    """The formats offered for ``event``: built-in ones and those of enabled plugins."""
    from eventyay.base.plugins.manager import collect_records, hooks_for

    return collect_records(hooks_for(event).register_schedule_exporters, event=event)


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


ACRONYM = re.compile(r"^[a-z0-9_-]{4,}$")
VOC_SLUG = re.compile(r"^[a-z0-9_]{4,}-[a-z0-9\-_]{4,}$")
TRACK_SLUG = re.compile(r"^[a-z][a-z0-9-]+$")


def talk_slug(event_slug: str, code: str, title: str) -> str | None:
    """The c3voc ``slug`` (``<acronym>-<code>-<title>``), or None when the acronym cannot form one."""
    prefix = re.sub(r"[^a-z0-9_]", "_", event_slug.lower())
    slug = f"{prefix}-{code.lower()}-{slugify(title)}".strip("-")[:120]
    return slug if VOC_SLUG.match(slug) else None


def track_slug(name: str) -> str | None:
    slug = slugify(name)
    return slug if TRACK_SLUG.match(slug) else None


# --- frab XML ----------------------------------------------------------------------------------


def render_xml(data: dict[str, Any]) -> bytes:
    """frab/c3voc ``schedule.xml``, valid against the c3voc schema."""
    conf = data["conference"]
    root = ET.Element("schedule")
    ET.SubElement(root, "generator", name="eventyay-talk", version=eventyay_talk.__version__)
    ET.SubElement(root, "url").text = data["url"]
    ET.SubElement(root, "version").text = data["version"]
    conference = ET.SubElement(root, "conference")
    ET.SubElement(conference, "title").text = conf["title"]
    if ACRONYM.match(conf["acronym"]):
        ET.SubElement(conference, "acronym").text = conf["acronym"]
    ET.SubElement(conference, "start").text = conf["start"].isoformat()
    ET.SubElement(conference, "end").text = conf["end"].isoformat()
    ET.SubElement(conference, "days").text = str(len(data["days"]))
    ET.SubElement(conference, "timeslot_duration").text = "00:05"
    ET.SubElement(conference, "base_url").text = conf["base_url"]
    ET.SubElement(conference, "url").text = conf["url"]
    ET.SubElement(conference, "time_zone_name").text = conf["time_zone_name"]
    for track in data["tracks"]:
        attrs = {"name": track["name"], "color": track["color"]}
        if track["slug"]:
            attrs["slug"] = track["slug"]
        ET.SubElement(conference, "track", attrs)
    for day in data["days"]:
        day_el = ET.SubElement(
            root,
            "day",
            index=str(day["index"]),
            date=day["date"].isoformat(),
            start=day["start"].isoformat(),
            end=day["end"].isoformat(),
        )
        for room in data["rooms"]:
            room_el = ET.SubElement(day_el, "room", name=room["name"], guid=room["guid"])
            for talk in day["rooms"].get(room["name"], []):
                if talk["kind"] != "talk":
                    continue
                event_el = ET.SubElement(
                    room_el, "event", guid=talk["guid"], id=str(talk["id"]), code=talk["code"]
                )
                ET.SubElement(event_el, "room").text = talk["room"]
                ET.SubElement(event_el, "title").text = talk["title"]
                ET.SubElement(event_el, "subtitle").text = ""
                ET.SubElement(event_el, "type").text = talk["type"]
                ET.SubElement(event_el, "date").text = talk["start"].isoformat()
                ET.SubElement(event_el, "start").text = talk["start"].strftime("%H:%M")
                ET.SubElement(event_el, "duration").text = _hhmm(talk["duration"])
                ET.SubElement(event_el, "abstract").text = talk["abstract"]
                if talk["slug"]:
                    ET.SubElement(event_el, "slug").text = talk["slug"]
                ET.SubElement(event_el, "track").text = talk["track"] or ""
                ET.SubElement(event_el, "logo").text = talk["logo"] or ""
                persons = ET.SubElement(event_el, "persons")
                for person in talk["persons"]:
                    ET.SubElement(persons, "person", id=str(person["id"]), guid=person["guid"]).text = person[
                        "name"
                    ]
                ET.SubElement(event_el, "language").text = talk["language"]
                ET.SubElement(event_el, "description").text = talk["description"]
                recording = ET.SubElement(event_el, "recording")
                ET.SubElement(recording, "license").text = ""
                ET.SubElement(recording, "optout").text = "false"
                ET.SubElement(event_el, "links")
                ET.SubElement(event_el, "attachments")
                ET.SubElement(event_el, "url").text = talk["url"]
    ET.indent(root)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="utf-8") + b"\n"


# --- c3voc JSON --------------------------------------------------------------------------------


def _json_talk(talk: dict[str, Any]) -> dict[str, Any]:
    return {
        "guid": talk["guid"],
        "code": talk["code"],
        "id": talk["id"],
        "logo": talk["logo"],
        "date": talk["start"].isoformat(),
        "start": talk["start"].strftime("%H:%M"),
        "duration": _hhmm(talk["duration"]),
        "room": talk["room"],
        "slug": talk["slug"],
        "url": talk["url"],
        "title": talk["title"],
        "subtitle": "",
        "track": talk["track"],
        "type": talk["type"],
        "language": talk["language"],
        "abstract": talk["abstract"],
        "description": talk["description"],
        "recording_license": "",
        "do_not_record": False,
        "persons": [
            {
                "guid": person["guid"],
                "id": person["id"],
                "code": person["code"],
                "public_name": person["name"],
                "biography": person["biography"],
                "answers": [],
            }
            for person in talk["persons"]
        ],
        "links": [],
        "attachments": [],
        "answers": [],
    }


def render_json(data: dict[str, Any]) -> bytes:
    """The c3voc ``schedule.json`` structure (``schedule.conference.days[].rooms``)."""
    conf = data["conference"]
    document = {
        "$schema": "https://c3voc.de/schedule/schema.json",
        "generator": {"name": "eventyay-talk", "version": eventyay_talk.__version__},
        "schedule": {
            "url": data["url"],
            "version": data["version"],
            "base_url": conf["base_url"],
            "conference": {
                "acronym": conf["acronym"],
                "title": conf["title"],
                "start": conf["start"].isoformat(),
                "end": conf["end"].isoformat(),
                "daysCount": len(data["days"]),
                "timeslot_duration": "00:05",
                "time_zone_name": conf["time_zone_name"],
                "url": conf["url"],
                "rooms": [
                    {
                        "name": room["name"],
                        "slug": slugify(room["name"]),
                        "guid": room["guid"],
                        "description": room["description"],
                        "capacity": room["capacity"],
                    }
                    for room in data["rooms"]
                ],
                "tracks": [
                    {"name": track["name"], "slug": track["slug"], "color": track["color"]}
                    for track in data["tracks"]
                ],
                "days": [
                    {
                        "index": day["index"],
                        "date": day["date"].isoformat(),
                        "day_start": day["start"].isoformat(),
                        "day_end": day["end"].isoformat(),
                        "rooms": {
                            room["name"]: [
                                _json_talk(talk)
                                for talk in day["rooms"].get(room["name"], [])
                                if talk["kind"] == "talk"
                            ]
                            for room in data["rooms"]
                        },
                    }
                    for day in data["days"]
                ],
            },
        },
    }
    return json.dumps(document, cls=DjangoJSONEncoder, ensure_ascii=False, indent=1).encode()


# --- iCalendar ---------------------------------------------------------------------------------


def render_ics(data: dict[str, Any]) -> bytes:
    """An iCalendar file with one VEVENT per talk (breaks left out)."""
    import icalendar

    conf = data["conference"]
    calendar = icalendar.Calendar()
    calendar.add("prodid", f"-//eventyay-talk//{conf['acronym']}//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", data.get("calendar_name") or conf["title"])
    stamp = data["published"] or dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    for talk in data["talks"]:
        if talk["kind"] != "talk":
            continue
        vevent = icalendar.Event()
        vevent.add("uid", f"{talk['guid']}@{conf['host']}")
        vevent.add("dtstamp", stamp.astimezone(dt.UTC))
        vevent.add("dtstart", talk["start"].astimezone(dt.UTC))
        vevent.add("dtend", talk["end"].astimezone(dt.UTC))
        vevent.add("summary", talk["title"])
        vevent.add("location", talk["room"])
        vevent.add("url", talk["url"])
        speakers = ", ".join(person["name"] for person in talk["persons"])
        vevent.add(
            "description", "\n\n".join(part for part in (speakers, talk["abstract"], talk["url"]) if part)
        )
        calendar.add_component(vevent)
    return calendar.to_ical()


BUILTIN_EXPORTERS = [
    ScheduleExporter("xml", "frab XML", "application/xml; charset=utf-8", render_xml),
    ScheduleExporter("json", "c3voc JSON", "application/json; charset=utf-8", render_json),
    ScheduleExporter("ics", "iCalendar", "text/calendar; charset=utf-8", render_ics),
]
