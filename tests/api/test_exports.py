"""The exporters API, compatible with pretix clients: 202 → 409 → 200, 410 and 404."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import uuid

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled

from eventyay.base.exporters import Column, ListExporter
from eventyay.base.models import Job
from eventyay.base.services.jobs import JobBusy, job_run, jobs_sweep
from eventyay.testing.plugin import register_temporarily


class EventNamesExporter(ListExporter):
    identifier = "eventnames"
    verbose_name = "Event names"
    category = "Tests"
    required_permission = "event.settings:read"

    def columns(self, options):
        return [Column("slug", "Slug"), Column("name", "Name")]

    def rows(self, options):
        for event in self.events.order_by("slug"):
            yield [event.slug, str(event.name)]


class BrokenExporter(ListExporter):
    identifier = "broken"
    verbose_name = "Broken"
    required_permission = "event.settings:read"

    def columns(self, options):
        return [Column("x", "X")]

    def rows(self, options):
        raise RuntimeError("database on fire")


class SecretExporter(EventNamesExporter):
    identifier = "secret"
    verbose_name = "Needs a permission nobody has"
    required_permission = "event.never-granted:read"


@pytest.fixture
def start(django_capture_on_commit_callbacks):
    """POST a run; the job is queued after commit, which the test's transaction never does alone."""

    def run(client, path, data):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(path, data, format="json")

    return run


@pytest.fixture
def exporters():
    with register_temporarily(
        "eventyay",
        register_data_exporters=lambda event: [EventNamesExporter, BrokenExporter],
        register_organizer_exporters=lambda organizer: [EventNamesExporter],
    ):
        yield


def url(event, tail=""):
    return f"/api/v1/organizers/{event.organizer.slug}/events/{event.slug}/exporters/{tail}"


@pytest.mark.django_db
def test_exporters_are_listed_with_their_input_parameters(api_client, event, exporters, start):
    answer = api_client.get(url(event))
    assert answer.status_code == 200
    listed = {item["identifier"]: item for item in answer.json()["results"]}
    assert set(listed) == {"eventnames", "broken"}
    parameters = {parameter["name"]: parameter for parameter in listed["eventnames"]["input_parameters"]}
    assert parameters["_format"]["required"] is False
    assert parameters["_format"]["default"] == "xlsx"
    assert "csv" in parameters["_format"]["choices"]


@pytest.mark.django_db
def test_run_answers_202_and_the_download_gives_the_file(api_client, event, exporters, start):
    answer = start(api_client, url(event, "eventnames/run/"), {"_format": "csv"})
    assert answer.status_code == 202, answer.content
    download = answer.json()["download"]
    assert download.startswith(
        "http://testserver/api/v1/organizers/example/events/conf/exporters/eventnames/download/"
    )
    result = api_client.get(download)
    assert result.status_code == 200
    assert result["Content-Disposition"].startswith('attachment; filename="example_conf_eventnames.csv"')
    rows = list(csv.reader(io.StringIO(b"".join(result.streaming_content).decode(), newline="")))
    assert rows == [["Slug", "Name"], ["conf", str(event.name)]]


