"""The Export pages: start an export, follow its progress, download it; schedules; who sees what."""

from __future__ import annotations

import csv
import io

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled

from eventyay.base.exporters import Column, ListExporter
from eventyay.base.models import Job, LogEntry, ScheduledExport, User
from eventyay.base.services.teams import team_member_add, team_save
from eventyay.testing.plugin import register_temporarily

EVENT = "/control/event/example/conf/export/"
ORGANIZER = "/control/organizer/example/export/"


class EventNamesExporter(ListExporter):
    identifier = "eventnames"
    verbose_name = "Event names"
    description = "The slug and name of each event."
    category = "Tests"
    required_permission = "event.settings:read"

    def columns(self, options):
        return [Column("slug", "Slug"), Column("name", "Name")]

    def rows(self, options):
        for event in self.events.order_by("slug"):
            yield [event.slug, str(event.name)]


class BrokenExporter(EventNamesExporter):
    identifier = "broken"
    verbose_name = "Broken"

    def rows(self, options):
        raise RuntimeError("database on fire")


class WritersExporter(EventNamesExporter):
    identifier = "writers"
    verbose_name = "Needs the write permission"
    category = "Secret"
    required_permission = "event.settings:write"


@pytest.fixture(autouse=True)
def exporters():
    with register_temporarily(
        "eventyay",
        register_data_exporters=lambda event: [EventNamesExporter, BrokenExporter, WritersExporter],
        register_organizer_exporters=lambda organizer: [EventNamesExporter],
    ):
        yield


@pytest.fixture
def start(django_capture_on_commit_callbacks):
    """POST a start; the job runs (eagerly) once the request's transaction commits."""

    def run(client, path, data):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(path, data)

    return run


def member(organizer, email, permissions):
    user = User.objects.create_user(email, "a long enough password")
    with scopes_disabled():
        team = team_save(organizer=organizer, name=email, permissions=permissions, all_events=True)
        team_member_add(team=team, user=user)
    return user


def only_job():
    with scopes_disabled():
        return Job.objects.get()


def csv_rows(response):
    content = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(content, newline="")))


@pytest.mark.django_db
def test_the_page_lists_permitted_exporters_by_category_with_their_options(client_for, user, event):
    page = client_for(user).get(EVENT).content.decode()
    assert '<h2 class="h5" id="category-1">Secret</h2>' in page
    assert '<h2 class="h5" id="category-2">Tests</h2>' in page
    assert "Event names" in page and "The slug and name of each event." in page
    assert 'name="eventnames-_format"' in page and 'name="broken-_format"' in page
    assert (
        'href="/control/event/example/conf/export/"'
        in client_for(user).get("/control/event/example/conf/").content.decode()
    )


@pytest.mark.django_db
def test_start_progress_and_download(client_for, user, event, start):
    client = client_for(user)
    response = start(client, EVENT, {"exporter": "eventnames", "eventnames-_format": "csv"})
    job = only_job()
    assert response.status_code == 302
    assert response["Location"] == f"{EVENT}jobs/{job.pk}/"
    assert job.user == user and job.options["_format"] == "csv"

    partial = client.get(response["Location"], HTTP_HX_REQUEST="true")
    assert "HX-Request" in partial["Vary"]
    html = partial.content.decode()
    assert html.lstrip().startswith('<div id="export-job"')
    assert "hx-trigger" not in html  # finished: the polling stops
    assert f'href="{EVENT}jobs/{job.pk}/download/"' in html

    download = client.get(f"{EVENT}jobs/{job.pk}/download/")
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith('attachment; filename="example_conf_eventnames.csv"')
    assert download["Cache-Control"] == "private, no-store"
    assert csv_rows(download) == [["Slug", "Name"], ["conf", str(event.name)]]

    listed = client.get(EVENT).content.decode()
    assert "Your recent exports" in listed and f"{EVENT}jobs/{job.pk}/download/" in listed


