"""The HTML of the public schedule's days (grid or list), built in Python.

A large conference has hundreds of cards; rendering each through a template include cost
seconds on a cold cache. The markup is small and fixed, so it is assembled here from escaped
strings, once per version, time zone, layout and language (see ``views.schedule``).

The grid is a CSS grid without JavaScript: one column per room (the same rooms every day, so
columns keep their width), one row per five minutes, so a card's height is proportional to its
duration. Below 700 px the stylesheet lets the same markup flow as a list in time order, each
card naming its room. The script only adds the current-time marker.
"""

from __future__ import annotations

import datetime as dt
import re
from html import escape as _escape
from typing import Any

from django.utils.formats import date_format
from django.utils.translation import gettext as _

#: Minutes per grid row: talks rarely start off a five-minute mark (those round down).
STEP_MINUTES = 5
#: Time labels and grid lines every half hour.
LABEL_MINUTES = 30
_COLOR = re.compile(r"^#[0-9a-fA-F]{3}(?:[0-9a-fA-F]{3})?$")


def escape(value: Any) -> str:
    """Django's ``escape`` without its lazy-string wrapper, which showed in the profile."""
    return _escape(str(value))


def _color(value: str) -> str:
    """A track colour safe for a style attribute (the model stores ``#rrggbb``)."""
    return value if value and _COLOR.match(value) else ""


def _times(item: dict[str, Any]) -> str:
    start, end = item["start"], item["end"]
    return (
        f'<time datetime="{start.isoformat()}">{start:%H:%M}</time>–'
        f'<time datetime="{end.isoformat()}">{end:%H:%M}</time>'
    )


