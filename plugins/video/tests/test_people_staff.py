"""Booth staff rights follow the organizer's changes on open sockets; votes reach the hall view."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from django_scopes import scope
from eventyay_video import exhibition
from eventyay_video.models import Moderator

pytestmark = [pytest.mark.anyio, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def booth(video_event):
    with scope(organizer=video_event.organizer):
        return exhibition.exhibitor_save(event=video_event, data={"name": "ACME Robotics"})


async def connected(ws, token: str):
    client = ws()
    await client.connect()
    await client.authenticate(token)
    return client


@sync_to_async
def staff_add(event, booth, uid: str) -> None:
    with scope(organizer=event.organizer):
        exhibition.exhibitor_staff_add(exhibitor=booth, uid=uid, name="Sam")


@sync_to_async
def staff_remove(event, booth, uid: str) -> None:
    with scope(organizer=event.organizer):
        moderator = Moderator.objects.get(event=event, room=booth.room, uid=uid)
        exhibition.exhibitor_staff_remove(moderator=moderator)


async def test_staff_added_and_removed_while_connected(ws, token_for, booth, video_event):
    sam = await connected(ws, token_for(uid="ticket:sam", name="Sam"))
    listed = await sam.ok("exhibition.list")
    assert listed["exhibitors"][0]["staff"] is False
    alice = await connected(ws, token_for(uid="ticket:alice", name="Alice"))

    await staff_add(video_event, booth, "ticket:sam")
    rights = await sam.receive_until("user.rights.changed")
    assert rights[1] == {"moderator": False, "moderated_rooms": [booth.room_id], "staff": [booth.pk]}
    # The attendee's socket is not told anything.
    assert await alice.nothing_more()

    # Without reconnecting, Sam gets the booth's requests and may answer them.
    request = (await alice.ok("exhibition.contact", {"exhibitor": booth.pk, "message": "Hi"}))["request"]
    got = await sam.receive_until("exhibition.contact_request")
    assert got[1]["id"] == request["id"] and got[1]["state"] == "open"
    accepted = await sam.ok("exhibition.contact_accept", {"request": request["id"]})
    assert accepted["request"]["state"] == "accepted"
    assert (await sam.ok("exhibition.get", {"exhibitor": booth.pk}))["staff"] is True

    await staff_remove(video_event, booth, "ticket:sam")
    rights = await sam.receive_until("user.rights.changed")
    assert rights[1] == {"moderator": False, "moderated_rooms": [], "staff": []}
    second = (await alice.ok("exhibition.contact", {"exhibitor": booth.pk, "message": "Again"}))["request"]
    # Sam no longer hears of the booth's requests, nor may answer them.
    assert await sam.nothing_more()
    refused = await sam.call("exhibition.contact_decline", {"request": second["id"]})
    assert refused[2] == {"code": "exhibition.unknown_request"}
    assert (await sam.ok("exhibition.get", {"exhibitor": booth.pk}))["staff"] is False
    await sam.close()
    await alice.close()


async def test_every_socket_of_the_staff_member_gets_the_rights(ws, token_for, booth, video_event):
    first = await connected(ws, token_for(uid="ticket:sam"))
    second = await connected(ws, token_for(uid="ticket:sam"))
    await staff_add(video_event, booth, "ticket:sam")
    for client in (first, second):
        rights = await client.receive_until("user.rights.changed")
        assert rights[1]["staff"] == [booth.pk]
        # A moderator now: the user.report.list of moderators answers.
        assert (await client.ok("user.report.list")) == {"reports": []}
        await client.close()


async def test_rights_frame_is_not_forwarded_raw(ws, token_for, booth, video_event):
    sam = await connected(ws, token_for(uid="ticket:sam"))
    await staff_add(video_event, booth, "ticket:sam")
    frame = await sam.receive()
    assert frame[0] == "user.rights.changed" and frame[1] != {}
    assert await sam.nothing_more()
    await sam.close()


@pytest.fixture
def hall_poster(video_event, make_room):
    hall = make_room("Poster hall")
    with scope(organizer=video_event.organizer):
        poster = exhibition.poster_save(
            event=video_event,
            data={"title": "Graphene", "authors": "Ada", "category": "Physics", "room": hall},
        )
    return poster


async def test_vote_counts_reach_sockets_viewing_the_hall(ws, token_for, hall_poster):
    viewer = await connected(ws, token_for(uid="ticket:viewer"))
    listed = await viewer.ok("poster.list")
    assert [p["id"] for p in listed["posters"]] == [hall_poster.pk]
    bystander = await connected(ws, token_for(uid="ticket:bystander"))
    voter = await connected(ws, token_for(uid="ticket:voter"))
    # The voter is in the poster's room and has the hall open: one socket in both groups.
    await voter.ok("room.enter", {"room": hall_poster.room_id})
    await voter.ok("poster.list")
    await voter.ok("poster.vote", {"poster": hall_poster.pk})
    updated = await viewer.receive_until("poster.updated")
    assert updated[1] == {"id": hall_poster.pk, "votes": 1}
    assert (await voter.receive_until("poster.updated"))[1] == {"id": hall_poster.pk, "votes": 1}
    # Not looking at the hall, not in the room: nothing.
    assert await bystander.nothing_more()
    await voter.ok("poster.vote", {"poster": hall_poster.pk, "vote": False})
    assert (await viewer.receive_until("poster.updated"))[1] == {"id": hall_poster.pk, "votes": 0}
    for client in (viewer, bystander, voter):
        await client.close()


@pytest.fixture
def vip_poster(video_event, make_room):
    vip = make_room("VIP hall", traits=["vip"])
    with scope(organizer=video_event.organizer):
        return exhibition.poster_save(
            event=video_event, data={"title": "Secret", "authors": "Ada", "category": "X", "room": vip}
        )


async def test_hall_of_a_hidden_room_is_not_joined(ws, token_for, vip_poster):
    poster = vip_poster
    outsider = await connected(ws, token_for(uid="ticket:out"))
    assert (await outsider.ok("poster.list"))["posters"] == []
    insider = await connected(ws, token_for(uid="ticket:in", traits=("attendee", "vip")))
    await insider.ok("poster.vote", {"poster": poster.pk})
    assert await outsider.nothing_more()
    await outsider.close()
    await insider.close()
