"""The page of a long action running as a job: its progress, then what it did (or why it failed)."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers

from eventyay.base.models import Job
from eventyay.base.services.action_jobs import TITLE_KEY, action_job_outcome, action_job_url
from eventyay.control.permissions import event_view


@event_view()
def event_job(request: HttpRequest, organizer: str, event: str, job: Any) -> HttpResponse:
    """Only the person who started the job sees it; exports have their own page."""
    ev = request.event  # type: ignore[attr-defined]
    found = (
        Job.objects.filter(pk=job, organizer=ev.organizer, event=ev, user_id=request.user.pk or 0)
        .exclude(kind=Job.Kind.EXPORT)
        .select_related("organizer", "event")
        .first()
    )
    if found is None:
        raise Http404()
    context = {
        "job": found,
        "title": found.options.get(TITLE_KEY, ""),
        "outcome": action_job_outcome(found),
        "job_url": action_job_url(found),
    }
    # The progress partial polls this same URL; HTMX asks for the partial alone.
    partial = request.headers.get("HX-Request") == "true"
    template = "eventyay_control/jobs/_action.html" if partial else "eventyay_control/jobs/action.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response
