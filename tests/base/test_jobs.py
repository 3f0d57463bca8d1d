"""Background jobs on PostgreSQL: one snapshot per export, progress visible while it runs."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django_scopes import scopes_disabled

from eventyay.base.exporters import Column, ListExporter
from eventyay.base.models import Job, Organizer
from eventyay.base.services.jobs import job_run
from eventyay.testing.plugin import register_temporarily


def _in_another_connection(work):
    """Run ``work`` in a thread of its own, hence on a database connection of its own."""
    outcome = {}

    def run():
        try:
            with scopes_disabled():
                outcome["value"] = work()
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=60)
    return outcome.get("value")


class SnapshotProbe(ListExporter):
    """Counts organizers twice with another transaction adding one in between."""

    identifier = "probe"
    verbose_name = "Probe"
    required_permission = "event.settings:read"
    seen_progress: list[int | None] = []

    def columns(self, options):
        return [Column("before", "Before"), Column("after", "After")]

    def rows(self, options):
        before = Organizer.objects.count()
        _in_another_connection(lambda: Organizer.objects.create(name="Late", slug="late-arrival"))
        after = Organizer.objects.count()
        yield [before, after]

    def render(self, options, output, progress):
        progress(50)
        job_id = options["job"]
        type(self).seen_progress.append(
            _in_another_connection(
                lambda: Job.objects.filter(pk=job_id).values_list("progress", flat=True).first()
            )
        )
        return super().render(options, output, progress)


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_an_export_reads_one_snapshot_and_shows_progress_while_it_runs(event, user):
    from eventyay.base.storage import private_storage

    with scopes_disabled():
        job = Job.objects.create(
            kind=Job.Kind.EXPORT, organizer=event.organizer, event=event, identifier="probe", user=user
        )
        Job.objects.filter(pk=job.pk).update(options={"_format": "csv", "job": str(job.pk)})
    SnapshotProbe.seen_progress = []
    with register_temporarily("eventyay", register_data_exporters=lambda event: [SnapshotProbe]):
        finished = job_run(job_id=job.pk)
    assert finished.state == Job.State.DONE, finished.error
    assert SnapshotProbe.seen_progress == [50]
    with private_storage.open(finished.file, "rb") as fh:
        lines = fh.read().decode().splitlines()
    before, after = lines[1].split(",")
    assert before == after, "a row committed during the export leaked into it"
    assert Organizer.objects.filter(slug="late-arrival").exists()
