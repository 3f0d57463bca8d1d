"""The schedule XML import as a background job of the control panel, with progress and a report.

The page reads the file (uploaded, or fetched from its address) and checks it before queueing
the job, so the job imports exactly the schedule that was checked. Until then it waits in the
private storage; it is deleted when the job ends, whether it succeeded or failed (a job whose
worker died keeps it, so the sweep can run it again).
"""

from __future__ import annotations

import json
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled

from eventyay.base.models import Event, Job, User
from eventyay.base.services.jobs import JobFailed, ProgressWriter, job_queue
from eventyay.base.storage import private_storage, unguessable_name
from eventyay_talk.importers.schedule_xml import ScheduleXMLError, schedule_xml_import

SCHEDULE_XML_JOB_KIND = "talk.schedule_xml_import"


def schedule_xml_job_create(*, event: Event, user: User, content: bytes, source: str, dry_run: bool) -> Job:
    """Queue an import (or a dry run) of the schedule ``content`` (read from ``source``) into ``event``."""
    name = private_storage.save(
        unguessable_name("talk/schedule-imports", "schedule.xml"), ContentFile(content)
    )
    with transaction.atomic():
        job = Job.objects.create(
            kind=SCHEDULE_XML_JOB_KIND,
            organizer=event.organizer,
            event=event,
            identifier="schedule-xml",
            options={"source": source[:500], "file": name, "dry_run": dry_run},
            user=user,
        )
        job_queue(job)
    return job


def schedule_xml_job_run(job: Job, progress: ProgressWriter) -> tuple[str, str, str]:
    """The job runner: import, store the report as the result, delete the uploaded schedule."""
    try:
        event = job.event
        if event is None or event.organizer_id != job.organizer_id:
            raise JobFailed(_("The job lacks its event; start the import again."))
        name = job.options.get("file") or ""
        if not name or not private_storage.exists(name):
            raise JobFailed(_("The schedule of this job is gone; start the import again."))
        with private_storage.open(name, "rb") as file:
            content = file.read()
        try:
            report = schedule_xml_import(
                content=content,
                source_url=job.options.get("source") or "schedule.xml",
                organizer=job.organizer,
                event_slug=event.slug,
                dry_run=bool(job.options.get("dry_run")),
                actor=job.user,
                progress=progress,
            )
        except ScheduleXMLError as exc:
            raise JobFailed(str(exc)) from exc
    finally:
        _forget_file(job)
    result = private_storage.save(
        unguessable_name("talk/import-reports", "report.json"),
        ContentFile(json.dumps(report.as_dict()).encode()),
    )
    return result, "schedule-import-report.json", "application/json"


def _forget_file(job: Job) -> None:
    name = job.options.get("file")
    if name:
        private_storage.delete(name)
    options = {key: value for key, value in job.options.items() if key != "file"}
    with scopes_disabled():
        Job.objects.filter(pk=job.pk).update(options=options)
    job.options = options


def schedule_xml_job_report(job: Job) -> dict[str, Any] | None:
    """The report of a finished job, or None while it runs (or when it failed or expired)."""
    if job.state != Job.State.DONE or not job.file or not private_storage.exists(job.file):
        return None
    with private_storage.open(job.file, "rb") as file:
        report: dict[str, Any] = json.loads(file.read())
    return report
