"""A whole sync of one connection (pull, reconciliation when due, push), run as a job."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_scopes import scope

from eventyay.base.models import Job
from eventyay.base.services.jobs import JobFailed, job_queue
from eventyay.base.storage import private_storage, unguessable_name
from eventyay_cms.connectors.base import ConnectorError
from eventyay_cms.models import Connection, SyncLogEntry
from eventyay_cms.services import pull as pull_service
from eventyay_cms.services import push as push_service
from eventyay_cms.services.content import released_resources

logger = logging.getLogger(__name__)

SYNC_JOB_KIND = "cms.sync"
RECONCILE_EVERY = timedelta(days=1)


def sync_run(
    connection: Connection, *, progress: Callable[[int], None] | None = None, reconcile: bool = False
) -> dict[str, Any]:
    """Pull what changed, reconcile when a day has passed (or asked), push the due outbox."""
    report: dict[str, Any] = {}
    try:
        if connection.pull:
            report["pull"] = pull_service.pull(connection, progress=progress).as_dict()
            due = (
                connection.last_reconciled is None
                or connection.last_reconciled < timezone.now() - RECONCILE_EVERY
            )
            if reconcile or due:
                report["unpublished"] = pull_service.reconcile(connection)
        if connection.push:
            push_service.enqueue(connection, released_resources(connection.event))
            report["push"] = push_service.push_due(connection)
    except ConnectorError as exc:
        SyncLogEntry.objects.create(
            connection=connection, kind=SyncLogEntry.Kind.ERROR, message=str(exc)[:2000]
        )
        Connection.objects.filter(pk=connection.pk).update(
            last_error=str(exc)[:2000], last_sync=timezone.now()
        )
        raise
    Connection.objects.filter(pk=connection.pk).update(last_error="", last_sync=timezone.now())
    return report


def sync_start(connection: Connection, *, user: Any = None, token: Any = None) -> Job:
    """Queue a sync job of ``connection`` (the job page and the status page show its progress)."""
    with transaction.atomic():
        job = Job.objects.create(
            kind=SYNC_JOB_KIND,
            organizer=connection.event.organizer,
            event=connection.event,
            user=user,
            token=token,
            identifier=f"cms-{connection.pk}",
            options={"connection": connection.pk},
        )
        job_queue(job)
    return job


def sync_job_run(job: Job, progress: Callable[[int], None]) -> tuple[str, str, str]:
    """The job runner of ``cms.sync``: a whole sync, its counts as the job's JSON result."""
    with scope(organizer=job.organizer):
        connection = Connection.objects.filter(pk=job.options.get("connection"), event=job.event).first()
        if connection is None:
            raise JobFailed(_("The connection was deleted."))
        progress(5)
        try:
            report = sync_run(connection, progress=progress)
        except ConnectorError as exc:
            raise JobFailed(str(exc)) from None
    name = private_storage.save(
        unguessable_name("cms/sync-reports", "report.json"), ContentFile(json.dumps(report).encode())
    )
    return name, "cms-sync-report.json", "application/json"


def latest_sync_job(connection: Connection) -> Job | None:
    return (
        Job.objects.filter(kind=SYNC_JOB_KIND, identifier=f"cms-{connection.pk}").order_by("-created").first()
    )
