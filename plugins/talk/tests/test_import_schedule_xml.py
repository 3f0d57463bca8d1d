"""Importing a frab/c3voc schedule.xml: a pretalx-style file, our own export, re-runs, bad input."""

from __future__ import annotations

import datetime as dt
import uuid
from io import StringIO
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.test import Client, override_settings
from django_scopes import scope, scopes_disabled
from eventyay_talk.importers.schedule_xml import ScheduleXMLError, schedule_xml_import
from eventyay_talk.management.commands.import_schedule_xml import Command
from eventyay_talk.models import (
    Schedule,
    SpeakerProfile,
    Submission,
    SubmissionType,
    TalkImport,
    TalkSlot,
    Track,
)
from eventyay_talk.models.codes import CODE_ALPHABET
from eventyay_talk.selectors import latest_export

from eventyay.base.models import Event
from eventyay.testing.source_server import fake_source

from .conftest import url

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data"
FRAB = DATA / "frab-schedule.xml"
BERLIN = dt.timezone(dt.timedelta(hours=2))


def run(organizer: Any, content: bytes | None = None, *, slug: str = "imported", **kwargs: Any) -> Any:
    return schedule_xml_import(
        content=FRAB.read_bytes() if content is None else content,
        source_url=kwargs.pop("source_url", "frab-schedule.xml"),
        organizer=organizer,
        event_slug=slug,
        **kwargs,
    )


def imported(organizer: Any, slug: str = "imported") -> Event:
    with scopes_disabled():
        return Event.objects.get(organizer=organizer, slug=slug)


def table_sizes() -> dict[str, int]:
    with scopes_disabled():
        return {
            model._meta.label: model._default_manager.count()
            for model in apps.get_models()
            if model._meta.app_label in ("eventyay_talk", "eventyay_base") and not model._meta.proxy
        }


def exported_talks(content: bytes) -> dict[str, Any]:
    """A schedule.xml as comparable data: rooms, tracks and each talk's placement and people."""
    root = ET.fromstring(content)
    talks = {}
    for room in root.iterfind("day/room"):
        for event in room.iterfind("event"):
            talks[event.findtext("title")] = {
                "room": room.get("name"),
                "start": dt.datetime.fromisoformat(event.findtext("date") or ""),
                "duration": event.findtext("duration"),
                "type": event.findtext("type"),
                "track": event.findtext("track"),
                "language": event.findtext("language"),
                "abstract": event.findtext("abstract"),
                "speakers": sorted(p.text or "" for p in event.iterfind("persons/person")),
            }
    return {
        "rooms": sorted({room.get("name") or "" for room in root.iterfind("day/room")}),
        "tracks": {t.get("name"): t.get("color") for t in root.iterfind("conference/track")},
        "time_zone": root.findtext("conference/time_zone_name"),
        "talks": talks,
    }


def test_a_pretalx_style_schedule_is_imported(organizer: Any) -> None:
    report = run(organizer)
    event = imported(organizer)
    assert str(event.name) == "Free Software Conference 2025"
    assert event.timezone == "Europe/Berlin"
    assert event.date_from == dt.datetime(2025, 9, 12, 0, 0, tzinfo=BERLIN)
    assert event.date_to == dt.datetime(2025, 9, 13, 23, 59, tzinfo=BERLIN)
    with scope(organizer=organizer):
        assert event.has_plugin("talk")
        assert [str(room.name) for room in event.talk_rooms.all()] == ["Hörsaal 1", "Seminarraum B"]
        assert {str(t.name): t.color for t in Track.objects.filter(event=event)} == {
            "Community": "#1f77b4",
            "Security": "#d62728",
        }
        assert {str(t.name): t.default_duration for t in SubmissionType.objects.filter(event=event)} == {
            "Talk": 30,
            "Workshop": 90,
            "Lightning": 60,
        }
        talks = {s.title: s for s in Submission.objects.filter(event=event)}
        assert {s.state for s in talks.values()} == {"confirmed"}
        opening = talks["Opening: Ten Years of Free Software Conference"]
        assert opening.code == "RWQ7KD" and opening.guid  # the file's code is kept
        assert sorted(u.talk_profiles.get(event=event).name for u in opening.speakers.all()) == [
            "Jana Nováková",
            "Ömer Yılmaz",
        ]
        workshop = talks["Packaging Rust für Debian"]
        assert (workshop.content_locale, workshop.duration, str(workshop.track)) == ("de", 90, "Community")
        # The same person (by guid) gives talks in two rooms: one speaker.
        assert workshop.speakers.get() in opening.speakers.all()
        lightning = talks["Lightning Talks"]
        assert len(lightning.code) == 6 and set(lightning.code) <= set(CODE_ALPHABET)
        assert lightning.track is None and not lightning.speakers.exists()
        speaker = SpeakerProfile.objects.get(event=event, name="Li Wei").user
        assert speaker.email.endswith(".invalid") and not speaker.has_usable_password()
        released = Schedule.objects.get(event=event, version__isnull=False)
        assert released.version == "0.9 Kranich"
        placed = {
            s.submission.title: (str(s.room), s.start, s.end)
            for s in released.slots.select_related("submission", "room")
            if s.submission is not None
        }
        assert placed["Reproducible Builds in Practice"] == (
            "Hörsaal 1",
            dt.datetime(2025, 9, 12, 11, 0, tzinfo=BERLIN),
            dt.datetime(2025, 9, 12, 11, 45, tzinfo=BERLIN),
        )
        assert len(placed) == 4
    assert report.created["submission"] == 4 and report.created["speaker"] == 3