@pytest.mark.django_db
def test_a_waiting_job_answers_409_with_its_progress(
    api_client, event, exporters, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        answer = api_client.post(url(event, "eventnames/run/"), {"_format": "xlsx"}, format="json")
    assert answer.status_code == 202
    waiting = api_client.get(answer.json()["download"])
    assert waiting.status_code == 409
    assert waiting.json() == {"status": "waiting", "percentage": 0}
    with scopes_disabled():
        Job.objects.update(state=Job.State.RUNNING, progress=40)
    running = api_client.get(answer.json()["download"])
    assert running.json() == {"status": "running", "percentage": 40}


@pytest.mark.django_db
def test_a_failed_export_answers_410_without_internals(api_client, event, exporters, start):
    answer = start(api_client, url(event, "broken/run/"), {})
    failed = api_client.get(answer.json()["download"])
    assert failed.status_code == 410
    assert failed.json()["status"] == "failed"
    assert "fire" not in failed.json()["message"]


@pytest.mark.django_db
def test_bad_options_answer_400_naming_the_field(api_client, event, exporters, start):
    answer = api_client.post(url(event, "eventnames/run/"), {"_format": "docx"}, format="json")
    assert answer.status_code == 400
    assert "_format" in answer.json()
    answer = api_client.post(url(event, "eventnames/run/"), ["not", "an", "object"], format="json")
    assert answer.status_code == 400


@pytest.mark.django_db
def test_unknown_and_unpermitted_exporters_are_not_found(api_client, event, exporters, start):
    assert api_client.post(url(event, "nosuch/run/"), {}, format="json").status_code == 404
    with register_temporarily("eventyay", register_data_exporters=lambda event: [SecretExporter]):
        assert api_client.post(url(event, "secret/run/"), {}, format="json").status_code == 404
        listed = [item["identifier"] for item in api_client.get(url(event)).json()["results"]]
        assert "secret" not in listed


@pytest.mark.django_db
def test_an_expired_or_unknown_job_answers_404(api_client, event, exporters, start):
    answer = start(api_client, url(event, "eventnames/run/"), {"_format": "csv"})
    download = answer.json()["download"]
    assert api_client.get(url(event, f"eventnames/download/{uuid.uuid4()}/")).status_code == 404
    with scopes_disabled():
        Job.objects.update(expires="2000-01-01T00:00:00Z")
    jobs_sweep()
    assert api_client.get(download).status_code == 404


@pytest.mark.django_db
def test_only_the_requester_may_fetch_the_result(
    api_client, event, exporters, admin_team, token_for, client_with_token, start
):
    answer = start(api_client, url(event, "eventnames/run/"), {"_format": "csv"})
    colleague = client_with_token(token_for(admin_team, name="colleague"))
    assert colleague.get(answer.json()["download"]).status_code == 404


@pytest.mark.django_db
def test_another_organizers_token_sees_nothing(
    event, exporters, other_organizer, client_with_token, token_for, start
):
    with scopes_disabled():
        their_team = other_organizer.teams.first()
    outsider = client_with_token(token_for(their_team))
    assert outsider.get(url(event)).status_code == 404
    assert start(outsider, url(event, "eventnames/run/"), {}).status_code == 404


@pytest.mark.django_db
def test_organizer_exports_cover_the_permitted_events(api_client, event, make_event, exporters, start):
    make_event(slug="second")
    base = f"/api/v1/organizers/{event.organizer.slug}/exporters/"
    assert [item["identifier"] for item in api_client.get(base).json()["results"]] == ["eventnames"]
    answer = start(api_client, base + "eventnames/run/", {"_format": "json"})
    assert answer.status_code == 202
    result = api_client.get(answer.json()["download"])
    assert result.status_code == 200
    slugs = [row["slug"] for row in json.loads(b"".join(result.streaming_content))]
    assert slugs == ["conf", "second"]


@pytest.mark.django_db
def test_at_most_two_jobs_run_at_once_per_organizer(
    api_client, event, exporters, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        for _ in range(3):
            api_client.post(url(event, "eventnames/run/"), {"_format": "csv"}, format="json")
    with scopes_disabled():
        first, second, third = Job.objects.order_by("created")
        Job.objects.filter(pk__in=[first.pk, second.pk]).update(
            state=Job.State.RUNNING, heartbeat=timezone.now()
        )
    with pytest.raises(JobBusy):
        job_run(job_id=third.pk)
    with scopes_disabled():
        assert Job.objects.get(pk=third.pk).state == Job.State.WAITING
        Job.objects.filter(pk=first.pk).update(state=Job.State.DONE)
    assert job_run(job_id=third.pk).state == Job.State.DONE


@pytest.mark.django_db
def test_the_sweep_requeues_jobs_of_dead_workers_and_lost_tasks(
    api_client, event, exporters, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        for _ in range(2):
            api_client.post(url(event, "eventnames/run/"), {"_format": "csv"}, format="json")
    now = timezone.now()
    with scopes_disabled():
        dead, lost = Job.objects.order_by("created")
        Job.objects.filter(pk=dead.pk).update(
            state=Job.State.RUNNING, attempts=1, heartbeat=now - dt.timedelta(minutes=10)
        )
        Job.objects.filter(pk=lost.pk).update(created=now - dt.timedelta(minutes=10))
    assert sorted(jobs_sweep(now=now)) == sorted([str(dead.pk), str(lost.pk)])
    assert job_run(job_id=dead.pk).state == Job.State.DONE