@pytest.mark.django_db
def test_a_running_job_polls_and_has_a_fallback_without_javascript(
    client_for, user, event, django_capture_on_commit_callbacks
):
    client = client_for(user)
    with django_capture_on_commit_callbacks(execute=False):
        client.post(EVENT, {"exporter": "eventnames", "eventnames-_format": "xlsx"})
    job = only_job()
    with scopes_disabled():
        Job.objects.filter(pk=job.pk).update(state=Job.State.RUNNING, progress=40)
    url = f"{EVENT}jobs/{job.pk}/"
    partial = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert f'hx-get="{url}" hx-trigger="every 1s" hx-swap="outerHTML"' in partial
    assert 'aria-valuenow="40"' in partial and "width: 40%" in partial
    assert "<html" not in partial
    page = client.get(url).content.decode()
    assert '<noscript><meta http-equiv="refresh" content="2"></noscript>' in page
    assert f'<a href="{url}">Refresh</a>' in page
    assert "/download/" not in page
    assert client.get(url + "download/").status_code == 404


@pytest.mark.django_db
def test_a_failed_export_shows_its_error_without_internals(client_for, user, event, start):
    client = client_for(user)
    start(client, EVENT, {"exporter": "broken", "broken-_format": "csv"})
    job = only_job()
    page = client.get(f"{EVENT}jobs/{job.pk}/").content.decode()
    assert "The export failed." in page and "An unexpected error stopped this job." in page
    assert "fire" not in page
    assert client.get(f"{EVENT}jobs/{job.pk}/download/").status_code == 404


@pytest.mark.django_db
def test_bad_options_show_a_form_error_next_to_the_field(client_for, user, event, start):
    response = start(client_for(user), EVENT, {"exporter": "eventnames", "eventnames-_format": "docx"})
    assert response.status_code == 400
    page = response.content.decode()
    field = page.index('name="eventnames-_format"')
    error = page.index('class="invalid-feedback d-block"')
    assert field < error < page.index("Start export", field)
    with scopes_disabled():
        assert not Job.objects.exists()


@pytest.mark.django_db
def test_unknown_exporter_is_not_found(client_for, user, event):
    assert client_for(user).post(EVENT, {"exporter": "nosuch"}).status_code == 404


@pytest.mark.django_db
def test_a_member_without_the_permission_neither_sees_nor_starts_the_export(organizer, event, client_for):
    reader = member(organizer, "reader@example.org", ["event.settings:read"])
    client = client_for(reader)
    page = client.get(EVENT).content.decode()
    assert "Event names" in page
    assert "Needs the write permission" not in page and "writers" not in page
    assert client.post(EVENT, {"exporter": "writers", "writers-_format": "csv"}).status_code == 404
    with scopes_disabled():
        assert not Job.objects.exists()

    nobody = member(organizer, "nobody@example.org", [])
    dashboard = client_for(nobody).get("/control/event/example/conf/").content.decode()
    assert EVENT not in dashboard
    page = client_for(nobody).get(EVENT).content.decode()
    assert "There are no exports you may run here." in page
    assert client_for(nobody).post(EVENT, {"exporter": "eventnames"}).status_code == 404


@pytest.mark.django_db
def test_jobs_and_files_are_only_for_whoever_started_them(
    client_for, user, organizer, event, other_organizer, start
):
    start(client_for(user), EVENT, {"exporter": "eventnames", "eventnames-_format": "csv"})
    job = only_job()
    job_url = f"{EVENT}jobs/{job.pk}/"
    colleague = member(organizer, "colleague@example.org", ["event.settings:read", "event.settings:write"])
    outsider = other_organizer.member
    for someone in (colleague, outsider):
        client = client_for(someone)
        assert client.get(job_url).status_code == 404
        assert client.get(job_url, HTTP_HX_REQUEST="true").status_code == 404
        assert client.get(job_url + "download/").status_code == 404
    assert "Your recent exports" not in client_for(colleague).get(EVENT).content.decode()
    outsider_client = client_for(outsider)
    assert outsider_client.get(EVENT).status_code == 404
    assert outsider_client.get(ORGANIZER).status_code == 404
    assert outsider_client.post(EVENT, {"exporter": "eventnames"}).status_code == 404
    # The job of one level is not found under the other.
    assert client_for(user).get(f"{ORGANIZER}jobs/{job.pk}/").status_code == 404


