"""Long control-panel actions (clone an event, create many vouchers, release a schedule...) as jobs.

The request only validates the form and queues a :class:`~eventyay.base.models.Job`; the worker
does the work and stores an :class:`ActionOutcome` (a sentence for the person who asked, and
where to go next) in the job's options. The control panel's job page shows the progress bar
until then (polled by HTMX, or reloaded without JavaScript) and the outcome afterwards, so a
slow action never holds a request open or times out a proxy.

A plugin registers its action's runner through ``register_job_runners`` wrapped in
:func:`action_job_runner`, and starts it with :func:`action_job_create`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from django.db import transaction
from django.urls import reverse
from django_scopes import scopes_disabled

from eventyay.base.models import Event, Job, User
from eventyay.base.services.jobs import JobRunner, ProgressWriter, job_queue

#: Keys of the page's heading and of the outcome in an action job's options.
TITLE_KEY = "title"
OUTCOME_KEY = "outcome"


@dataclass(frozen=True)
class ActionOutcome:
    """What an action did, in a sentence the person who asked reads, and where to go next."""

    message: str
    url: str = ""
    link_label: str = ""


#: What an action runner does: ``run(job, progress) -> ActionOutcome``.
ActionRunner = Callable[[Job, ProgressWriter], ActionOutcome]


def action_job_create(
    *, kind: str, event: Event, user: User, title: str, identifier: str, options: dict[str, Any]
) -> Job:
    """Queue the action ``kind`` on ``event`` for ``user``; it runs once the caller's transaction commits.

    ``title`` heads the job page, in the language of the person who asked.
    """
    with transaction.atomic():
        job = Job.objects.create(
            kind=kind,
            organizer=event.organizer,
            event=event,
            identifier=identifier,
            options={**options, TITLE_KEY: str(title)},
            user=user,
        )
        job_queue(job)
    return job


def action_job_runner(run: ActionRunner) -> JobRunner:
    """Turn ``run`` into a job runner that keeps its outcome on the job (there is no file)."""

    def runner(job: Job, progress: ProgressWriter) -> tuple[str, str, str]:
        outcome = run(job, progress)
        options = {**job.options, OUTCOME_KEY: asdict(outcome)}
        with scopes_disabled():
            Job.objects.filter(pk=job.pk).update(options=options)
        job.options = options
        return "", "", ""

    return runner


def action_job_outcome(job: Job) -> ActionOutcome | None:
    """The outcome of a finished action job, or None while it runs or when it failed."""
    stored = job.options.get(OUTCOME_KEY) if job.state == Job.State.DONE else None
    if not isinstance(stored, dict):
        return None
    return ActionOutcome(
        message=str(stored.get("message", "")),
        url=str(stored.get("url", "")),
        link_label=str(stored.get("link_label", "")),
    )


def action_job_url(job: Job) -> str:
    """The control panel page that shows the job's progress and then its outcome."""
    assert job.event is not None, "action jobs belong to an event"
    return reverse(
        "control:event.job",
        kwargs={"organizer": job.organizer.slug, "event": job.event.slug, "job": job.pk},
    )
