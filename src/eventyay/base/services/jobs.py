"""Background jobs with progress: one record, one way to run it, one way to recover it.

A job is written in the request's transaction and handed to Celery after commit (eagerly in
the embedded mode). A worker claims it with a conditional update, so a task delivered twice
runs it once; while it runs, progress and a heartbeat are written about once a second. The
periodic sweep (:func:`jobs_sweep`) re-queues jobs whose worker died or whose task was lost,
and deletes expired jobs with their files.

At most :data:`MAX_RUNNING_PER_ORGANIZER` jobs run at once per organizer; the others wait.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from collections.abc import Callable, Iterator
from typing import Any, cast

from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled

from eventyay.base.models import Job, Organizer
from eventyay.base.storage import private_storage

logger = logging.getLogger(__name__)

MAX_RUNNING_PER_ORGANIZER = 2
#: A running job whose heartbeat is older than this lost its worker.
STALE_AFTER = dt.timedelta(minutes=5)
#: A waiting job this old lost its task (broker down when it was queued).
LOST_AFTER = dt.timedelta(minutes=2)
MAX_ATTEMPTS = 3
#: How often a running job writes its progress and heartbeat.
HEARTBEAT_SECONDS = 1.0


class JobFailed(Exception):
    """Raised by a job's runner with a message the requester may read."""


class JobBusy(Exception):
    """The organizer already has its maximum of running jobs; try again shortly."""


def job_queue(job: Job) -> None:
    """Hand ``job`` to a worker once the surrounding transaction commits.

    A broker that is down is logged, never raised into the request: the sweep queues the job.
    """
    from eventyay.base.tasks import run_job

    job_id = str(job.pk)
    transaction.on_commit(lambda: run_job.delay(job_id), robust=True)


class ProgressWriter:
    """Stores a running job's percentage and heartbeat, at most once per :data:`HEARTBEAT_SECONDS`.

    While the job reads inside its own snapshot transaction, the writes go through a second
    connection, so that others see them before the job ends.
    """

    def __init__(self, job_id: Any) -> None:
        self.job_id = job_id
        self._side_connection: Any = None

    def __call__(self, percentage: int) -> None:
        now = timezone.now()
        if connection.vendor == "postgresql" and connection.in_atomic_block and _SNAPSHOT.active:
            if self._side_connection is None:
                self._side_connection = connections.create_connection(DEFAULT_DB_ALIAS)
            with self._side_connection.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {Job._meta.db_table} SET progress = %s, heartbeat = %s WHERE id = %s",
                    [percentage, now, self.job_id],
                )
        else:
            Job.objects.filter(pk=self.job_id).update(progress=percentage, heartbeat=now)

    def close(self) -> None:
        if self._side_connection is not None:
            self._side_connection.close()
            self._side_connection = None


class _SnapshotState:
    active = False


_SNAPSHOT = _SnapshotState()


@contextlib.contextmanager
def consistent_snapshot() -> Iterator[None]:
    """Read everything inside one repeatable-read snapshot (PostgreSQL).

    An export that reads in chunks then sees the database as it was when it started, so an order
    placed meanwhile cannot appear half in the file. Inside an open transaction (tests, or a
    caller's own atomic block) that transaction's view is used as it is.
    """
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        _SNAPSHOT.active = True
        try:
            yield
        finally:
            _SNAPSHOT.active = False


@contextlib.contextmanager
def job_atomic() -> Iterator[None]:
    """One transaction for a job's writes, while its progress stays visible to others.

    On PostgreSQL the progress is then written through a second connection (see
    :class:`ProgressWriter`); inside a caller's transaction (tests) it nests as a savepoint.
    """
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        with transaction.atomic():
            yield
        return
    with transaction.atomic():
        _SNAPSHOT.active = True
        try:
            yield
        finally:
            _SNAPSHOT.active = False