@pytest.mark.django_db
def test_recent_exports_disappear_when_they_expire(client_for, user, event, start):
    client = client_for(user)
    start(client, EVENT, {"exporter": "eventnames", "eventnames-_format": "csv"})
    assert "Your recent exports" in client.get(EVENT).content.decode()
    with scopes_disabled():
        Job.objects.update(expires=timezone.now())
    assert "Your recent exports" not in client.get(EVENT).content.decode()


@pytest.mark.django_db
def test_organizer_export_covers_the_events(client_for, user, make_event, start):
    make_event(slug="conf")
    make_event(slug="second")
    client = client_for(user)
    assert (
        'href="/control/organizer/example/export/"'
        in client.get("/control/organizer/example/").content.decode()
    )
    response = start(client, ORGANIZER, {"exporter": "eventnames", "eventnames-_format": "csv"})
    job = only_job()
    assert response["Location"] == f"{ORGANIZER}jobs/{job.pk}/"
    rows = csv_rows(client.get(f"{ORGANIZER}jobs/{job.pk}/download/"))
    assert [row[0] for row in rows] == ["Slug", "conf", "second"]


# --- scheduled exports ---------------------------------------------------------------------------


def schedule_post(**overrides):
    data = {
        "options-_format": "csv",
        "interval": "weekly",
        "hour": "7",
        "weekday": "3",
        "recipients": "a@example.org, b@example.org",
        "webhook_url": "",
    }
    data.update(overrides)
    return data


@pytest.mark.django_db
def test_create_edit_and_delete_a_scheduled_export(client_for, user, event):
    client = client_for(user)
    assert "Scheduled exports" in client.get(EVENT).content.decode()
    response = client.post(f"{EVENT}schedules/add/eventnames/", schedule_post())
    assert response.status_code == 302 and response["Location"] == EVENT
    with scopes_disabled():
        schedule = ScheduledExport.objects.get()
    assert schedule.event == event and schedule.owner == user
    assert schedule.recipients == ["a@example.org", "b@example.org"]
    assert (schedule.interval, schedule.hour, schedule.weekday) == ("weekly", 7, 3)
    assert schedule.options["_format"] == "csv"
    page = client.get(EVENT).content.decode()
    assert "a@example.org, b@example.org" in page and "runs as member@example.org" in page

    edit = f"{EVENT}schedules/{schedule.pk}/"
    form = client.get(edit).content.decode()
    assert 'value="a@example.org, b@example.org"' in form
    assert '<option value="csv" selected>' in form
    response = client.post(edit, schedule_post(interval="daily", recipients="c@example.org"))
    assert response.status_code == 302
    schedule.refresh_from_db()
    assert (schedule.interval, schedule.recipients) == ("daily", ["c@example.org"])

    assert client.get(edit + "delete/").status_code == 405
    assert client.post(edit + "delete/").status_code == 302
    with scopes_disabled():
        assert not ScheduledExport.objects.exists()
        assert LogEntry.objects.filter(action_type="eventyay.export.unscheduled", user=user).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"recipients": "a@example.org, not-an-address"}, "recipients", "not-an-address"),
        ({"recipients": ""}, "recipients", "Name at least one recipient or a URL"),
        ({"hour": "24"}, "hour", "less than or equal to 23"),
        ({"webhook_url": "http://127.0.0.1/hook"}, "webhook_url", ""),
        ({"options-_format": "docx"}, "options-_format", "Select a valid choice"),
    ],
)
def test_bad_schedule_input_shows_field_errors(client_for, user, event, overrides, field, message):
    response = client_for(user).post(f"{EVENT}schedules/add/eventnames/", schedule_post(**overrides))
    assert response.status_code == 400
    page = response.content.decode()
    after_field = page[page.index(f'name="{field}"') :]
    # The field's own block ends where the next field's begins.
    block = after_field[: after_field.find('<div class="mb-3')]
    assert 'class="invalid-feedback d-block"' in block and message in block
    with scopes_disabled():
        assert not ScheduledExport.objects.exists()


