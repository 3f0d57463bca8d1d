from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from eventyay.base.permissions import grant_for_user
from eventyay.base.selectors.events import public_events, visible_event_sections
from eventyay.base.services.cache import cache_public_page


def index(request: HttpRequest) -> HttpResponse:
    return redirect("control:index")


def organizer_index(request: HttpRequest, organizer: str) -> HttpResponse:
    org = request.organizer  # type: ignore[attr-defined]
    return render(
        request,
        "eventyay_public/organizer.html",
        {"organizer": org, "events": public_events(org)},
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