def test_a_talk_without_a_fitting_code_gets_one_derived_from_its_guid(organizer: Any) -> None:
    run(organizer)
    run(organizer, slug="again")
    with scopes_disabled():
        codes = [
            Submission.objects.get(event=imported(organizer, slug), title="Lightning Talks").code
            for slug in ("imported", "again")
        ]
    assert codes[0] == codes[1]


def test_our_own_export_imported_and_exported_again_is_the_same_schedule(
    released: Any, talk_event: Any
) -> None:
    original = Client().get(url(talk_event, "export.latest", identifier="xml")).content
    report = run(talk_event.organizer, original, slug="copy")
    copy = imported(talk_event.organizer, "copy")
    with scope(organizer=copy.organizer):
        # The copy is not public yet (a new event is not live): read the export stored at its release.
        export = latest_export(copy, "xml")
        assert export is not None
        again = bytes(export.content)
    before, after = exported_talks(original), exported_talks(again)
    assert len(before["talks"]) == 6
    assert after == before
    assert report.created["submission"] == 6
    with scopes_disabled():
        # Codes are kept, so old talk links can be redirected to the copy.
        assert set(Submission.objects.filter(event=copy).values_list("code", flat=True)) == {
            s.code for s in released.talk_submissions
        }


def test_a_second_run_duplicates_nothing_and_releases_nothing(organizer: Any) -> None:
    run(organizer)
    before = table_sizes()
    report = run(organizer)
    after = table_sizes()
    # The run itself is logged; nothing else gains a row.
    assert after.pop("eventyay_base.LogEntry") == before.pop("eventyay_base.LogEntry") + 1
    assert after == before
    assert not report.created and not report.updated.get("submission")
    assert report.unchanged["submission"] == 4 and report.unchanged["slot"] == 4
    assert any("did not change" in note for note in report.notes)


def test_a_changed_file_updates_the_talks_and_releases_a_new_version(organizer: Any) -> None:
    run(organizer)
    event = imported(organizer)
    with scopes_disabled():
        ids = dict(Submission.objects.filter(event=event).values_list("title", "pk"))
    changed = (
        FRAB.read_text()
        .replace("Reproducible Builds in Practice", "Reproducible Builds, Revisited")
        .replace("2025-09-12T14:00:00+02:00", "2025-09-12T15:00:00+02:00")
        .replace("<version>0.9 Kranich</version>", "<version>1.0</version>")
    )
    root = ET.fromstring(changed)
    for room in root.iter("room"):
        for talk in list(room.iterfind("event")):
            if talk.findtext("title") == "Lightning Talks":
                room.remove(talk)
    report = run(organizer, ET.tostring(root))
    with scope(organizer=organizer):
        titles = dict(Submission.objects.filter(event=event).values_list("title", "pk"))
        assert titles["Reproducible Builds, Revisited"] == ids["Reproducible Builds in Practice"]
        assert len(titles) == 4
        latest = Schedule.objects.get(event=event, version="1.0")
        slots = {s.submission.title: s for s in latest.slots.select_related("submission") if s.submission}
        assert "Lightning Talks" not in slots
        assert slots["Packaging Rust für Debian"].start == dt.datetime(2025, 9, 12, 15, 0, tzinfo=BERLIN)
        assert {entry["title"] for entry in latest.changelog["canceled"]} == {"Lightning Talks"}
    assert report.updated["submission"] == 1 and report.updated["slot"] == 1
    assert any("Lightning Talks" in note for note in report.notes)


def test_a_dry_run_changes_nothing(organizer: Any) -> None:
    before = table_sizes()
    report = run(organizer, dry_run=True)
    assert table_sizes() == before
    assert report.dry_run and report.created["submission"] == 4 and report.created["schedule"] == 1


