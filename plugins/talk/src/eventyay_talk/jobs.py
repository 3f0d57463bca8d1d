"""Long talk actions of the control panel as jobs: releasing a schedule version (it renders every
export and mails the speakers) and applying the queued decisions (a mail per proposal)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from eventyay.base.models import Event, Job, User
from eventyay.base.services.action_jobs import ActionOutcome, action_job_create, action_job_runner
from eventyay.base.services.jobs import JobFailed, ProgressWriter, job_atomic
from eventyay_talk.services.schedule import schedule_release
from eventyay_talk.services.submissions import submission_decisions_apply

RELEASE_JOB_KIND = "talk.schedule_release"
DECISIONS_JOB_KIND = "talk.decisions_apply"


def schedule_release_job_create(
    *, event: Event, user: User, version: str, comment: str, notify_speakers: bool
) -> Job:
    """Queue the release of the work-in-progress schedule as ``version``."""
    return action_job_create(
        kind=RELEASE_JOB_KIND,
        event=event,
        user=user,
        title=_("Release a version"),
        identifier=version,
        options={"version": version, "comment": comment, "notify_speakers": notify_speakers},
    )


def _event_url(event: Event, name: str) -> str:
    return reverse(f"plugins:talk:{name}", kwargs={"organizer": event.organizer.slug, "event": event.slug})


def _schedule_release_run(job: Job, progress: ProgressWriter) -> ActionOutcome:
    event = job.event
    if event is None:
        raise JobFailed(_("The event no longer exists."))
    progress(10)
    try:
        # schedule_release is one transaction: the version, its slots and its exports together.
        schedule = schedule_release(
            event=event,
            version=job.options["version"],
            comment=job.options.get("comment", ""),
            notify_speakers=bool(job.options.get("notify_speakers")),
            actor=job.user,
        )
    except ValidationError as error:
        raise JobFailed(" ".join(error.messages)) from error
    return ActionOutcome(
        message=_("Version “%s” has been released.") % schedule.version,
        url=_event_url(event, "control.schedule.versions"),
        link_label=_("Go to the schedule versions"),
    )


def decisions_apply_job_create(*, event: Event, user: User) -> Job:
    """Queue applying all queued decisions of ``event``."""
    return action_job_create(
        kind=DECISIONS_JOB_KIND,
        event=event,
        user=user,
        title=_("Apply queued decisions"),
        identifier="all",
        options={},
    )


def _decisions_apply_run(job: Job, progress: ProgressWriter) -> ActionOutcome:
    event = job.event
    if event is None:
        raise JobFailed(_("The event no longer exists."))
    # One transaction whose progress others see while it runs.
    with job_atomic():
        applied, errors = submission_decisions_apply(event=event, actor=job.user, progress=progress)
    message = ngettext(
        "%(count)d queued decision applied.", "%(count)d queued decisions applied.", len(applied)
    ) % {"count": len(applied)}
    if errors:
        refused = "; ".join(f"{code}: {' '.join(problems)}" for code, problems in sorted(errors.items()))
        message += " " + _("Refused: %s") % refused
    return ActionOutcome(
        message=message, url=_event_url(event, "control.submissions"), link_label=_("Go to the proposals")
    )


schedule_release_job_run = action_job_runner(_schedule_release_run)
decisions_apply_job_run = action_job_runner(_decisions_apply_run)