@pytest.mark.django_db
def test_schedules_need_the_settings_write_permission(organizer, event, client_for, user):
    reader = member(organizer, "reader@example.org", ["event.settings:read"])
    client = client_for(reader)
    assert "Scheduled exports" not in client.get(EVENT).content.decode()
    assert client.get(f"{EVENT}schedules/add/eventnames/").status_code == 403
    assert client.post(f"{EVENT}schedules/add/eventnames/", schedule_post()).status_code == 403
    client_for(user).post(f"{EVENT}schedules/add/eventnames/", schedule_post())
    with scopes_disabled():
        schedule = ScheduledExport.objects.get()
    assert client.post(f"{EVENT}schedules/{schedule.pk}/delete/").status_code == 403
    assert client.get(f"{ORGANIZER}schedules/add/eventnames/").status_code == 403


@pytest.mark.django_db
def test_a_schedule_of_an_export_the_user_cannot_run_is_not_found(organizer, event, client_for):
    writer = member(organizer, "writer@example.org", ["event.settings:write"])
    client = client_for(writer)
    assert client.get(f"{EVENT}schedules/add/eventnames/").status_code == 404
    assert client.post(f"{EVENT}schedules/add/eventnames/", schedule_post()).status_code == 404
    with scopes_disabled():
        assert not ScheduledExport.objects.exists()


@pytest.mark.django_db
def test_another_organizers_schedules_are_not_found(client_for, user, event, other_organizer):
    client_for(user).post(f"{EVENT}schedules/add/eventnames/", schedule_post())
    with scopes_disabled():
        schedule = ScheduledExport.objects.get()
    outsider = client_for(other_organizer.member)
    assert outsider.get(f"{EVENT}schedules/{schedule.pk}/").status_code == 404
    assert outsider.post(f"{EVENT}schedules/{schedule.pk}/delete/").status_code == 404
    theirs = f"/control/event/other/otherconf/export/schedules/{schedule.pk}/"
    assert outsider.get(theirs).status_code == 404
    with scopes_disabled():
        assert ScheduledExport.objects.exists()


@pytest.mark.django_db
def test_the_export_pages_speak_german(client_for, user, event, start):
    client = client_for(user)
    client.post("/control/user/settings/", {"fullname": "", "locale": "de", "timezone": "UTC"})
    page = client.get(EVENT).content.decode()
    assert "Export starten" in page and "Geplante Exporte" in page and "Planen" in page
    start(client, EVENT, {"exporter": "eventnames", "eventnames-_format": "csv"})
    job = only_job()
    assert "Herunterladen" in client.get(f"{EVENT}jobs/{job.pk}/").content.decode()
    form = client.get(f"{EVENT}schedules/add/eventnames/").content.decode()
    assert "Wochentag" in form and "Per E-Mail an" in form and "Mittwoch" in form


@pytest.mark.django_db
def test_whoever_saves_a_schedule_last_owns_it(client_for, user, organizer, event):
    client_for(user).post(f"{EVENT}schedules/add/eventnames/", schedule_post())
    with scopes_disabled():
        schedule = ScheduledExport.objects.get()
    colleague = member(organizer, "colleague@example.org", ["event.settings:read", "event.settings:write"])
    response = client_for(colleague).post(f"{EVENT}schedules/{schedule.pk}/", schedule_post())
    assert response.status_code == 302
    schedule.refresh_from_db()
    # The colleague's permissions were the ones checked, so the export runs with them.
    assert schedule.owner == colleague
