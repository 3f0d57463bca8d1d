"""Importing a pretalx event from its API (answers from ``fixtures/pretalx-2025.1``, served locally)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.test import override_settings
from django_scopes import scope, scopes_disabled
from eventyay_talk.importers.pretalx import PretalxImportError, PretalxSource, pretalx_import

from eventyay.base.models import Event, User
from eventyay.testing.source_server import FakeSource, fake_source

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "fixtures" / "pretalx-2025.1"
TOKEN = "pretalx-token-5678"
API = "/api/events/democon/"


@pytest.fixture
def pretalx() -> Iterator[FakeSource]:
    with override_settings(OUTGOING_HTTP_ALLOW_PRIVATE=True), fake_source(FIXTURES, token=TOKEN) as source:
        yield source


def run(
    source: FakeSource, organizer: Any, *, token: str = TOKEN, event: str = "democon", **kwargs: Any
) -> Any:
    return pretalx_import(
        source=PretalxSource(url=source.url("/"), token=token, event=event),
        organizer=organizer,
        event_slug=kwargs.pop("event_slug", "imported"),
        sleep=kwargs.pop("sleep", lambda seconds: None),
        **kwargs,
    )


def table_sizes() -> dict[str, int]:
    with scopes_disabled():
        return {
            model._meta.label: model._default_manager.count()
            for model in apps.get_models()
            if model._meta.app_label in ("eventyay_talk", "eventyay_base") and not model._meta.proxy
        }


def imported(organizer: Any) -> Event:
    with scopes_disabled():
        return Event.objects.get(organizer=organizer, slug="imported")


def test_the_event_and_its_cfp_configuration_are_imported(pretalx: FakeSource, organizer: Any) -> None:
    from eventyay_talk.models import Question, Room, SubmissionType, Track

    report = run(pretalx, organizer)
    event = imported(organizer)
    assert event.name.data == {"en": "DemoCon 2025", "de": "DemoKon 2025"}
    assert (event.timezone, event.locales) == ("Europe/Berlin", ["en", "de"])
    assert event.date_from.isoformat() == "2025-09-11T22:00:00+00:00"
    with scope(organizer=organizer):
        assert event.has_plugin("talk")
        assert sorted(
            (str(t.name), t.default_duration) for t in SubmissionType.objects.filter(event=event)
        ) == [
            ("Talk", 30),
            ("Workshop", 90),
        ]
        assert [(str(t.name), t.color) for t in Track.objects.filter(event=event)] == [
            ("Security", "#aa3355"),
            ("Community", "#3355aa"),
        ]
        hall = Room.objects.get(event=event, position=0)
        assert (str(hall.guid), hall.capacity, len(hall.availabilities)) == (
            "6f1c9a3e-2b7d-4d5e-9f10-3a2b1c0d9e8f",
            400,
            2,
        )
        shirt = Question.objects.get(event=event, target="speaker")
        assert (shirt.variant, shirt.required) == ("choice", True)
        assert [str(o.answer) for o in shirt.options.all()] == ["M", "L"]
        assert Question.objects.get(event=event, variant="file").required is False
    skipped = {(s["kind"], s["source_id"]): s["reason"] for s in report.as_dict()["skipped"]}
    assert "datetime" in skipped[("question", "43")]
    assert "question was not imported" in skipped[("answer", "64")]
    assert any("after a deadline" in note for note in report.notes)


def test_speakers_and_proposals_keep_their_codes_states_and_profiles(
    pretalx: FakeSource, organizer: Any
) -> None:
    from eventyay_talk.models import Answer, SpeakerProfile, Submission

    report = run(pretalx, organizer)
    event = imported(organizer)
    with scope(organizer=organizer):
        ada = SpeakerProfile.objects.get(event=event, code="ADA9KQ")
        assert (ada.user.email, ada.name, ada.biography) == (
            "ada@example.org",
            "Ada Lovelace",
            "Wrote the first program.",
        )
        assert ada.availabilities == [
            {"start": "2025-09-12T10:00:00+02:00", "end": "2025-09-12T16:00:00+02:00"}
        ]
        assert ada.avatar and ada.avatar.read().startswith(b"\x89PNG")
        linus = SpeakerProfile.objects.get(event=event, code="LNS7TV")
        assert linus.user.email.endswith("@pretalx.invalid") and not linus.user.is_active
        states = {s.code: (s.state, s.pending_state) for s in Submission.objects.filter(event=event)}
        assert states == {
            "DMXHJK": ("confirmed", ""),
            "PQR7WT": ("confirmed", ""),
            "XYZ3LM": ("rejected", ""),
            "WVU9EC": ("submitted", "accepted"),
        }
        workshop = Submission.objects.get(event=event, code="PQR7WT")
        assert (str(workshop.submission_type), str(workshop.track), workshop.duration) == (
            "Workshop",
            "Community",
            90,
        )
        assert sorted(u.email for u in workshop.speakers.all()) == ["ada@example.org", "grace@example.org"]
        assert Submission.objects.get(event=event, code="DMXHJK").internal_notes == "Keynote candidate"
        size = Answer.objects.get(person=ada.user, question__target="speaker")
        assert [str(o.answer) for o in size.options.all()] == ["M"]
        slides = Answer.objects.get(submission=workshop)
        assert slides.answer == "slides.pdf" and slides.answer_file.read().startswith(b"%PDF")
    assert any("without an email address" in note for note in report.notes)


def test_reviews_keep_text_and_total_score(pretalx: FakeSource, organizer: Any) -> None:
    from eventyay_talk.models import Review

    report = run(pretalx, organizer)
    event = imported(organizer)
    with scope(organizer=organizer):
        reviews = {r.submission.code: r for r in Review.objects.filter(submission__event=event)}
    assert {code: (r.text, r.score) for code, r in reviews.items()} == {
        "DMXHJK": ("A must for the main hall.", Decimal("4.00")),
        "XYZ3LM": ("Off topic.", Decimal("1.00")),
    }
    assert reviews["DMXHJK"].user == reviews["XYZ3LM"].user
    assert reviews["DMXHJK"].user.fullname == "rita.reviewer"
    assert any("per category" in note for note in report.notes)


def test_released_schedule_versions_are_imported_with_their_slots(
    pretalx: FakeSource, organizer: Any
) -> None:
    from eventyay_talk.models import Schedule
    from eventyay_talk.selectors import latest_schedule

    run(pretalx, organizer)
    event = imported(organizer)
    with scope(organizer=organizer):
        versions = list(Schedule.objects.filter(event=event, version__isnull=False).order_by("published"))
        assert [v.version for v in versions] == ["0.1", "0.2"]
        first, second = versions
        keynote = second.slots.get(submission__code="DMXHJK")
        assert (keynote.start, str(keynote.room)) == (
            dt.datetime(2025, 9, 12, 12, 0, tzinfo=dt.UTC),
            "Main hall",
        )
        assert first.slots.get(submission__code="DMXHJK").start == dt.datetime(
            2025, 9, 12, 8, 0, tzinfo=dt.UTC
        )
        lunch = second.slots.get(kind="break")
        assert lunch.description.data == {"en": "Lunch", "de": "Mittagessen"}
        assert latest_schedule(event) == second
        assert second.exports.filter(identifier="xml").exists()
        wip = Schedule.objects.get(event=event, version__isnull=True)
        assert wip.slots.count() == 3


def test_a_second_run_updates_and_creates_nothing_new(pretalx: FakeSource, organizer: Any) -> None:
    run(pretalx, organizer)
    before = table_sizes()
    report = run(pretalx, organizer)
    after = table_sizes()
    # The second run logs the event's update; nothing else grows.
    assert after.pop("eventyay_base.LogEntry") == before.pop("eventyay_base.LogEntry") + 1
    assert after == before
    counts = {row["kind"]: row for row in report.as_dict()["counts"]}
    assert counts["submission"]["created"] == 0 and counts["submission"]["updated"] == 4
    assert counts["slot"]["created"] == 0


def test_a_dry_run_reports_and_changes_nothing(pretalx: FakeSource, organizer: Any) -> None:
    before = table_sizes()
    report = run(pretalx, organizer, dry_run=True)
    assert table_sizes() == before
    counts = {row["kind"]: row["created"] for row in report.as_dict()["counts"]}
    assert (counts["submission"], counts["speaker"], counts["schedule"]) == (4, 3, 2)
    assert "Dry run" in report.as_text()
    # Files are not downloaded in a dry run.
    assert not any(r.path.startswith("/media/") for r in pretalx.requests)


def test_rate_limits_and_failures_of_the_source_are_waited_out(pretalx: FakeSource, organizer: Any) -> None:
    from eventyay_talk.models import Room

    pretalx.fail(API + "rooms/", 429, headers={"Retry-After": "7"})
    pretalx.fail(API + "speakers/", 503)
    waits: list[float] = []
    run(pretalx, organizer, sleep=waits.append)
    assert waits == [7.0, 1.0]
    with scope(organizer=organizer):
        assert Room.objects.filter(event=imported(organizer)).count() == 2


def test_reviews_the_token_may_not_read_are_reported_not_fatal(pretalx: FakeSource, organizer: Any) -> None:
    from eventyay_talk.models import Review, Submission

    pretalx.fail(API + "reviews/", 403)
    report = run(pretalx, organizer)
    with scope(organizer=organizer):
        assert Submission.objects.filter(event=imported(organizer)).count() == 4
        assert not Review.objects.exists()
    assert any("may not read the reviews" in note for note in report.notes)


def test_pagination_follows_next(pretalx: FakeSource, organizer: Any) -> None:
    run(pretalx, organizer)
    asked = [(r.path, r.query) for r in pretalx.requests if r.path == API + "speakers/"]
    assert asked == [(API + "speakers/", ""), (API + "speakers/", "page=2")]
    assert all(r.authorization == f"Token {TOKEN}" for r in pretalx.requests)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"token": "wrong"}, "did not accept the token"),
        ({"event": "nope"}, "knows no event nope"),
        ({"event": "../x"}, "not a short form"),
    ],
)
def test_bad_sources_fail_with_a_clear_message(
    pretalx: FakeSource, organizer: Any, kwargs: dict[str, str], message: str
) -> None:
    before = table_sizes()
    with pytest.raises(PretalxImportError, match=message):
        run(pretalx, organizer, **kwargs)
    assert table_sizes() == before


def test_an_event_with_its_own_proposals_is_not_a_target(
    pretalx: FakeSource, organizer: Any, make_event: Any
) -> None:
    from eventyay_talk.models import Submission, SubmissionType

    event = make_event(slug="imported", plugins=["talk"])
    with scope(organizer=organizer):
        kind = SubmissionType.objects.create(event=event, name="Talk")
        Submission.objects.create(event=event, title="Ours", submission_type=kind)
    with pytest.raises(PretalxImportError, match="already has proposals"):
        run(pretalx, organizer)


def test_the_command_imports_and_prints_the_report(pretalx: FakeSource, organizer: Any) -> None:
    out = StringIO()
    call_command(
        "import_pretalx",
        url=pretalx.url("/"),
        token=TOKEN,
        event="democon",
        into="example/imported",
        stdout=out,
    )
    assert "submission: 4 created" in out.getvalue()
    assert "Skipped question 43" in out.getvalue()
    imported(organizer)


def test_the_command_dry_run_saves_nothing(pretalx: FakeSource, organizer: Any) -> None:
    before = table_sizes()
    out = StringIO()
    call_command(
        "import_pretalx",
        url=pretalx.url("/"),
        token=TOKEN,
        event="democon",
        into="example/x",
        dry_run=True,
        stdout=out,
    )
    assert out.getvalue().startswith("Dry run")
    assert table_sizes() == before


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"token": "wrong"}, "did not accept the token"),
        ({"url": "ftp://pretalx.example"}, "http:// or https://"),
        ({"into": "nobody/x"}, "no organizer"),
        ({"token": ""}, "PRETALX_TOKEN"),
    ],
)
def test_the_command_fails_clearly(
    pretalx: FakeSource,
    organizer: Any,
    monkeypatch: pytest.MonkeyPatch,
    options: dict[str, str],
    message: str,
) -> None:
    monkeypatch.delenv("PRETALX_TOKEN", raising=False)
    arguments = {
        "url": pretalx.url("/"),
        "token": TOKEN,
        "event": "democon",
        "into": "example/imported",
        **options,
    }
    with pytest.raises(CommandError, match=message):
        call_command("import_pretalx", **arguments)


def test_speaker_accounts_are_shared_with_existing_users(pretalx: FakeSource, organizer: Any) -> None:
    existing = User.objects.create_user("ada@example.org", "secret", fullname="Ada L.")
    run(pretalx, organizer)
    from eventyay_talk.models import SpeakerProfile

    with scope(organizer=organizer):
        assert SpeakerProfile.objects.get(code="ADA9KQ").user == existing
    existing.refresh_from_db()
    assert existing.check_password("secret")
