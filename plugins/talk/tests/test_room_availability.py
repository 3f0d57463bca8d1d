"""Room availability windows in the control panel and the editor's warning outside them."""

from __future__ import annotations

import datetime as dt

import pytest
from django_scopes import scope
from eventyay_talk.models import Room, TalkSlot
from eventyay_talk.services.schedule import slot_schedule, wip_schedule

from .test_control_access import BASE, member_with

pytestmark = pytest.mark.django_db


def page(room) -> str:
    return BASE + f"rooms/{room.pk}/availability/"


def test_add_and_remove_windows_in_event_time(client_for, user, talk_event, rooms) -> None:
    client = client_for(user)
    response = client.post(
        page(rooms[0]), {"action": "add", "start": "2030-06-01T09:00", "end": "2030-06-01T13:00"}
    )
    assert response.status_code == 302
    with scope(organizer=talk_event.organizer):
        windows = Room.objects.get(pk=rooms[0].pk).availabilities
    # The event is in Europe/Berlin (UTC+2 in June): the form reads local time.
    assert windows == [{"start": "2030-06-01T09:00:00+02:00", "end": "2030-06-01T13:00:00+02:00"}]
    listing = client.get(page(rooms[0])).content.decode()
    assert "2030-06-01 09:00" in listing and "2030-06-01 13:00" in listing
    assert "1 window" in client.get(BASE + "rooms/").content.decode()
    removed = client.post(page(rooms[0]), {"action": "remove", "start": windows[0]["start"]})
    assert removed.status_code == 302
    with scope(organizer=talk_event.organizer):
        assert Room.objects.get(pk=rooms[0].pk).availabilities == []
    gone = client.post(page(rooms[0]), {"action": "remove", "start": windows[0]["start"]}, follow=True)
    assert "does not exist" in gone.content.decode()


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("2030-06-01T13:00", "2030-06-01T09:00", "must end after it starts"),
        ("2030-05-31T10:00", "2030-06-01T09:00", "within the event"),
        ("2030-06-03T10:00", "2030-06-04T09:00", "within the event"),
        ("yesterday", "2030-06-01T09:00", "Enter a valid date/time"),
    ],
)
def test_invalid_windows_are_form_errors(client_for, user, talk_event, rooms, start, end, message) -> None:
    response = client_for(user).post(page(rooms[0]), {"action": "add", "start": start, "end": end})
    assert response.status_code == 400 and message in response.content.decode()
    with scope(organizer=talk_event.organizer):
        assert Room.objects.get(pk=rooms[0].pk).availabilities == []


def test_editor_warns_about_a_talk_outside_its_rooms_availability(
    client_for, user, talk_event, rooms, make_submission
) -> None:
    client = client_for(user)
    client.post(page(rooms[0]), {"action": "add", "start": "2030-06-01T09:00", "end": "2030-06-01T12:00"})
    with scope(organizer=talk_event.organizer):
        inside = make_submission(title="Inside", state="confirmed")
        outside = make_submission(title="Outside", state="confirmed")
        wip = wip_schedule(event=talk_event)
        tz = dt.timezone(dt.timedelta(hours=2))
        for submission, hour in ((inside, 10), (outside, 14)):
            slot = TalkSlot.objects.get(schedule=wip, submission=submission)
            slot_schedule(slot=slot, room=rooms[0], start=dt.datetime(2030, 6, 1, hour, 0, tzinfo=tz))
    editor = client.get(BASE + "schedule/").content.decode()
    assert editor.count("The room is not available at this time.") == 1
    assert "1 slot has warnings." in editor


def test_availability_page_permissions(
    client, client_for, organizer, other_organizer, talk_event, rooms
) -> None:
    url = page(rooms[0])
    assert client.get(url).status_code == 302
    assert client_for(other_organizer.member).get(url).status_code == 404
    assert client_for(other_organizer.member).post(url, {"action": "remove", "start": "x"}).status_code == 404
    reader = member_with(organizer, "reader@example.org", ["event.submissions:read"])
    assert client_for(reader).get(url).status_code == 403
    scheduler = member_with(organizer, "scheduler@example.org", ["event.schedule:write"])
    assert client_for(scheduler).get(url).status_code == 200
    with scope(organizer=other_organizer):
        foreign_room = Room.objects.create(event=other_organizer.events.first(), name="Theirs")
    assert client_for(scheduler).get(BASE + f"rooms/{foreign_room.pk}/availability/").status_code == 404
