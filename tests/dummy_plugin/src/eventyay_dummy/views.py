from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from eventyay.base.permissions import grant_for_user


def index(request: HttpRequest, organizer: str, event: str) -> HttpResponse:
    return render(request, "eventyay_dummy/index.html", {"event": request.event})  # type: ignore[attr-defined]


@login_required
def control_index(request: HttpRequest, organizer: str, event: str) -> HttpResponse:
    ev = request.event  # type: ignore[attr-defined]
    if not grant_for_user(request.user, ev.organizer).can_see_event(ev):
        raise Http404()
    return render(request, "eventyay_dummy/control.html", {"event": ev})


def ping(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"plugin": "dummy", "pong": True})
