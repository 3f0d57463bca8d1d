"""Running exports as jobs, for the control panel, the API and schedules alike."""

from __future__ import annotations

import datetime as dt
import logging
import tempfile
import zoneinfo
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override
from django_scopes import scope, scopes_disabled

from eventyay.base.db_router import replica_configured, replica_snapshot
from eventyay.base.exporters.base import Progress
from eventyay.base.exporters.registry import ExporterNotFound, exporter_for
from eventyay.base.models import Event, Job, Organizer, ScheduledExport, TeamAPIToken, User
from eventyay.base.permissions import Grant, grant_for_team, grant_for_user
from eventyay.base.services.jobs import JobFailed, ProgressWriter, consistent_snapshot, job_queue
from eventyay.base.services.log import log_action
from eventyay.base.storage import private_storage, unguessable_name

logger = logging.getLogger(__name__)

#: Files of scheduled exports are kept longer: their mail may be retried for a while.
SCHEDULED_FILE_LIFETIME = dt.timedelta(days=7)
#: A scheduled export posted to a URL is sent in one request body.
MAX_POSTED_BYTES = 25 * 1024 * 1024


def export_job_create(
    *,
    organizer: Organizer,
    event: Event | None,
    identifier: str,
    options: dict[str, Any],
    grant: Grant,
    user: User | None = None,
    token: TeamAPIToken | None = None,
) -> Job:
    """Validate the options and queue an export; raises ``ExporterNotFound`` or ``ValidationError``."""
    _entry, exporter = exporter_for(organizer=organizer, event=event, identifier=identifier, grant=grant)
    cleaned = exporter.clean_options(options)
    with transaction.atomic():
        job = Job.objects.create(
            kind=Job.Kind.EXPORT,
            organizer=organizer,
            event=event,
            identifier=identifier,
            options=cleaned,
            user=user,
            token=token,
        )
        job_queue(job)
    return job


def requester_grant(job: Job) -> Grant:
    """What the job's requester may do now; permissions lost since the request count."""
    if job.token_id is not None:
        token = job.token
        if token is None or not token.active:
            return Grant()
        return grant_for_team(token.team)
    if job.user_id is not None and job.user is not None and job.user.is_active:
        return grant_for_user(job.user, job.organizer)
    return Grant()


def export_job_render(job: Job, report: ProgressWriter) -> tuple[str, str, str]:
    """The job runner of exports: render into the private storage and return the file."""
    event = job.event
    with scope(organizer=job.organizer):
        try:
            _entry, exporter = exporter_for(
                organizer=job.organizer, event=event, identifier=job.identifier, grant=requester_grant(job)
            )
        except ExporterNotFound:
            raise JobFailed(_("This export is not available (any more) to whoever started it.")) from None
        language = (job.user.locale if job.user is not None else None) or settings.LANGUAGE_CODE
        with tempfile.TemporaryFile(dir=_temp_dir()) as output, override(language):
            with replica_snapshot() if replica_configured() else consistent_snapshot():
                filename, content_type = exporter.render(job.options, output, Progress(report))
            output.seek(0)
            folder = f"exports/{job.organizer.slug}"
            name = private_storage.save(unguessable_name(folder, filename), File(output, name=filename))
    return name, filename, content_type


def _temp_dir() -> str:
    path = settings.DATA_DIR / "tmp"
    path.mkdir(parents=True, exist_ok=True)
    return str(path)


def job_belongs_to(job: Job, *, user: Any = None, token: Any = None) -> bool:
    """Whether the result of ``job`` may go to this actor: only to whoever started it."""
    if job.token_id is not None:
        return isinstance(token, TeamAPIToken) and token.pk == job.token_id
    return user is not None and getattr(user, "is_authenticated", False) and user.pk == job.user_id


def recent_export_jobs(*, organizer: Organizer, event: Event | None, user: User) -> list[Job]:
    """The user's exports that have not expired yet, newest first."""
    return list(
        Job.objects.filter(
            organizer=organizer, event=event, user=user, kind=Job.Kind.EXPORT, expires__gt=timezone.now()
        )[:20]
    )


# --- scheduled exports ---------------------------------------------------------------------------


def _zone(schedule: ScheduledExport) -> zoneinfo.ZoneInfo:
    name = schedule.event.timezone if schedule.event is not None else settings.TIME_ZONE
    return zoneinfo.ZoneInfo(str(name))


def scheduled_export_next_run(schedule: ScheduledExport, *, after: dt.datetime) -> dt.datetime:
    """The first time after ``after`` at the schedule's local hour (and weekday, if weekly)."""
    zone = _zone(schedule)
    local = after.astimezone(zone)
    candidate = local.replace(hour=schedule.hour, minute=0, second=0, microsecond=0)
    while candidate <= local or (
        schedule.interval == ScheduledExport.Interval.WEEKLY and candidate.isoweekday() != schedule.weekday
    ):
        candidate = (candidate + dt.timedelta(days=1)).replace(hour=schedule.hour)
        candidate = candidate.replace(tzinfo=zone)
    return candidate.astimezone(dt.UTC)


