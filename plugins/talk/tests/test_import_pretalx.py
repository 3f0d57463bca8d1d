"""Importing a pretalx event from its API (answers recorded from pretalx 2026.2.1, served locally)."""

from __future__ import annotations

import datetime as dt
import json
import shutil
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

FIXTURES = Path(__file__).parent / "fixtures" / "pretalx-2026.2.1"
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
    assert event.name.data == {"en": "DemoCon 2026", "de": "DemoKon 2026"}
    assert (event.timezone, event.locales) == ("Europe/Berlin", ["en", "de"])
    assert event.date_from.isoformat() == "2026-09-11T22:00:00+00:00"
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
            "e46cd7f0-57f3-5a96-8179-17c1587ce0a5",
            400,
            2,
        )
        shirt = Question.objects.get(event=event, target="speaker")
        assert (shirt.variant, shirt.required) == ("choice", True)
        assert [str(o.answer) for o in shirt.options.all()] == ["M", "L"]
        assert Question.objects.get(event=event, variant="file").required is False
        topics = Question.objects.get(event=event, variant="multiple_choice")
        assert [str(o.answer) for o in topics.options.all()] == ["Cryptography", "People"]
    skipped = {(s["kind"], s["source_id"]): s["reason"] for s in report.as_dict()["skipped"]}
    assert "datetime" in skipped[("question", "4")]
    assert "question was not imported" in skipped[("answer", "2")]
    assert any("after a deadline" in note for note in report.notes)


def test_speakers_and_proposals_keep_their_codes_states_and_profiles(
    pretalx: FakeSource, organizer: Any
) -> None:
    from eventyay_talk.models import Answer, SpeakerProfile, Submission

    report = run(pretalx, organizer)
    event = imported(organizer)
    with scope(organizer=organizer):
        ada = SpeakerProfile.objects.get(event=event, code="TRDAAC")
        assert (ada.user.email, ada.name, ada.biography) == (
            "ada@example.org",
            "Ada Example",
            "Wrote the first program.",
        )
        assert ada.availabilities == [
            {"start": "2026-09-12T10:00:00+02:00", "end": "2026-09-12T16:00:00+02:00"},
            {"start": "2026-09-13T09:00:00+02:00", "end": "2026-09-13T12:00:00+02:00"},
        ]
        assert ada.avatar and ada.avatar.read().startswith(b"\x89PNG")
        linus = SpeakerProfile.objects.get(event=event, code="MCAGZX")
        assert (linus.user.locale, linus.biography, linus.availabilities) == ("de", "", [])
        states = {s.code: (s.state, s.pending_state) for s in Submission.objects.filter(event=event)}
        assert states == {
            "98BQRB": ("confirmed", ""),
            "AHQBNE": ("confirmed", ""),
            "ND7SJK": ("accepted", ""),
            "TRKRCK": ("submitted", "accepted"),
            "Y7EXN7": ("rejected", ""),
        }
        workshop = Submission.objects.get(event=event, code="AHQBNE")
        assert (str(workshop.submission_type), str(workshop.track), workshop.duration) == (
            "Workshop",
            "Community",
            90,
        )
        assert sorted(u.email for u in workshop.speakers.all()) == ["ada@example.org", "grace@example.org"]
        keynote = Submission.objects.get(event=event, code="98BQRB")
        assert keynote.internal_notes == "Keynote candidate"
        assert Submission.objects.get(event=event, code="Y7EXN7").track is None
        size = Answer.objects.get(person=ada.user, question__target="speaker")
        assert [str(o.answer) for o in size.options.all()] == ["M"]
        topics = Answer.objects.get(submission=keynote)
        assert sorted(str(o.answer) for o in topics.options.all()) == ["Cryptography", "People"]
        slides = Answer.objects.get(submission=workshop)
        assert slides.answer == "q3-AHQBNE_Y1n52no.pdf" and slides.answer_file.read().startswith(b"%PDF")
        assert Answer.objects.get(submission__code="TRKRCK").answer == "Beginners"
    assert not any("without an email address" in note for note in report.notes)


def test_speakers_the_token_may_not_see_the_address_of_get_accounts_that_cannot_log_in(
    tmp_path: Path, organizer: Any
) -> None:
    """pretalx leaves ``email`` out for a token that may not change proposals (a reviewer's).

    The recording is of an organizer's token, so this copy drops the field from its speakers.
    """
    from eventyay_talk.models import SpeakerProfile

    root = tmp_path / "source"
    shutil.copytree(FIXTURES, root)
    for page in (root / "api/events/democon/speakers").glob("*.json"):
        data = json.loads(page.read_text())
        for speaker in data["results"]:
            speaker.pop("email")
        page.write_text(json.dumps(data))
    with override_settings(OUTGOING_HTTP_ALLOW_PRIVATE=True), fake_source(root, token=TOKEN) as source:
        report = run(source, organizer)
    with scope(organizer=organizer):
        linus = SpeakerProfile.objects.get(event=imported(organizer), code="MCAGZX")
    assert linus.user.email.endswith("@pretalx.invalid") and not linus.user.is_active
    assert any("3 speakers came without an email address" in note for note in report.notes)


