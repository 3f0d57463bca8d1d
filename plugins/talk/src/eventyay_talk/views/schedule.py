"""Public schedule pages: grid and list, talks, speakers, changelog, and starring talks."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.views.decorators.http import require_POST

from eventyay.base.services.cache import cache_public_page, content_version
from eventyay_talk import selectors
from eventyay_talk.models import SpeakerProfile, StarFeedToken, Submission
from eventyay_talk.services.stars import star_feed_token, star_toggle
from eventyay_talk.views import public_event, signed_in_user
from eventyay_talk.views.cfp import _url
from eventyay_talk.views.schedule_html import schedule_days_html

SCHEDULE_CACHE_SECONDS = 60
NEGOTIATED = (("application/json", "json"), ("application/xml", "xml"), ("text/xml", "xml"))


def _negotiated_export(request: HttpRequest) -> str | None:
    accept = request.headers.get("Accept", "")
    if "text/html" in accept:
        return None
    for content_type, identifier in NEGOTIATED:
        if content_type in accept:
            return identifier
    return None


@cache_public_page
def schedule(request: HttpRequest, organizer: str, event: str) -> HttpResponse:
    ev = public_event(request)
    identifier = _negotiated_export(request)
    if identifier:
        response: HttpResponse = HttpResponseRedirect(_url(ev, "export.latest", identifier=identifier))
        response.status_code = 303
        response["Vary"] = "Accept"
        return response
    current = selectors.latest_schedule(ev)
    tz = selectors.visitor_timezone(ev, request.GET.get("tz"))
    view = request.GET.get("view", "grid")
    view = view if view in ("grid", "list") else "grid"
    feed, starred = None, []
    if request.user.is_authenticated:
        feed = StarFeedToken.objects.filter(event=ev, user=request.user).first()
        starred = selectors.starred_talks(ev, request.user, current) if current else []
    with timezone.override(tz):
        days_html = _days_html(request, ev, current, tz, view) if current else ""
        response = render(
            request,
            "eventyay_talk/schedule.html",
            {
                "event": ev,
                "schedule": current,
                "days_html": days_html,
                "tz_name": str(tz),
                "timezone_options": selectors.timezone_options(str(tz) if str(tz) != ev.timezone else ""),
                "view": view,
                "feed": feed,
                "starred": starred,
            },
        )
    response["Vary"] = "Accept, Cookie"
    return response


def _days_html(request: HttpRequest, event: Any, current: Any, tz: Any, view: str) -> str:
    """The grid or list of a released version: the same for every visitor (stars are shown
    separately), so it is cached per content version, time zone, layout and language. A release
    or an edit of a talk bumps the content version, which makes a new key."""
    version = f"{current.pk}:{current.published.timestamp()}:{content_version(event)}"
    key = f"eventyay_talk:schedule:{version}:{tz}:{view}:{get_language()}"
    cached = cache.get(key)
    if cached is not None:
        return mark_safe(cached)
    html = schedule_days_html(
        selectors.public_schedule(current, tz=tz),
        view=view,
        tz_query=f"?{urlencode({'tz': str(tz)})}" if str(tz) != event.timezone else "",
    )
    cache.set(key, html, SCHEDULE_CACHE_SECONDS)
    return mark_safe(html)


def changelog(request: HttpRequest, organizer: str, event: str) -> HttpResponse:
    ev = public_event(request)
    versions = list(selectors.released_schedules(ev))
    return render(request, "eventyay_talk/changelog.html", {"event": ev, "versions": versions})


@cache_public_page
def talk(request: HttpRequest, organizer: str, event: str, code: str) -> HttpResponse:
    ev = public_event(request)
    current = selectors.latest_schedule(ev)
    slot = selectors.talk_slot(current, code)
    # talk_slot() looks slots up by their submission's code, so a found slot has a submission.
    if slot is None or slot.submission is None:
        raise Http404()
    submission = slot.submission
    speakers = list(submission.speakers.all())
    profiles = {
        p.user_id: p
        for p in SpeakerProfile.objects.filter(event=ev, user__in=speakers).select_related("user")
    }
    tz = selectors.visitor_timezone(ev, request.GET.get("tz"))
    return render(
        request,
        "eventyay_talk/talk.html",
        {
            "event": ev,
            "slot": slot,
            "submission": submission,
            "speakers": [profiles.get(user.pk) for user in speakers if profiles.get(user.pk)],
            "tz": tz,
            "starred": code in selectors.starred_codes(ev, request.user),
        },
    )


@cache_public_page
def speakers(request: HttpRequest, organizer: str, event: str) -> HttpResponse:
    ev = public_event(request)
    current = selectors.latest_schedule(ev)
    rows = selectors.public_speakers(ev, current) if current else []
    return render(request, "eventyay_talk/speakers.html", {"event": ev, "speakers": rows})


@cache_public_page
def speaker(request: HttpRequest, organizer: str, event: str, code: str) -> HttpResponse:
    ev = public_event(request)
    current = selectors.latest_schedule(ev)
    profile = selectors.public_speaker(ev, current, code) if current else None
    if profile is None:
        raise Http404()
    return render(request, "eventyay_talk/speaker.html", {"event": ev, "profile": profile})


@login_required
@require_POST
def star(request: HttpRequest, organizer: str, event: str, code: str) -> HttpResponse:
    ev = public_event(request)
    current = selectors.latest_schedule(ev)
    if selectors.talk_slot(current, code) is None:
        raise Http404()
    submission = Submission.objects.get(event=ev, code=code)
    star_toggle(event=ev, user=signed_in_user(request), submission=submission)
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = _url(ev, "talk", code=code)
    return redirect(target)


@login_required
@require_POST
def feed_reset(request: HttpRequest, organizer: str, event: str) -> HttpResponse:
    ev = public_event(request)
    star_feed_token(event=ev, user=signed_in_user(request), reset=True)
    return redirect(_url(ev, "schedule"))