def _card(item: dict[str, Any], tz_query: str, *, room: str, placement: str = "") -> str:
    """One talk or break. ``room`` is shown where the grid's columns do not say it (list, phone)."""
    color = _color(item["track_color"])
    styles = [part for part in (placement, f"--talk-track: {color}" if color else "") if part]
    style = f' style="{"; ".join(styles)}"' if styles else ""
    track = f' data-track="{escape(item["track"])}"' if item.get("track") else ""
    minutes = int((item["end"] - item["start"]).total_seconds() // 60)
    size = " talk-slot-short" if minutes <= 20 else ""
    head = f'<div class="talk-slot talk-kind-{escape(item["kind"])}{size}"{style}{track}>'
    room_html = f'<span class="talk-slot-room">{escape(room)}</span>' if room else ""
    meta = f'<div class="talk-slot-meta">{_times(item)}{room_html}</div>'
    if item["kind"] == "talk":
        persons = ", ".join(escape(name) for name in item["persons"])
        speakers = f'<div class="talk-slot-persons">{persons}</div>' if persons else ""
        return (
            f'{head}{meta}<a class="talk-slot-title" href="{escape(item["url"])}{escape(tz_query)}">'
            f"{escape(item['title'])}</a>{speakers}</div>"
        )
    title = escape(item["title"]) or escape(_("Break"))
    return f'{head}{meta}<span class="talk-slot-title">{title}</span></div>'


def _floor(value: dt.datetime, minutes: int) -> dt.datetime:
    return value.replace(minute=value.minute - value.minute % minutes, second=0, microsecond=0)


def _ceil(value: dt.datetime, minutes: int) -> dt.datetime:
    floored = _floor(value, minutes)
    return floored if floored == value else floored + dt.timedelta(minutes=minutes)


def _row(start: dt.datetime, moment: dt.datetime, *, up: bool = False) -> int:
    """The grid line of a moment (line 1 is above the room headers, line 2 the first row)."""
    minutes = (moment - start).total_seconds() / 60
    rows = -(-minutes // STEP_MINUTES) if up else minutes // STEP_MINUTES
    return 2 + int(rows)


def _cards(items: list[dict[str, Any]], column: dict[int, int], rooms: list[Any]) -> list[tuple[Any, ...]]:
    """(item, first column, last column + 1, room label) per card; a break held in neighbouring
    rooms at the same time under the same name becomes one card across those columns."""
    names = {room.pk: str(room.name) for room in rooms}
    cards: list[tuple[Any, ...]] = []
    breaks: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for item in items:
        if item["kind"] == "talk":
            cards.append((item, column[item["room_id"]], column[item["room_id"]] + 1, item["room"]))
        else:
            breaks.setdefault((item["kind"], item["start"], item["end"], item["title"]), []).append(item)
    for group in breaks.values():
        group.sort(key=lambda item: column[item["room_id"]])
        runs: list[list[dict[str, Any]]] = []
        for item in group:
            if runs and column[item["room_id"]] == column[runs[-1][-1]["room_id"]] + 1:
                runs[-1].append(item)
            else:
                runs.append([item])
        for run in runs:
            first, last = column[run[0]["room_id"]], column[run[-1]["room_id"]] + 1
            if len(run) == len(rooms) and len(rooms) > 1:
                label = _("All rooms")
            else:
                label = ", ".join(names[item["room_id"]] for item in run)
            cards.append((run[0], first, last, label))
    cards.sort(key=lambda card: (card[0]["start"], card[1]))
    return cards


def _grid(day: dict[str, Any], rooms: list[Any], tz_query: str) -> str:
    items = day["items"]
    start = _floor(min(item["start"] for item in items), LABEL_MINUTES)
    end = _ceil(max(item["end"] for item in items), LABEL_MINUTES)
    rows = _row(start, end) - 2
    column = {room.pk: index for index, room in enumerate(rooms, start=2)}
    parts = [
        '<div class="talk-grid-scroll">'
        f'<div class="talk-grid" style="--talk-rooms: {len(rooms)}; --talk-rows: {rows}"'
        f' data-start="{start.isoformat()}" data-end="{end.isoformat()}" data-step="{STEP_MINUTES}">'
        '<div class="talk-grid-corner" aria-hidden="true"></div>'
    ]
    for room in rooms:
        parts.append(
            f'<div class="talk-grid-room" style="grid-column: {column[room.pk]}" aria-hidden="true">'
            f"{escape(room.name)}</div>"
        )
    moment = start
    while moment < end:
        line = _row(start, moment)
        span = LABEL_MINUTES // STEP_MINUTES
        parts.append(
            f'<div class="talk-grid-line" style="grid-row: {line} / span {span}" aria-hidden="true"></div>'
            f'<div class="talk-grid-time" style="grid-row: {line} / span {span}" aria-hidden="true">'
            f"{moment:%H:%M}</div>"
        )
        moment += dt.timedelta(minutes=LABEL_MINUTES)
    for item, first, last, label in _cards(items, column, rooms):
        top = _row(start, item["start"])
        bottom = max(_row(start, item["end"], up=True), top + 1)
        placement = f"grid-row: {top} / {bottom}; grid-column: {first} / {last}"
        parts.append(_card(item, tz_query, room=label, placement=placement))
    parts.append("</div></div>")
    return "".join(parts)


def _legend(items: list[dict[str, Any]]) -> str:
    tracks = sorted({(item["track"], _color(item["track_color"])) for item in items if item.get("track")})
    if not tracks:
        return ""
    entries = "".join(
        f'<li><span class="talk-track-dot" style="background: {color or "#6c757d"}" aria-hidden="true">'
        f"</span> {escape(name)}</li>"
        for name, color in tracks
    )
    return (
        f'<section class="talk-legend" aria-labelledby="talk-legend"><h2 id="talk-legend" class="h6">'
        f'{escape(_("Tracks"))}</h2><ul class="list-inline">{entries}</ul></section>'
    )


def _day_switch(days: list[dict[str, Any]]) -> str:
    if len(days) < 2:
        return ""
    links = "".join(
        f'<li class="nav-item"><a class="nav-link" href="#day-{number}" data-talk-day="{day["date"].isoformat()}">'
        f"{escape(date_format(day['date'], 'D'))}, {escape(date_format(day['date'], 'MONTH_DAY_FORMAT'))}"
        "</a></li>"
        for number, day in enumerate(days, start=1)
    )
    return (
        f'<nav aria-label="{escape(_("Days"))}"><ul class="nav nav-pills talk-days mb-3">{links}</ul></nav>'
    )


def schedule_days_html(data: dict[str, Any], *, view: str, tz_query: str) -> str:
    """The track legend, a day switch and one ``<section>`` per day: a grid of rooms × time
    or a list of slots in time order."""
    parts: list[str] = [_legend(data["items"]), _day_switch(data["days"])]
    for number, day in enumerate(data["days"], start=1):
        heading = f"{date_format(day['date'], 'l')}, {date_format(day['date'], 'DATE_FORMAT')}"
        parts.append(
            f'<section class="talk-day mb-5" id="day-{number}" aria-labelledby="day-{number}-heading"'
            f' data-talk-day="{day["date"].isoformat()}">'
            f'<h2 id="day-{number}-heading" class="h4">{escape(heading)}</h2>'
        )
        if view == "grid":
            parts.append(_grid(day, data["rooms"], tz_query))
        else:
            parts.append('<ul class="list-unstyled talk-list">')
            for item in day["items"]:
                parts.append(f"<li>{_card(item, tz_query, room=item['room'])}</li>")
            parts.append("</ul>")
        parts.append("</section>")
    return "".join(parts)