def scheduled_export_save(
    *,
    organizer: Organizer,
    event: Event | None,
    owner: User,
    identifier: str,
    options: dict[str, Any],
    interval: str,
    hour: int,
    weekday: int,
    recipients: list[str],
    webhook_url: str,
    instance: ScheduledExport | None = None,
) -> ScheduledExport:
    """Create or change a schedule; the owner must be able to run the export now."""
    grant = grant_for_user(owner, organizer)
    _entry, exporter = exporter_for(organizer=organizer, event=event, identifier=identifier, grant=grant)
    cleaned = exporter.clean_options(options)
    if not recipients and not webhook_url:
        raise ValidationError({"recipients": [_("Name at least one recipient or a URL to post to.")]})
    if webhook_url:
        from eventyay.base.services.http import outgoing_url_problem

        problem = outgoing_url_problem(webhook_url)
        if problem:
            raise ValidationError({"webhook_url": [problem]})
    schedule = instance or ScheduledExport(organizer=organizer, event=event, owner=owner)
    # It runs with the permissions of whoever set it up last: those were just checked.
    schedule.owner = owner
    schedule.identifier = identifier
    schedule.options = cleaned
    schedule.interval = interval
    schedule.hour = hour
    schedule.weekday = weekday
    schedule.recipients = recipients
    schedule.webhook_url = webhook_url
    schedule.enabled = True
    schedule.last_error = ""
    schedule.next_run = scheduled_export_next_run(schedule, after=timezone.now())
    with transaction.atomic():
        schedule.save()
        log_action(
            action="eventyay.export.scheduled",
            organizer=organizer,
            event=event,
            obj=schedule,
            actor=owner,
            data={"identifier": identifier, "interval": interval},
        )
    return schedule


def scheduled_export_delete(*, schedule: ScheduledExport, actor: User) -> None:
    """Remove a schedule; runs already claimed find it gone and do nothing."""
    with transaction.atomic():
        log_action(
            action="eventyay.export.unscheduled",
            organizer=schedule.organizer,
            event=schedule.event,
            obj=schedule,
            actor=actor,
            data={"identifier": schedule.identifier},
        )
        schedule.delete()


def scheduled_exports_due(*, now: dt.datetime | None = None) -> list[int]:
    """Claim the schedules that are due by moving each one's next run on; returns their ids."""
    now = now or timezone.now()
    claimed = []
    with scopes_disabled():
        for schedule in ScheduledExport.objects.filter(enabled=True, next_run__lte=now).select_related(
            "event"
        ):
            following = scheduled_export_next_run(schedule, after=now)
            # A conditional update: two beat processes (or a retried task) claim each run once.
            if ScheduledExport.objects.filter(pk=schedule.pk, next_run=schedule.next_run).update(
                next_run=following
            ):
                claimed.append(schedule.pk)
    return claimed


def scheduled_export_run(*, schedule_id: int) -> Job | None:
    """Run one schedule now, in this worker, and deliver the file by mail or to its URL."""
    from eventyay.base.services.jobs import job_run

    with scopes_disabled():
        schedule = (
            ScheduledExport.objects.select_related("organizer", "event", "owner")
            .filter(pk=schedule_id)
            .first()
        )
        if schedule is None or not schedule.enabled:
            return None
        job = Job.objects.create(
            kind=Job.Kind.EXPORT,
            organizer=schedule.organizer,
            event=schedule.event,
            identifier=schedule.identifier,
            options=schedule.options,
            user=schedule.owner,
            expires=timezone.now() + SCHEDULED_FILE_LIFETIME,
        )
    finished = job_run(job_id=job.pk)
    if finished is None or finished.state != Job.State.DONE:
        error = finished.error if finished is not None else _("The export could not start.")
        _schedule_failed(schedule, error)
        return finished
    try:
        _deliver(schedule, finished)
    except ValidationError as problem:
        _schedule_failed(schedule, "; ".join(problem.messages))
        return finished
    with scopes_disabled():
        ScheduledExport.objects.filter(pk=schedule.pk).update(last_run=timezone.now(), last_error="")
    return finished


def _schedule_failed(schedule: ScheduledExport, error: str) -> None:
    logger.warning("Scheduled export %s failed: %s", schedule.pk, error)
    with scopes_disabled():
        ScheduledExport.objects.filter(pk=schedule.pk).update(last_run=timezone.now(), last_error=error)


def _deliver(schedule: ScheduledExport, job: Job) -> None:
    from eventyay.base.services.mail import mail_queue

    if schedule.recipients:
        title = str(schedule.event.name) if schedule.event is not None else str(schedule.organizer.name)
        with override(schedule.owner.locale or settings.LANGUAGE_CODE), transaction.atomic():
            mail_queue(
                to=schedule.recipients,
                subject=_("Scheduled export: %(name)s") % {"name": job.filename},
                body=_("Hello,\n\nattached is the scheduled export %(name)s of %(title)s.\n")
                % {"name": job.filename, "title": title},
                organizer=schedule.organizer,
                event=schedule.event,
                delivery_key=f"scheduled-export-{job.pk}",
                attachments=[{"name": job.filename, "path": job.file, "mimetype": job.content_type}],
            )
    if schedule.webhook_url:
        _post(schedule, job)


def _post(schedule: ScheduledExport, job: Job) -> None:
    from eventyay.base.services.http import OutgoingRequestError, outgoing_request

    if private_storage.size(job.file) > MAX_POSTED_BYTES:
        raise ValidationError(_("The file is too large to be posted; have it mailed instead."))
    with private_storage.open(job.file, "rb") as fh:
        body = fh.read()
    try:
        response = outgoing_request(
            "POST",
            schedule.webhook_url,
            data=body,
            headers={
                "Content-Type": job.content_type,
                "Content-Disposition": f'attachment; filename="{job.filename}"',
            },
        )
    except OutgoingRequestError as failure:
        raise ValidationError(str(failure)) from None
    if not response.ok:
        raise ValidationError(_("The URL answered with status %(status)s.") % {"status": response.status})
