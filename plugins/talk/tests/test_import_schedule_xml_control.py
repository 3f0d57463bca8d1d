"""The control panel's schedule XML import: form errors, the job with its report, tenancy."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django_scopes import scope, scopes_disabled
from eventyay_talk.importers.schedule_xml_jobs import schedule_xml_job_create
from eventyay_talk.models import Submission

from eventyay.base.models import Job
from eventyay.base.services.jobs import job_run
from eventyay.base.storage import private_storage
from eventyay.testing.source_server import fake_source

from .test_import_schedule_xml import DATA, FRAB, table_sizes

pytestmark = pytest.mark.django_db


@pytest.fixture
def target(make_event: Any) -> Any:
    return make_event(slug="target", plugins=["talk"], timezone="Europe/Berlin")


def page_url(event: Any, suffix: str = "") -> str:
    return f"/control/event/{event.organizer.slug}/{event.slug}/talk/import/schedule-xml/{suffix}"


def upload(content: bytes | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(
        "schedule.xml", FRAB.read_bytes() if content is None else content, "application/xml"
    )


def test_the_page_shows_the_form(client_for: Any, user: Any, target: Any) -> None:
    response = client_for(user).get(page_url(target))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'enctype="multipart/form-data"' in body and 'name="url"' in body and 'name="file"' in body


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({}, "url", "either the address"),
        ({"file": b"<schedule><conference>"}, "file", "not well-formed XML"),
        ({"file": b"<html/>"}, "file", "root element is <html>"),
        ({"url": "ftp://example.org/schedule.xml"}, "url", "http:// and https://"),
        ({"url": "http://127.0.0.1/schedule.xml"}, "url", "private network"),
    ],
)
def test_bad_input_is_a_form_error_and_starts_no_job(
    client_for: Any, user: Any, target: Any, data: dict[str, Any], field: str, message: str
) -> None:
    post = {key: upload(value) if key == "file" else value for key, value in data.items()}
    response = client_for(user).post(page_url(target), {**post, "dry_run": "1"})
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    with scopes_disabled():
        assert not Job.objects.exists()


def test_a_dry_run_job_reports_and_saves_nothing(
    client_for: Any, user: Any, target: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client = client_for(user)
    before = table_sizes()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(page_url(target), {"file": upload(), "dry_run": "1"})
    assert response.status_code == 302
    with scopes_disabled():
        job = Job.objects.get()
    assert job.state == "done" and "file" not in job.options
    body = client.get(response.url).content.decode()
    assert "Nothing was saved" in body and "submission" in body and "0.9 Kranich" in body
    after = table_sizes()
    assert after.pop("eventyay_base.Job") == before.pop("eventyay_base.Job") + 1
    assert after == before


def test_the_import_job_imports_from_an_address(
    client_for: Any, user: Any, target: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with (
        override_settings(OUTGOING_HTTP_ALLOW_PRIVATE=True),
        fake_source(DATA) as source,
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = client_for(user).post(
            page_url(target), {"url": source.url("/frab-schedule.xml"), "import": "1"}
        )
    page = client_for(user).get(response.url)
    assert "The import is finished." in page.content.decode()
    with scope(organizer=target.organizer):
        assert Submission.objects.filter(event=target, state="confirmed").count() == 4
        assert target.talk_imports.get().source_url.endswith("/frab-schedule.xml")


def test_the_stored_schedule_is_deleted_when_a_job_fails(
    user: Any, talk_event: Any, make_submission: Any
) -> None:
    make_submission(title="Mine")  # the event has proposals of its own: the import is refused
    with scope(organizer=talk_event.organizer):
        job = schedule_xml_job_create(
            event=talk_event, user=user, content=FRAB.read_bytes(), source="x", dry_run=False
        )
    stored = job.options["file"]
    assert private_storage.exists(stored)
    finished = job_run(job_id=job.pk)
    assert finished is not None and finished.state == "failed"
    assert "proposals of its own" in finished.error
    assert not private_storage.exists(stored) and "file" not in finished.options


def test_another_organizers_member_gets_404(
    client_for: Any, user: Any, other_organizer: Any, target: Any
) -> None:
    with scope(organizer=target.organizer):
        job = schedule_xml_job_create(
            event=target, user=user, content=FRAB.read_bytes(), source="x", dry_run=True
        )
    outsider = client_for(other_organizer.member)
    assert outsider.get(page_url(target)).status_code == 404
    assert outsider.post(page_url(target), {"file": upload(), "import": "1"}).status_code == 404
    assert outsider.get(page_url(target, f"{job.pk}/")).status_code == 404
    with scopes_disabled():
        assert Job.objects.count() == 1


def test_a_job_for_an_event_of_another_organizer_is_refused(
    user: Any, other_organizer: Any, target: Any
) -> None:
    with scopes_disabled():
        foreign = other_organizer.events.get()
    with scope(organizer=target.organizer):
        job = schedule_xml_job_create(
            event=target, user=user, content=FRAB.read_bytes(), source="x", dry_run=False
        )
    with scopes_disabled():
        # A job row pointing at another organizer's event (a bug or a tampered row) imports nothing.
        Job.objects.filter(pk=job.pk).update(event=foreign)
    finished = job_run(job_id=job.pk)
    assert finished is not None and finished.state == "failed"
    with scopes_disabled():
        assert not Submission.objects.filter(event=foreign).exists()


@pytest.mark.parametrize("permissions", [["event.submissions:write"], ["event.schedule:write"]])
def test_a_member_without_both_write_permissions_gets_403(
    client_for: Any, target: Any, permissions: list[str]
) -> None:
    from .test_control_access import member_with

    member = member_with(target.organizer, "half@example.org", permissions)
    client = client_for(member)
    assert client.get(page_url(target)).status_code == 403
    assert client.post(page_url(target), {"file": upload(), "import": "1"}).status_code == 403
    with scopes_disabled():
        assert not Job.objects.exists()
