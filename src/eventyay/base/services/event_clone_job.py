"""Cloning an event as a job: plugins copy their data (products, rooms, ...) through ``event_cloned``,
which for a large event takes longer than a request should."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from eventyay.base.models import Event, Job, User
from eventyay.base.services.action_jobs import (
    OUTCOME_KEY,
    TITLE_KEY,
    ActionOutcome,
    action_job_create,
    action_job_runner,
)
from eventyay.base.services.events import event_clone
from eventyay.base.services.jobs import JobFailed, ProgressWriter

EVENT_CLONE_JOB_KIND = "event.clone"
_DATES = ("date_from", "date_to")


def event_clone_job_create(*, source: Event, data: dict[str, Any], user: User) -> Job:
    """Queue a copy of ``source`` with ``data`` (the clone form's cleaned data)."""
    options: dict[str, Any] = {}
    for key, value in data.items():
        if hasattr(value, "data"):  # LazyI18nString
            value = value.data
        elif isinstance(value, dt.datetime):
            value = value.isoformat()
        options[key] = value
    return action_job_create(
        kind=EVENT_CLONE_JOB_KIND,
        event=source,
        user=user,
        title=_("Clone this event"),
        identifier=str(data.get("slug", "")),
        options=options,
    )


def _event_clone_run(job: Job, progress: ProgressWriter) -> ActionOutcome:
    from django.urls import reverse

    if job.event is None:
        raise JobFailed(_("The event to copy no longer exists."))
    data = {
        key: dt.datetime.fromisoformat(value) if key in _DATES and value else value
        for key, value in job.options.items()
        if key not in (TITLE_KEY, OUTCOME_KEY)
    }
    if data.get("date_to") is None:
        data.pop("date_to", None)
    progress(10)
    try:
        # event_clone is one transaction: a failure leaves no half copy behind.
        clone = event_clone(source=job.event, data=data, actor=job.user)
    except ValidationError as error:
        raise JobFailed(" ".join(error.messages)) from error
    return ActionOutcome(
        message=_("The event has been copied."),
        url=reverse("control:event.index", kwargs={"organizer": clone.organizer.slug, "event": clone.slug}),
        link_label=_("Go to the new event"),
    )


event_clone_job_run = action_job_runner(_event_clone_run)
