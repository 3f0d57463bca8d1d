"""The pretalx import as a background job of the control panel, with progress and a report.

The job needs the pretalx token while it runs (and again if a dead worker's job is re-queued),
so it is kept in the job's options encrypted like every other secret
(:func:`eventyay.base.secrets.secret_encrypt`) and removed when the job ends, whether it
succeeded or failed. The page never shows it again: a second run asks for it anew.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled

from eventyay.base.models import Event, Job, User
from eventyay.base.secrets import SecretError, secret_decrypt, secret_encrypt
from eventyay.base.services.jobs import JobFailed, ProgressWriter, job_queue
from eventyay.base.storage import private_storage, unguessable_name
from eventyay_talk.importers.pretalx import PretalxImportError, PretalxSource, pretalx_import

PRETALX_JOB_KIND = "talk.pretalx_import"


def pretalx_job_create(*, event: Event, user: User, source: PretalxSource, dry_run: bool) -> Job:
    """Queue an import (or a dry run) of ``source`` into ``event``."""
    with transaction.atomic():
        job = Job.objects.create(
            kind=PRETALX_JOB_KIND,
            organizer=event.organizer,
            event=event,
            identifier="pretalx",
            options={
                "url": source.url,
                "token": secret_encrypt(source.token),
                "event": source.event,
                "dry_run": dry_run,
            },
            user=user,
        )
        job_queue(job)
    return job


def pretalx_job_run(job: Job, progress: ProgressWriter) -> tuple[str, str, str]:
    """The job runner: import, store the report as the result, forget the token."""
    try:
        if job.event is None or "token" not in job.options:
            raise JobFailed(_("The job lacks its event or its token; start the import again."))
        try:
            token = secret_decrypt(job.options["token"]).reveal()
        except SecretError as exc:
            raise JobFailed(_("The token cannot be read any more; start the import again.")) from exc
        source = PretalxSource(url=job.options["url"], token=token, event=job.options["event"])
        try:
            report = pretalx_import(
                source=source,
                organizer=job.organizer,
                event_slug=job.event.slug,
                dry_run=bool(job.options.get("dry_run")),
                actor=job.user,
                progress=progress,
            )
        except PretalxImportError as exc:
            raise JobFailed(str(exc)) from exc
    finally:
        _forget_token(job)
    name = private_storage.save(
        unguessable_name("talk/import-reports", "report.json"),
        ContentFile(json.dumps(report.as_dict()).encode()),
    )
    return name, "pretalx-import-report.json", "application/json"


def _forget_token(job: Job) -> None:
    options = {key: value for key, value in job.options.items() if key != "token"}
    with scopes_disabled():
        Job.objects.filter(pk=job.pk).update(options=options)
    job.options = options


def pretalx_job_report(job: Job) -> dict[str, Any] | None:
    """The report of a finished job, or None while it runs (or when it failed or expired)."""
    if job.state != Job.State.DONE or not job.file or not private_storage.exists(job.file):
        return None
    with private_storage.open(job.file, "rb") as file:
        report: dict[str, Any] = json.loads(file.read())
    return report