def _claim(job_id: Any) -> Job | None:
    """Move the job from waiting to running, if a slot is free; None when someone else has it."""
    now = timezone.now()
    with transaction.atomic():
        job = Job.objects.filter(pk=job_id).select_related("organizer").first()
        if job is None or job.state != Job.State.WAITING:
            return None
        # Counting under the organizer's row lock keeps two workers from both taking the last slot.
        Organizer.objects.select_for_update().filter(pk=job.organizer_id).first()
        running = (
            Job.objects.filter(
                organizer_id=job.organizer_id, state=Job.State.RUNNING, heartbeat__gte=now - STALE_AFTER
            )
            .exclude(pk=job.pk)
            .count()
        )
        if running >= MAX_RUNNING_PER_ORGANIZER:
            raise JobBusy()
        claimed = Job.objects.filter(pk=job.pk, state=Job.State.WAITING).update(
            state=Job.State.RUNNING, started=now, heartbeat=now, progress=0, attempts=F("attempts") + 1
        )
        if not claimed:
            return None
    job.refresh_from_db()
    return job


#: What runs a job of each kind: ``runner(job, progress) -> (file name in private storage,
#: download filename, content type)``.
JobRunner = Callable[[Job, ProgressWriter], tuple[str, str, str]]


def _runners() -> dict[str, JobRunner]:
    """The core's runners and those plugins register (``register_job_runners``)."""
    from eventyay.base.plugins.manager import plugin_manager
    from eventyay.base.services.event_clone_job import EVENT_CLONE_JOB_KIND, event_clone_job_run
    from eventyay.base.services.exports import export_job_render

    runners: dict[str, JobRunner] = {
        Job.Kind.EXPORT.value: export_job_render,
        EVENT_CLONE_JOB_KIND: event_clone_job_run,
    }
    for impl in reversed(plugin_manager.hook.register_job_runners.get_hookimpls()):
        registered = cast("dict[str, JobRunner]", impl.function() or {})
        for kind, runner in registered.items():
            if kind in runners:
                logger.error("Job kind %r of plugin %s is already taken; ignored", kind, impl.plugin_name)
                continue
            runners[kind] = runner
    return runners


def job_run(*, job_id: Any) -> Job | None:
    """Run the job ``job_id`` if it is waiting; raises :class:`JobBusy` when no slot is free.

    Returns the finished job, or None when it was not (or no longer) waiting.
    """
    with scopes_disabled():
        job = _claim(job_id)
    if job is None:
        return None
    writer = ProgressWriter(job.pk)
    try:
        runner = _runners().get(job.kind)
        if runner is None:
            raise JobFailed(_("Nothing can run this job (the plugin that started it is gone)."))
        with scopes_disabled():
            name, filename, content_type = runner(job, writer)
    except JobFailed as failure:
        return _finish(job, state=Job.State.FAILED, error=str(failure))
    except Exception:
        logger.exception("Job %s (%s %s) failed", job.pk, job.kind, job.identifier)
        return _finish(job, state=Job.State.FAILED, error=_("An unexpected error stopped this job."))
    finally:
        writer.close()
    return _finish(job, state=Job.State.DONE, file=name, filename=filename, content_type=content_type)


def _finish(job: Job, *, state: str, **fields: Any) -> Job:
    now = timezone.now()
    with scopes_disabled():
        Job.objects.filter(pk=job.pk).update(
            state=state,
            finished=now,
            heartbeat=now,
            progress=100 if state == Job.State.DONE else F("progress"),
            **fields,
        )
        job.refresh_from_db()
    return job


def jobs_sweep(*, now: dt.datetime | None = None) -> list[str]:
    """Recover and clean up: returns the ids of jobs to queue again.

    Running jobs whose heartbeat went stale go back to waiting (or fail after
    :data:`MAX_ATTEMPTS`); waiting jobs whose task was lost are queued again; expired jobs are
    deleted with their files.
    """
    now = now or timezone.now()
    with scopes_disabled():
        stale = Job.objects.filter(state=Job.State.RUNNING, heartbeat__lt=now - STALE_AFTER)
        stale.filter(attempts__gte=MAX_ATTEMPTS).update(
            state=Job.State.FAILED, finished=now, error=_("The job stopped several times and was given up.")
        )
        stale.filter(attempts__lt=MAX_ATTEMPTS).update(state=Job.State.WAITING)
        requeue = [
            str(pk)
            for pk in Job.objects.filter(state=Job.State.WAITING)
            .filter(
                Q(heartbeat__lt=now - LOST_AFTER) | Q(heartbeat__isnull=True, created__lt=now - LOST_AFTER)
            )
            .values_list("pk", flat=True)
        ]
        for job in Job.objects.filter(expires__lt=now).only("pk", "file"):
            if job.file:
                private_storage.delete(job.file)
            job.delete()
    return requeue