def test_reviews_keep_text_and_total_score(pretalx: FakeSource, organizer: Any) -> None:
    from eventyay_talk.models import Review

    report = run(pretalx, organizer)
    event = imported(organizer)
    with scope(organizer=organizer):
        reviews = {r.submission.code: r for r in Review.objects.filter(submission__event=event)}
    assert {code: (r.text, r.score) for code, r in reviews.items()} == {
        "98BQRB": ("A must for the main hall.", Decimal("2.00")),
        "Y7EXN7": ("Off topic.", Decimal("0.00")),
    }
    assert reviews["98BQRB"].user == reviews["Y7EXN7"].user
    # pretalx names the reviewer by the code of its account, and gives no address.
    assert reviews["98BQRB"].user.fullname == "QTU9ME"
    assert not reviews["98BQRB"].user.is_active
    assert any("per category" in note for note in report.notes)


def test_released_schedule_versions_are_imported_with_their_slots(
    pretalx: FakeSource, organizer: Any
) -> None:
    from eventyay_talk.models import Schedule
    from eventyay_talk.selectors import latest_schedule

    report = run(pretalx, organizer)
    event = imported(organizer)
    with scope(organizer=organizer):
        versions = list(Schedule.objects.filter(event=event, version__isnull=False).order_by("published"))
        # pretalx lists its work-in-progress schedule as version "wip": it is not a release.
        assert [v.version for v in versions] == ["0.1", "0.2"]
        first, second = versions
        # API v2 lists versions without comments: each version's own answer gives them.
        assert (first.comment, second.comment) == ("First draft", "Keynote moved")
        keynote = second.slots.get(submission__code="98BQRB")
        assert (keynote.start, keynote.end, str(keynote.room)) == (
            dt.datetime(2026, 9, 12, 12, 0, tzinfo=dt.UTC),
            dt.datetime(2026, 9, 12, 12, 30, tzinfo=dt.UTC),
            "Main hall",
        )
        assert first.slots.get(submission__code="98BQRB").start == dt.datetime(
            2026, 9, 12, 8, 0, tzinfo=dt.UTC
        )
        assert str(second.slots.get(submission__code="AHQBNE").room) == "Lab"
        lunch = second.slots.get(kind="break")
        assert lunch.description.data == {"en": "Lunch", "de": "Mittagessen"}
        # The accepted, unconfirmed talk is in pretalx's versions unscheduled and invisible.
        assert not second.slots.filter(submission__code="ND7SJK").exists()
        assert (first.slots.count(), second.slots.count()) == (2, 3)
        assert latest_schedule(event) == second
        assert second.exports.filter(identifier="xml").exists()
        wip = Schedule.objects.get(event=event, version__isnull=True)
        assert wip.slots.count() == 3
    skipped = {(s["kind"], s["source_id"]) for s in report.as_dict()["skipped"]}
    assert {("slot", "3"), ("slot", "4")} <= skipped
    slot_queries = sorted(r.query for r in pretalx.requests if r.path == API + "slots/")
    assert slot_queries == ["page=2&schedule=1", "page=2&schedule=2", "schedule=1", "schedule=2"]


def test_a_second_run_updates_and_creates_nothing_new(pretalx: FakeSource, organizer: Any) -> None:
    run(pretalx, organizer)
    before = table_sizes()
    report = run(pretalx, organizer)
    after = table_sizes()
    # The second run logs the event's update; nothing else grows.
    assert after.pop("eventyay_base.LogEntry") == before.pop("eventyay_base.LogEntry") + 1
    assert after == before
    counts = {row["kind"]: row for row in report.as_dict()["counts"]}
    assert counts["submission"]["created"] == 0 and counts["submission"]["updated"] == 5
    assert counts["slot"]["created"] == 0


def test_a_dry_run_reports_and_changes_nothing(pretalx: FakeSource, organizer: Any) -> None:
    before = table_sizes()
    report = run(pretalx, organizer, dry_run=True)
    assert table_sizes() == before
    counts = {row["kind"]: row["created"] for row in report.as_dict()["counts"]}
    assert (counts["submission"], counts["speaker"], counts["schedule"]) == (5, 3, 2)
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
        assert Submission.objects.filter(event=imported(organizer)).count() == 5
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
    assert "submission: 5 created" in out.getvalue()
    assert "Skipped question 4" in out.getvalue()
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
        assert SpeakerProfile.objects.get(code="TRDAAC").user == existing
    existing.refresh_from_db()
    assert existing.check_password("secret")
