"""Factories for the talk plugin's tests (the core fixtures come from eventyay's pytest plugin)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django_scopes import scope
from i18nfield.strings import LazyI18nString

#: The c3voc schedule schema, vendored with its header (EUPL-1.2; see THIRD_PARTY_NOTICES.rst).
XSD_PATH = Path(__file__).resolve().parent / "data" / "schedule.xml.xsd"

TZ = dt.timezone(dt.timedelta(hours=2))


@pytest.fixture
def talk_event(make_event: Callable[..., Any]) -> Any:
    return make_event(
        slug="conf",
        plugins=["talk"],
        timezone="Europe/Berlin",
        date_from=dt.datetime(2030, 6, 1, 7, 0, tzinfo=dt.UTC),
        date_to=dt.datetime(2030, 6, 3, 18, 0, tzinfo=dt.UTC),
    )


@pytest.fixture
def in_scope(organizer: Any) -> Iterator[None]:
    with scope(organizer=organizer):
        yield


@pytest.fixture
def make_speaker(db: Any) -> Callable[..., Any]:
    from eventyay.base.models import User

    def factory(email: str = "speaker@example.org", name: str = "Ada Speaker") -> Any:
        return User.objects.filter(email=email).first() or User.objects.create_user(
            email, "speaker horse battery", fullname=name
        )

    return factory


@pytest.fixture
def talk_type(talk_event: Any, in_scope: None) -> Any:
    from eventyay_talk.models import SubmissionType

    return SubmissionType.objects.create(
        event=talk_event, name=LazyI18nString({"en": "Talk"}), default_duration=30
    )


@pytest.fixture
def make_submission(talk_event: Any, talk_type: Any, make_speaker: Callable[..., Any]) -> Callable[..., Any]:
    """``make_submission(title=..., state="confirmed", speaker=None)`` walks the state machine."""
    from eventyay_talk.services.submissions import submission_create, submission_state_change

    paths = {
        "draft": None,
        "submitted": [],
        "accepted": ["accepted"],
        "confirmed": ["accepted", "confirmed"],
        "rejected": ["rejected"],
        "canceled": ["accepted", "canceled"],
        "withdrawn": ["withdrawn"],
    }

    def factory(title: str = "A talk", state: str = "submitted", speaker: Any = None, **data: Any) -> Any:
        speaker = speaker or make_speaker()
        submission = submission_create(
            event=talk_event,
            speaker=speaker,
            data={"title": title, "abstract": f"About {title}", "submission_type": talk_type, **data},
            submit=paths[state] is not None,
        )
        for step in paths[state] or []:
            submission_state_change(submission=submission, new_state=step, send_mail=False)
        return submission

    return factory


@pytest.fixture
def rooms(talk_event: Any, in_scope: None) -> list[Any]:
    from eventyay_talk.services.schedule import room_save

    return [
        room_save(event=talk_event, data={"name": {"en": name}, "capacity": 100, "position": index})
        for index, name in enumerate(["Saal Ü", "Room B", "Room C"])
    ]


@pytest.fixture
def released(
    talk_event: Any, rooms: list[Any], make_submission: Callable[..., Any], make_speaker: Callable[..., Any]
) -> Any:
    """An event with a released schedule "v1": 3 days, 3 rooms, breaks, co-speakers, non-ASCII titles."""
    from eventyay_talk.models import TalkSlot, Track
    from eventyay_talk.services.schedule import break_create, schedule_release, slot_schedule, wip_schedule
    from eventyay_talk.services.submissions import speaker_profile_update

    track = Track.objects.create(
        event=talk_event, name=LazyI18nString({"en": "Open Source"}), color="#aa3300"
    )
    titles = [
        "Über Fahrpläne",
        "日本語のトーク",
        "Ça marche & <ok>",
        "Plain talk",
        "Ĉu vi parolas?",
        "Sixth talk",
    ]
    alice = make_speaker("alice@example.org", "Alice Ångström")
    bob = make_speaker("bob@example.org", "Bob Bœuf")
    speaker_profile_update(
        event=talk_event, user=alice, data={"name": "Alice Ångström", "biography": "Ünicode bio"}
    )
    submissions = []
    for index, title in enumerate(titles):
        submission = make_submission(
            title=title, state="confirmed", speaker=alice if index % 2 else bob, track=track
        )
        submissions.append(submission)
    submissions[0].speakers.add(alice)
    make_submission(title="Only accepted", state="accepted")
    wip = wip_schedule(event=talk_event)
    slots = {s.submission.code: s for s in TalkSlot.objects.filter(schedule=wip).select_related("submission")}
    for index, submission in enumerate(submissions):
        start = dt.datetime(2030, 6, 1 + index % 3, 10, 0, tzinfo=TZ) + dt.timedelta(hours=index // 3)
        slot_schedule(slot=slots[submission.code], room=rooms[index % 3], start=start)
    for day in range(3):
        break_create(
            event=talk_event,
            room=rooms[0],
            start=dt.datetime(2030, 6, 1 + day, 12, 30, tzinfo=TZ),
            end=dt.datetime(2030, 6, 1 + day, 13, 30, tzinfo=TZ),
            description={"en": "Mittagspause"},
        )
    schedule = schedule_release(event=talk_event, version="v1", notify_speakers=False)
    schedule.talk_submissions = submissions
    return schedule


def url(event: Any, name: str, **kwargs: Any) -> str:
    from django.urls import reverse

    return reverse(
        f"plugins:talk:{name}", kwargs={"organizer": event.organizer.slug, "event": event.slug, **kwargs}
    )
