"""Talk integration: speakers get the speaker role; linked rooms show the current and next talk."""

from __future__ import annotations

import datetime as dt

import pytest
from django_scopes import scope
from eventyay_video import selectors, services
from eventyay_video.access import team_member_token
from eventyay_video.tokens import SPEAKER_TRAIT, VideoUser, token_decode

from eventyay.base.plugins import installed_plugins

pytestmark = pytest.mark.django_db


def talk_installed() -> bool:
    return "talk" in installed_plugins()


def test_linked_room_shows_current_and_next_talk(make_event, monkeypatch):
    event = make_event(slug="talky", plugins=["video", "talk"] if talk_installed() else ["video"])
    with scope(organizer=event.organizer):
        room = services.room_save(event=event, data={"name": "Stage", "talk_room_name": "Hall 1"})
        if not talk_installed():
            assert selectors.room_schedule(event=event, room=room, now=dt.datetime.now(dt.UTC)) is None
            return
        start = dt.datetime(2030, 6, 1, 10, tzinfo=dt.UTC)
        calls = []

        def fake(*, event, room_name, now):
            calls.append(room_name)
            current = {"title": "Opening", "speakers": ["Ada"], "start": start, "end": start, "url": "/t/1"}
            return current, None

        monkeypatch.setattr("eventyay_talk.selectors.room_now_and_next", fake)
        schedule = selectors.room_schedule(event=event, room=room, now=start)
        assert calls == ["Hall 1"]
        assert schedule == {
            "current": {
                "title": "Opening",
                "speakers": ["Ada"],
                "start": start.isoformat(),
                "end": start.isoformat(),
                "url": "/t/1",
            },
            "next": None,
        }
        data = selectors.room_dict(room, user=VideoUser(uid="u", name="U"), schedule=schedule)
        assert data["schedule"]["current"]["title"] == "Opening"


def test_room_without_talk_plugin_shows_no_schedule(video_event):
    with scope(organizer=video_event.organizer):
        room = services.room_save(event=video_event, data={"name": "Stage", "talk_room_name": "Hall 1"})
        assert selectors.room_schedule(event=video_event, room=room, now=dt.datetime.now(dt.UTC)) is None


def test_speakers_get_the_speaker_role(make_event, user, monkeypatch):
    event = make_event(slug="speakers", plugins=["video", "talk"] if talk_installed() else ["video"])
    if talk_installed():
        monkeypatch.setattr("eventyay_talk.selectors.is_speaker", lambda *, event, user: True)
    with scope(organizer=event.organizer):
        member = token_decode(event=event, token=team_member_token(event=event, user=user))
    assert (SPEAKER_TRAIT in member.traits) is talk_installed()
