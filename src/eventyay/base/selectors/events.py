from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest

from eventyay.base.models import Event, Organizer
from eventyay.base.plugins.manager import hooks_for
from eventyay.base.plugins.records import Section


def public_events(organizer: Organizer) -> QuerySet[Event]:
    return Event.objects.filter(organizer=organizer, live=True, is_public=True).order_by("date_from")


def visible_event_sections(event: Event, request: HttpRequest) -> list[Section]:
    sections: list[Any] = []
    for result in hooks_for(event).event_public_sections(event=event, request=request):
        sections.extend(result or [])
    return sections
