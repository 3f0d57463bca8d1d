"""Template tags of the public frame and the event's dates and times.

``{% load eventyay_public %}`` then::

    {{ slot.start|event_datetime:event }}     5 May 2031, 09:30 CEST
    {{ slot.start|event_time:event }}         09:30 CEST
    {{ event.date_from|event_date:event }}    5 May 2031
    {{ event.date_from|event_date_long:event }}  Monday, 5 May 2031
    {% event_range slot.start slot.end event %}  5 May 2031, 09:30–10:15 CEST
    {% event_times slot.start slot.end event %}  09:30–10:15 CEST
    {% event_days event.date_from event.date_to event %}  5 May 2031 – 7 May 2031

The filter argument is the event (or a time zone name); see :mod:`eventyay.base.dates`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template

from eventyay.base import dates
from eventyay.base.selectors.public import public_frame

register = template.Library()


@register.filter
def event_date(value: dt.datetime | None, event: Any = None) -> str:
    return dates.format_date(value, event)


@register.filter
def event_date_long(value: dt.datetime | None, event: Any = None) -> str:
    return dates.format_date(value, event, long=True)


@register.filter
def event_time(value: dt.datetime | None, event: Any = None) -> str:
    return dates.format_time(value, event)


@register.filter
def event_datetime(value: dt.datetime | None, event: Any = None) -> str:
    return dates.format_datetime(value, event)


@register.simple_tag
def event_range(start: dt.datetime | None, end: dt.datetime | None, event: Any = None) -> str:
    return dates.format_range(start, end, event)


@register.simple_tag
def event_times(start: dt.datetime | None, end: dt.datetime | None, event: Any = None) -> str:
    return dates.format_time_range(start, end, event)


@register.simple_tag
def event_days(start: dt.datetime | None, end: dt.datetime | None, event: Any = None) -> str:
    return dates.format_date_range(start, end, event)


def _frame_context(context: template.Context) -> dict[str, Any]:
    request = context.get("request")
    event = getattr(request, "event", None) or context.get("event")
    organizer = getattr(request, "organizer", None) or context.get("organizer")
    if not hasattr(event, "organizer"):
        event = None
    if not hasattr(organizer, "slug"):
        organizer = None
    frame = public_frame(request, event, organizer)
    return {"frame": frame, "request": request, "csrf_token": context.get("csrf_token")}


@register.inclusion_tag("eventyay/_public_header.html", takes_context=True)
def public_header(context: template.Context) -> dict[str, Any]:
    """The header of a public page: logo, name and colour of the event, navigation, languages."""
    frame_context = _frame_context(context)
    # The footer of the same page reads the frame again: compute it once per render.
    context.render_context["eventyay_public_frame"] = frame_context
    return frame_context


@register.inclusion_tag("eventyay/_public_footer.html", takes_context=True)
def public_footer(context: template.Context) -> dict[str, Any]:
    """The footer of a public page: the organizer's imprint, privacy and contact links."""
    cached = context.render_context.get("eventyay_public_frame")
    return cached if cached is not None else _frame_context(context)
