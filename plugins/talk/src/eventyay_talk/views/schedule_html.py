"""The HTML of the public schedule's days (grid or list), built in Python.

A large conference has hundreds of cards; rendering each through a template include cost
seconds on a cold cache. The markup is small and fixed, so it is assembled here from escaped
strings, once per version, time zone, layout and language (see ``views.schedule``).
"""

from __future__ import annotations

from html import escape as _escape
from typing import Any

from django.utils.formats import date_format
from django.utils.translation import gettext as _


def escape(value: Any) -> str:
    """Django's ``escape`` without its lazy-string wrapper, which showed in the profile."""
    return _escape(str(value))


def _card(item: dict[str, Any], tz_query: str) -> str:
    times = f"{item['start']:%H:%M}–{item['end']:%H:%M}"
    style = f' style="border-left-color: {escape(item["track_color"])}"' if item["track_color"] else ""
    head = f'<div class="talk-slot talk-kind-{escape(item["kind"])}"{style}>'
    if item["kind"] == "talk":
        persons = ", ".join(escape(name) for name in item["persons"])
        return (
            f'{head}<a href="{escape(item["url"])}{escape(tz_query)}">{escape(item["title"])}</a>'
            f'<div class="small text-body-secondary">{times}{" · " + persons if persons else ""}</div></div>'
        )
    title = escape(item["title"]) or escape(_("Break"))
    return f'{head}<span>{title}</span><div class="small text-body-secondary">{times}</div></div>'


def schedule_days_html(data: dict[str, Any], *, view: str, tz_query: str) -> str:
    """One ``<section>`` per day: a table of rooms × start times, or a list of slots."""
    parts: list[str] = []
    room_heads = "".join(f'<th scope="col">{escape(room.name)}</th>' for room in data["rooms"])
    for number, day in enumerate(data["days"], start=1):
        heading = f"{date_format(day['date'], 'l')}, {date_format(day['date'], 'DATE_FORMAT')}"
        parts.append(
            f'<section class="mb-5" aria-labelledby="day-{number}">'
            f'<h2 id="day-{number}" class="h4">{escape(heading)}</h2>'
        )
        if view == "grid":
            parts.append(
                '<div class="table-responsive"><table class="table table-bordered talk-grid">'
                f'<thead><tr><th scope="col">{escape(_("Time"))}</th>{room_heads}</tr></thead><tbody>'
            )
            for row in day["rows"]:
                parts.append(f'<tr><th scope="row">{row["start"]:%H:%M}</th>')
                for cell in row["cells"]:
                    parts.append("<td>" + "".join(_card(item, tz_query) for item in cell) + "</td>")
                parts.append("</tr>")
            parts.append("</tbody></table></div>")
        else:
            parts.append('<ul class="list-unstyled">')
            for item in day["items"]:
                parts.append(
                    f'<li class="mb-2"><strong>{escape(item["room"])}</strong> {_card(item, tz_query)}</li>'
                )
            parts.append("</ul>")
        parts.append("</section>")
    return "".join(parts)
