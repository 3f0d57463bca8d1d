"""Selectors other plugins and the editor rely on."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import AnonymousUser
from eventyay_talk.models import TalkSlot
from eventyay_talk.selectors import is_speaker, room_now_and_next, slot_warnings
from eventyay_talk.services.schedule import slot_schedule, wip_schedule
from eventyay_talk.services.submissions import speaker_profile_update, submission_state_change


def test_is_speaker_only_for_accepted_or_confirmed_talks(talk_event, make_submission, make_speaker) -> None:
    speaker = make_speaker()
    submission = make_submission(speaker=speaker)
    assert not is_speaker(event=talk_event, user=speaker)
    submission_state_change(submission=submission, new_state="accepted", send_mail=False)
    assert is_speaker(event=talk_event, user=speaker)
    submission_state_change(submission=submission, new_state="withdrawn", send_mail=False)
    assert not is_speaker(event=talk_event, user=speaker)
    assert not is_speaker(event=talk_event, user=AnonymousUser())


def test_room_now_and_next(released, talk_event) -> None:
    berlin = dt.timezone(dt.timedelta(hours=2))
    now, upcoming = room_now_and_next(
        event=talk_event, room_name="Saal Ü", now=dt.datetime(2030, 6, 1, 10, 10, tzinfo=berlin)
    )
    assert now["title"] == "Über Fahrpläne"
    assert sorted(now["speakers"]) == ["Alice Ångström", "Bob Bœuf"]
    assert now["start"] == dt.datetime(2030, 6, 1, 10, 0, tzinfo=berlin)
    assert now["url"].endswith(f"/talk/{released.talk_submissions[0].code}/")
    assert upcoming["title"] == "Plain talk"
    before, first = room_now_and_next(
        event=talk_event, room_name="Saal Ü", now=dt.datetime(2030, 6, 1, 5, 0, tzinfo=berlin)
    )
    assert before is None and first["title"] == "Über Fahrpläne"
    assert room_now_and_next(
        event=talk_event, room_name="Nowhere", now=dt.datetime(2030, 6, 1, tzinfo=berlin)
    ) == (
        None,
        None,
    )


def test_room_now_and_next_before_any_release(talk_event, in_scope) -> None:
    assert room_now_and_next(
        event=talk_event, room_name="Saal Ü", now=dt.datetime(2030, 6, 1, tzinfo=dt.UTC)
    ) == (
        None,
        None,
    )


def test_slot_warnings_for_conflicts_and_availability(
    talk_event, rooms, make_submission, make_speaker
) -> None:
    speaker = make_speaker()
    speaker_profile_update(
        event=talk_event,
        user=speaker,
        data={"availabilities": [{"start": "2030-06-01T08:00:00+00:00", "end": "2030-06-01T09:00:00+00:00"}]},
    )
    first = make_submission(title="One", state="confirmed", speaker=speaker)
    second = make_submission(title="Two", state="confirmed", speaker=speaker)
    wip = wip_schedule(event=talk_event)
    slot_one = TalkSlot.objects.get(schedule=wip, submission=first)
    slot_two = TalkSlot.objects.get(schedule=wip, submission=second)
    start = dt.datetime(2030, 6, 1, 8, 0, tzinfo=dt.UTC)
    slot_schedule(slot=slot_one, room=rooms[0], start=start)
    slot_schedule(slot=slot_two, room=rooms[0], start=start + dt.timedelta(minutes=45))
    assert slot_warnings(wip).get(slot_one.pk) is None
    assert "is not available" in " ".join(slot_warnings(wip)[slot_two.pk])
    slot_schedule(slot=slot_two, room=rooms[1], start=start + dt.timedelta(minutes=10))
    warnings = slot_warnings(wip)
    assert any("another talk at the same time" in w for w in warnings[slot_one.pk])
    slot_schedule(slot=slot_two, room=rooms[0], start=start + dt.timedelta(minutes=10))
    assert any("same room" in w for w in slot_warnings(wip)[slot_two.pk])
