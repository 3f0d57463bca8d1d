"""Plugins run background jobs of their own kinds through ``register_job_runners``."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django_scopes import scopes_disabled

from eventyay.base.models import Job, Organizer
from eventyay.base.services.jobs import JobFailed, job_atomic, job_run
from eventyay.base.storage import private_storage
from eventyay.testing.plugin import register_temporarily


def _job(organizer: Organizer, user: Any, kind: str) -> Job:
    with scopes_disabled():
        return Job.objects.create(kind=kind, organizer=organizer, identifier="probe", user=user)


def _seen_elsewhere(work: Any) -> Any:
    """Run ``work`` on a database connection of its own (a thread), as another worker would."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            with scopes_disabled():
                outcome["value"] = work()
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=60)
    return outcome.get("value")


@pytest.mark.django_db
def test_a_registered_runner_runs_its_kind_with_progress(organizer: Organizer, user: Any) -> None:
    calls: list[tuple[str, int]] = []

    def runner(job: Job, progress: Any) -> tuple[str, str, str]:
        progress(50)
        calls.append((job.identifier, Job.objects.get(pk=job.pk).progress))
        name = private_storage.save("probe/report.txt", ContentFile(b"done"))
        return name, "report.txt", "text/plain"

    def hijack(job: Job, progress: Any) -> tuple[str, str, str]:
        raise AssertionError("the core's export kind cannot be taken over")

    job = _job(organizer, user, "probe.kind")
    with register_temporarily(
        "eventyay", register_job_runners=lambda: {"probe.kind": runner, Job.Kind.EXPORT.value: hijack}
    ):
        finished = job_run(job_id=job.pk)
    assert finished is not None and finished.state == Job.State.DONE, finished
    assert calls == [("probe", 50)]
    assert (finished.filename, finished.content_type, finished.progress) == ("report.txt", "text/plain", 100)


@pytest.mark.django_db
def test_a_runner_fails_its_job_with_a_message_and_an_unknown_kind_fails(
    organizer: Organizer, user: Any
) -> None:
    def runner(job: Job, progress: Any) -> tuple[str, str, str]:
        raise JobFailed("Nothing to import.")

    job = _job(organizer, user, "probe.kind")
    with register_temporarily("eventyay", register_job_runners=lambda: {"probe.kind": runner}):
        failed = job_run(job_id=job.pk)
    assert failed is not None and (failed.state, failed.error) == (Job.State.FAILED, "Nothing to import.")
    orphan = job_run(job_id=_job(organizer, user, "gone.kind").pk)
    assert orphan is not None and orphan.state == Job.State.FAILED and "plugin" in orphan.error


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_job_atomic_writes_once_while_progress_shows(organizer: Organizer, user: Any) -> None:
    """Writes inside ``job_atomic`` appear at the end, all at once; the progress shows before."""
    seen: list[tuple[int | None, bool]] = []

    def runner(job: Job, progress: Any) -> tuple[str, str, str]:
        with job_atomic():
            Organizer.objects.create(name="Imported", slug="imported")
            progress(60)
            seen.append(
                _seen_elsewhere(
                    lambda: (
                        Job.objects.filter(pk=job.pk).values_list("progress", flat=True).first(),
                        Organizer.objects.filter(slug="imported").exists(),
                    )
                )
            )
        return private_storage.save("probe/r.txt", ContentFile(b"")), "r.txt", "text/plain"

    job = _job(organizer, user, "probe.kind")
    with register_temporarily("eventyay", register_job_runners=lambda: {"probe.kind": runner}):
        finished = job_run(job_id=job.pk)
    assert finished is not None and finished.state == Job.State.DONE, finished.error
    assert seen == [(60, False)]
    assert Organizer.objects.filter(slug="imported").exists()
