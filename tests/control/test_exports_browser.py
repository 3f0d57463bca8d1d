"""A person starts an export in a real (headless) browser, watches it finish and downloads it."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django_scopes import scopes_disabled

from eventyay.base.exporters import Column, ListExporter
from eventyay.base.models import Job
from eventyay.base.services import exports
from eventyay.base.services.jobs import job_run
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


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_start_an_export_watch_it_finish_and_download_it(live_server, user, event, chromium, monkeypatch):
    # The job is left waiting so the page has to poll; the test runs it in the middle.
    monkeypatch.setattr(exports, "job_queue", lambda job: None)
    page = chromium.new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    with register_temporarily("eventyay", register_data_exporters=lambda event: [EventNamesExporter]):
        page.goto(f"{live_server.url}/control/login/")
        page.get_by_label("Email").fill(user.email)
        page.get_by_label("Password").fill("correct horse battery")
        page.keyboard.press("Enter")
        page.wait_for_url(f"{live_server.url}/control/")
        page.goto(f"{live_server.url}/control/event/example/conf/")
        # The organizer has an Export entry too; this is the event's.
        page.locator("a.nav-link[href='/control/event/example/conf/export/']").click()
        page.get_by_label("File format").select_option("csv")
        page.get_by_role("button", name=re.compile(r"^Start export\W+Event names$")).click()
        assert page.get_by_text("Waiting for a free worker").is_visible()
        with scopes_disabled():
            job = Job.objects.get()
        assert page.url == f"{live_server.url}/control/event/example/conf/export/jobs/{job.pk}/"
        job_run(job_id=job.pk)
        download_link = page.get_by_role("link", name="Download")
        download_link.wait_for()
        with page.expect_download() as info:
            download_link.click()
        download = info.value
        assert download.suggested_filename == "example_conf_eventnames.csv"
        with open(download.path(), encoding="utf-8", newline="") as fh:
            rows = list(csv.reader(io.StringIO(fh.read(), newline="")))
    assert rows == [["Slug", "Name"], ["conf", str(event.name)]]
    assert not [error for error in errors if "Content Security Policy" in error]
