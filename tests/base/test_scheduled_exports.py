"""Scheduled exports end to end: claimed once, mailed as an attachment, posted, stopped by lost rights."""

from __future__ import annotations

import csv
import datetime as dt
import io
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
from django.test import override_settings
from django.utils import timezone
from django_scopes import scopes_disabled

from eventyay.base.exporters import Column, ListExporter
from eventyay.base.models import Job, OutgoingMail, ScheduledExport, Team, User
from eventyay.base.services.exports import (
    scheduled_export_run,
    scheduled_export_save,
    scheduled_exports_due,
)
from eventyay.base.services.teams import team_member_add, team_save
from eventyay.base.storage import private_storage
from eventyay.testing.plugin import register_temporarily


class EventNamesExporter(ListExporter):
    identifier = "eventnames"
    verbose_name = "Event names"
    required_permission = "event.settings:read"

    def columns(self, options):
        return [Column("slug", "Slug"), Column("name", "Name")]

    def rows(self, options):
        for event in self.events.order_by("slug"):
            yield [event.slug, str(event.name)]


@pytest.fixture(autouse=True)
def exporters():
    with register_temporarily("eventyay", register_data_exporters=lambda event: [EventNamesExporter]):
        yield


class Receiver:
    """A local HTTP server that keeps what is posted to it."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append({"headers": dict(self.headers), "body": body})
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/exports"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    instance = Receiver()
    yield instance
    instance.stop()


def schedule_for(event: Any, owner: User, *, recipients=("office@example.org",), webhook_url=""):
    with scopes_disabled():
        return scheduled_export_save(
            organizer=event.organizer,
            event=event,
            owner=owner,
            identifier="eventnames",
            options={"_format": "csv"},
            interval="daily",
            hour=6,
            weekday=1,
            recipients=list(recipients),
            webhook_url=webhook_url,
        )


def make_due(schedule: ScheduledExport) -> dt.datetime:
    past = timezone.now() - dt.timedelta(minutes=5)
    with scopes_disabled():
        ScheduledExport.objects.filter(pk=schedule.pk).update(next_run=past)
    return timezone.now()


def csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode(), newline="")))


@pytest.mark.django_db
def test_a_due_schedule_is_claimed_once(event, user):
    schedule = schedule_for(event, user)
    now = make_due(schedule)
    assert scheduled_exports_due(now=now) == [schedule.pk]
    assert scheduled_exports_due(now=now) == []
    with scopes_disabled():
        schedule.refresh_from_db()
    assert schedule.next_run > now


@pytest.mark.django_db
def test_the_file_is_mailed_as_an_attachment_from_the_private_storage(event, user):
    schedule = schedule_for(event, user, recipients=["office@example.org", "boss@example.org"])
    job = scheduled_export_run(schedule_id=schedule.pk)
    assert job is not None and job.state == Job.State.DONE
    with scopes_disabled():
        mail = OutgoingMail.objects.get()
        schedule.refresh_from_db()
    assert mail.to == ["office@example.org", "boss@example.org"]
    assert mail.event == event
    [attachment] = mail.attachments
    assert attachment["name"] == "example_conf_eventnames.csv"
    assert attachment["mimetype"].startswith("text/csv")
    assert private_storage.exists(attachment["path"])
    with private_storage.open(attachment["path"], "rb") as fh:
        assert csv_rows(fh.read()) == [["Slug", "Name"], ["conf", str(event.name)]]
    assert schedule.last_run is not None and schedule.last_error == ""


@pytest.mark.django_db
@override_settings(OUTGOING_HTTP_ALLOW_PRIVATE=True)
def test_the_file_is_posted_to_the_url(event, user, receiver):
    schedule = schedule_for(event, user, recipients=[], webhook_url=receiver.url)
    scheduled_export_run(schedule_id=schedule.pk)
    [request] = receiver.requests
    assert request["headers"]["Content-Type"].startswith("text/csv")
    assert request["headers"]["Content-Disposition"] == 'attachment; filename="example_conf_eventnames.csv"'
    assert csv_rows(request["body"]) == [["Slug", "Name"], ["conf", str(event.name)]]
    with scopes_disabled():
        assert not OutgoingMail.objects.exists()
        schedule.refresh_from_db()
    assert schedule.last_error == ""


@pytest.mark.django_db
@override_settings(OUTGOING_HTTP_ALLOW_PRIVATE=True)
def test_an_owner_who_lost_the_permission_gets_an_error_and_nothing_is_sent(organizer, event, receiver):
    owner = User.objects.create_user("reader@example.org", "a long enough password")
    with scopes_disabled():
        team = team_save(
            organizer=organizer, name="Readers", permissions=["event.settings:read"], all_events=True
        )
        team_member_add(team=team, user=owner)
    schedule = schedule_for(event, owner, webhook_url=receiver.url)
    with scopes_disabled():
        Team.objects.filter(pk=team.pk).update(permissions=[])
    job = scheduled_export_run(schedule_id=schedule.pk)
    assert job is not None and job.state == Job.State.FAILED and job.file == ""
    with scopes_disabled():
        schedule.refresh_from_db()
        assert not OutgoingMail.objects.exists()
    assert receiver.requests == []
    assert schedule.last_run is not None
    assert "not available" in schedule.last_error