def test_an_old_frab_file_without_date_and_guid_is_read_in_the_conference_time_zone(organizer: Any) -> None:
    content = b"""<?xml version="1.0"?><schedule><version>1</version>
    <conference><title>Old</title><time_zone_name>America/New_York</time_zone_name></conference>
    <day index="1" date="2025-03-01" start="2025-03-01T08:00:00-05:00" end="2025-03-01T20:00:00-05:00">
      <room name="Main"><event id="7"><room>Main</room><title>Legacy</title><type>lecture</type>
        <start>09:30</start><duration>00:50</duration><abstract/><track/>
        <persons><person id="3">Sam</person></persons></event></room></day></schedule>"""
    run(organizer, content, slug="old")
    run(organizer, content, slug="old")
    with scopes_disabled():
        slot = TalkSlot.objects.get(schedule__event__slug="old", schedule__version="1")
        record = TalkImport.objects.get(event__slug="old").records.get(kind="submission")
    assert slot.start == dt.datetime(2025, 3, 1, 14, 30, tzinfo=dt.UTC)
    assert uuid.UUID(record.source_id)  # a guid derived from the id, the same on the second run
    assert imported(organizer, "old").timezone == "America/New_York"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"this is not xml", "not well-formed XML"),
        (b"<html><body>Schedule</body></html>", "root element is <html>"),
        (b"<schedule><version>1</version></schedule>", "no <conference>"),
        (
            b"<schedule><conference><title>T</title></conference><day index='1'><room name='R'>"
            b"<event guid='c0ffee00-1b2c-5d3e-8f40-a1b2c3d4e5f6' id='1'><title>X</title>"
            b"<date>2025-01-01T10:00:00+00:00</date><duration>half an hour</duration></event>"
            b"</room></day></schedule>",
            "unreadable <duration>",
        ),
        (
            b'<?xml version="1.0"?><!DOCTYPE lol [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>'
            b"<schedule>&lol2;</schedule>",
            "document type",
        ),
    ],
)
def test_bad_input_is_a_clear_error_and_writes_nothing(organizer: Any, content: bytes, message: str) -> None:
    before = table_sizes()
    with pytest.raises(ScheduleXMLError, match=message):
        run(organizer, content)
    assert table_sizes() == before


def test_an_event_with_its_own_proposals_is_refused(
    organizer: Any, make_event: Any, make_submission: Any
) -> None:
    make_submission(title="Mine")
    before = table_sizes()
    with pytest.raises(ScheduleXMLError, match="already has proposals"):
        run(organizer, slug="conf")
    assert table_sizes() == before


def test_the_command_imports_a_file_and_reports(organizer: Any) -> None:
    out = StringIO()
    call_command("import_schedule_xml", str(FRAB), "--into", "example/imported", stdout=out)
    text = out.getvalue()
    assert "submission: 4 created" in text and "0.9 Kranich" in text
    assert imported(organizer).name


def test_the_command_fetches_a_url(organizer: Any) -> None:
    with override_settings(OUTGOING_HTTP_ALLOW_PRIVATE=True), fake_source(DATA) as source:
        out = StringIO()
        call_command(
            "import_schedule_xml",
            source.url("/frab-schedule.xml"),
            "--into",
            "example/imported",
            "--dry-run",
            stdout=out,
        )
    assert "Dry run" in out.getvalue() and "submission: 4 created" in out.getvalue()
    with scopes_disabled():
        assert not Event.objects.filter(slug="imported").exists()


@pytest.mark.parametrize(
    ("source", "into", "message"),
    [
        ("http://127.0.0.1:9/schedule.xml", "example/imported", "could not be fetched"),
        ("ftp://example.org/schedule.xml", "example/imported", "http:// or https://"),
        ("no-such-file.xml", "example/imported", "cannot be read"),
        (str(FRAB), "nobody/imported", "no organizer"),
        (str(FRAB), "example", "<organizer>/<event>"),
    ],
)
def test_the_command_fails_with_a_message(organizer: Any, source: str, into: str, message: str) -> None:
    with pytest.raises(CommandError, match=message):
        call_command("import_schedule_xml", source, "--into", into)


def test_bad_xml_exits_non_zero_with_a_message_and_no_traceback(
    organizer: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "schedule.xml"
    broken.write_text("<schedule><conference>")
    with pytest.raises(SystemExit) as exit_info:
        Command().run_from_argv(
            ["eventyay", "import_schedule_xml", str(broken), "--into", "example/imported"]
        )
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert "not well-formed XML" in err and "Traceback" not in err
