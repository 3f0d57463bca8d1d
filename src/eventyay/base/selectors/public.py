"""What the public pages show: the instance's listed events and organizers, and the frame
(header, navigation, language switch, footer) around every public page."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language_info
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled

from eventyay.base.models import Event, Organizer, Setting
from eventyay.base.plugins.records import PublicNavItem

#: The header colour when the organizer chose none: a dark blue on which white text has a
#: contrast of 8:1 (WCAG AAA).
DEFAULT_BRAND_COLOR = "#1f4e79"
_HEX_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")


def _hidden_organizers() -> QuerySet[Setting]:
    """Organizers who chose not to list their events (the ``show_on_organizer_page`` setting)."""
    return Setting.objects.filter(
        organizer=OuterRef("organizer"), event__isnull=True, key="show_on_organizer_page", value=False
    )


def _ends_after(moment: Any) -> Q:
    """Events still running or ahead at ``moment`` (an event without an end lasts its first day)."""
    return Q(date_to__gte=moment) | Q(date_to__isnull=True, date_from__gte=moment - dt.timedelta(days=1))


def listed_upcoming_events(limit: int = 50) -> list[Event]:
    """Upcoming live, public events of all organizers who list their events, soonest first.

    The one deliberately cross-tenant read of the public site: it only ever returns events
    their organizers published (live and listed publicly).
    """
    with scopes_disabled():
        events = (
            Event.objects.filter(_ends_after(timezone.now()), live=True, is_public=True)
            .exclude(Exists(_hidden_organizers()))
            .select_related("organizer")
            .order_by("date_from", "pk")[:limit]
        )
        return list(events)


def listed_organizers() -> list[Organizer]:
    """Organizers with at least one live, public event who list their events."""
    with scopes_disabled():
        published = Event.objects.filter(organizer=OuterRef("pk"), live=True, is_public=True)
        hidden = Setting.objects.filter(
            organizer=OuterRef("pk"), event__isnull=True, key="show_on_organizer_page", value=False
        )
        return list(Organizer.objects.filter(Exists(published)).exclude(Exists(hidden)).order_by("name"))


def organizer_events(organizer: Organizer) -> tuple[list[Event], list[Event]]:
    """The organizer's live, public events: (upcoming soonest first, past latest first).

    Empty when the organizer chose not to list its events on its page.
    """
    if organizer.settings.get("show_on_organizer_page") is False:
        return [], []
    now = timezone.now()
    events = Event.objects.filter(organizer=organizer, live=True, is_public=True)
    upcoming = list(events.filter(_ends_after(now)).order_by("date_from", "pk"))
    past = list(events.exclude(pk__in=[event.pk for event in upcoming]).order_by("-date_from", "-pk")[:50])
    return upcoming, past


def _relative_luminance(color: str) -> float:
    channels = [int(color[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_color(color: str) -> str:
    """Black or white, whichever reads better on ``color`` (WCAG contrast ratio)."""
    luminance = _relative_luminance(color)
    on_white = 1.05 / (luminance + 0.05)
    on_black = (luminance + 0.05) / 0.05
    return "#ffffff" if on_white >= on_black else "#000000"


def brand_color(value: Any) -> str:
    return value if isinstance(value, str) and _HEX_COLOR.match(value) else DEFAULT_BRAND_COLOR


@dataclass
class Language:
    code: str
    name: str
    current: bool


@dataclass
class PublicFrame:
    """Everything the header and footer of a public page show."""

    title: str
    home_url: str
    subtitle: str = ""
    subtitle_url: str = ""
    logo_url: str = ""
    color: str = DEFAULT_BRAND_COLOR
    text_color: str = "#ffffff"
    navigation: list[PublicNavItem] = field(default_factory=list)
    languages: list[Language] = field(default_factory=list)
    imprint_url: str = ""
    privacy_url: str = ""
    contact_email: str = ""


def event_navigation(event: Event, request: HttpRequest) -> list[PublicNavItem]:
    """The event's front page followed by the entries of the ``public_navigation`` hook."""
    from eventyay.base.plugins.manager import hooks_for

    front = event.get_absolute_url()
    entries = [PublicNavItem(label=_("Overview"), url=front, active=request.path == front, priority=0)]
    for result in hooks_for(event).public_navigation(event=event, request=request):
        entries.extend(result or [])
    return sorted(entries, key=lambda entry: entry.priority)


def _languages(codes: list[str], current: str) -> list[Language]:
    known = dict(settings.LANGUAGES)
    languages = []
    for code in codes:
        if code not in known:
            continue
        try:
            name = get_language_info(code)["name_local"]
        except KeyError:
            name = str(known[code])
        languages.append(Language(code=code, name=name, current=code == current))
    return languages


def public_frame(
    request: HttpRequest | None, event: Event | None, organizer: Organizer | None
) -> PublicFrame:
    """The frame of a public page of ``event`` (or ``organizer``, or the instance's front page)."""
    from django.utils.translation import get_language

    current = (get_language() or settings.LANGUAGE_CODE).split("-")[0]
    if event is not None:
        organizer = event.organizer
        store = event.settings
        frame = PublicFrame(
            title=str(event.name),
            home_url=event.get_absolute_url(),
            subtitle=organizer.name,
            subtitle_url=reverse("public:organizer.index", kwargs={"organizer": organizer.slug}),
            navigation=event_navigation(event, request) if request is not None else [],
            languages=_languages(event.active_locales, current),
        )
    elif organizer is not None:
        store = organizer.settings
        frame = PublicFrame(
            title=organizer.name,
            home_url=reverse("public:organizer.index", kwargs={"organizer": organizer.slug}),
            languages=_languages([code for code, _name in settings.LANGUAGES], current),
        )
    else:
        return PublicFrame(
            title="eventyay",
            home_url=reverse("public:index"),
            languages=_languages([code for code, _name in settings.LANGUAGES], current),
        )
    frame.color = brand_color(store.get("brand_color"))
    frame.text_color = contrast_color(frame.color)
    frame.logo_url = store.get("logo_url") or ""
    frame.imprint_url = store.get("imprint_url") or ""
    frame.privacy_url = store.get("privacy_url") or ""
    frame.contact_email = store.get("contact_email") or ""
    return frame
