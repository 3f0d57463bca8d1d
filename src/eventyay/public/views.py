from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static

from eventyay.base.permissions import grant_for_user
from eventyay.base.selectors.events import visible_event_sections
from eventyay.base.selectors.public import listed_organizers, listed_upcoming_events, organizer_events
from eventyay.base.services.cache import cache_public_page


def index(request: HttpRequest) -> HttpResponse:
    """The instance's front page: upcoming public events and the organizers who run them."""
    return render(
        request,
        "eventyay_public/index.html",
        {"events": listed_upcoming_events(), "organizers": listed_organizers()},
    )


def organizer_index(request: HttpRequest, organizer: str) -> HttpResponse:
    org = request.organizer  # type: ignore[attr-defined]
    upcoming, past = organizer_events(org)
    return render(
        request,
        "eventyay_public/organizer.html",
        {"organizer": org, "upcoming": upcoming, "past": past},
    )


@cache_public_page
def event_index(request: HttpRequest, organizer: str, event: str) -> HttpResponse:
    ev = request.event  # type: ignore[attr-defined]
    is_preview = False
    if not ev.live:
        if not grant_for_user(request.user, ev.organizer).can_see_event(ev):
            raise Http404()
        is_preview = True
    return render(
        request,
        "eventyay_public/event.html",
        {"event": ev, "sections": visible_event_sections(ev, request), "is_preview": is_preview},
    )


def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers that ask for /favicon.ico get the SVG icon the pages name in their head."""
    return redirect(static("eventyay/favicon.svg"))
