"""Exhibition and poster hall over the websocket: booths, contact requests in real time, votes."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from django_scopes import scope, scopes_disabled
from eventyay_video import exhibition, services
from eventyay_video.models import ContactRequest, PosterVote

pytestmark = [pytest.mark.anyio, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def booth(video_event):
    """An exhibitor with a booth room (created with it) and one staff member, ``ticket:staff``."""
    with scope(organizer=video_event.organizer):
        exhibitor = exhibition.exhibitor_save(
            event=video_event,
            data={
                "name": "ACME Robotics",
                "short_text": "Robots for every venue",
                "links": "Website | https://acme.example.org",
                "call_url": "https://meet.example.org/acme",
            },
        )
        exhibition.exhibitor_staff_add(exhibitor=exhibitor, uid="ticket:staff", name="Sam from ACME")
    return exhibitor


@pytest.fixture
def make_poster(video_event):
    def factory(title: str = "Graphene at scale", category: str = "Physics", room=None):
        with scope(organizer=video_event.organizer):
            return exhibition.poster_save(
                event=video_event,
                data={"title": title, "authors": "Ada\nGrace", "category": category, "room": room},
            )

    return factory


def unscoped(query):
    with scopes_disabled():
        return query()


async def connected(ws, token: str):
    client = ws()
    await client.connect()
    await client.authenticate(token)
    return client


async def test_exhibitors_are_listed_and_shown_with_staff_and_links(ws, token_for, booth):
    client = await connected(ws, token_for(uid="ticket:alice", name="Alice"))
    listed = await client.ok("exhibition.list")
    assert listed["exhibitors"] == [
        {
            "id": booth.pk,
            "name": "ACME Robotics",
            "short_text": "Robots for every venue",
            "logo": "",
            "room": booth.room_id,
            "staff": False,
        }
    ]
    shown = await client.ok("exhibition.get", {"exhibitor": booth.pk})
    assert shown["staff"] is False
    assert shown["exhibitor"]["links"] == [{"label": "Website", "url": "https://acme.example.org"}]
    assert shown["exhibitor"]["staff"] == [{"uid": "ticket:staff", "name": "Sam from ACME"}]
    # The call link is for staff and for accepted requests, not for every visitor.
    assert "call_url" not in shown["exhibitor"] and shown["exhibitor"]["has_call"] is True
    assert shown["requests"] == []
    await client.close()


async def test_booth_room_has_a_chat_and_the_staff_moderate_it(ws, token_for, booth):
    staff = await connected(ws, token_for(uid="ticket:staff", name="Sam"))
    room = (await staff.ok("room.enter", {"room": booth.room_id}))["room"]
    assert room["moderator"] is True and room["channel"]
    assert [m["type"] for m in room["modules"]] == ["chat"]
    await staff.close()


async def test_unknown_or_invisible_exhibitor_is_an_error(ws, token_for, booth, video_event):
    def restrict():
        with scope(organizer=video_event.organizer):
            services.room_save(event=video_event, room=booth.room, data={"traits": ["role:sponsor"]})

    await sync_to_async(restrict)()
    client = await connected(ws, token_for(uid="ticket:alice"))
    assert (await client.ok("exhibition.list"))["exhibitors"] == []
    for payload in ({"exhibitor": booth.pk}, {"exhibitor": "x"}, {}):
        frame = await client.call("exhibition.get", payload)
        assert frame[0] == "error" and frame[2]["code"] == "exhibition.unknown"
    await client.close()


async def test_contact_request_reaches_staff_and_acceptance_reaches_the_attendee(ws, token_for, booth):
    staff = await connected(ws, token_for(uid="ticket:staff", name="Sam"))
    alice = await connected(ws, token_for(uid="ticket:alice", name="Alice"))
    bob = await connected(ws, token_for(uid="ticket:bob", name="Bob"))
    assert (await staff.ok("exhibition.get", {"exhibitor": booth.pk}))["staff"] is True
    await bob.ok("exhibition.list")

    sent = await alice.ok("exhibition.contact", {"exhibitor": booth.pk, "message": "Do you ship to Berlin?"})
    request_id = sent["request"]["id"]
    assert sent["request"]["state"] == "open"
    _name, seen = await staff.receive_until("exhibition.contact_request")
    assert seen["id"] == request_id and seen["user"] == {"uid": "ticket:alice", "name": "Alice"}
    assert seen["message"] == "Do you ship to Berlin?"

    # Asking again while the request is open gives the same request, no second one.
    again = await alice.ok("exhibition.contact", {"exhibitor": booth.pk})
    assert again["request"]["id"] == request_id

    # Attendees cannot answer requests, not even their own.
    refused = await alice.call("exhibition.contact_accept", {"request": request_id})
    assert refused[0] == "error" and refused[2]["code"] == "exhibition.unknown_request"

    accepted = await staff.ok("exhibition.contact_accept", {"request": request_id})
    assert accepted["request"]["state"] == "accepted" and accepted["request"]["answered_by"] == "Sam"
    _name, answer = await alice.receive_until(
        "exhibition.contact_request", where=lambda p: p["state"] != "open"
    )
    assert answer["state"] == "accepted" and answer["call_url"] == "https://meet.example.org/acme"
    assert answer["room"] == booth.room_id

    twice = await staff.call("exhibition.contact_decline", {"request": request_id})
    assert twice[0] == "error" and twice[2]["code"] == "exhibition.already_answered"
    assert await bob.nothing_more()
    for client in (staff, alice, bob):
        await client.close()


async def test_declined_request_is_told_to_the_attendee_who_may_ask_again(ws, token_for, booth):
    staff = await connected(ws, token_for(uid="ticket:staff", name="Sam"))
    alice = await connected(ws, token_for(uid="ticket:alice", name="Alice"))
    await staff.ok("exhibition.list")
    first = (await alice.ok("exhibition.contact", {"exhibitor": booth.pk}))["request"]["id"]
    await staff.ok("exhibition.contact_decline", {"request": first})
    _name, answer = await alice.receive_until(
        "exhibition.contact_request", where=lambda p: p["state"] != "open"
    )
    assert answer["state"] == "declined" and "call_url" not in answer
    second = (await alice.ok("exhibition.contact", {"exhibitor": booth.pk}))["request"]["id"]
    assert second != first
    mine = await alice.ok("exhibition.get", {"exhibitor": booth.pk})
    assert [r["state"] for r in mine["requests"]] == ["open", "declined"]
    await staff.close()
    await alice.close()


async def test_contact_message_is_checked(ws, token_for, booth):
    alice = await connected(ws, token_for(uid="ticket:alice"))
    too_long = await alice.call("exhibition.contact", {"exhibitor": booth.pk, "message": "x" * 501})
    assert too_long[2]["code"] == "exhibition.message_too_long"
    not_text = await alice.call("exhibition.contact", {"exhibitor": booth.pk, "message": ["x"]})
    assert not_text[2]["code"] == "protocol.invalid"
    assert await sync_to_async(unscoped)(lambda: ContactRequest.objects.count()) == 0
    await alice.close()


async def test_silenced_attendee_cannot_ask_for_contact(ws, token_for, booth, video_event):
    def silence():
        with scope(organizer=video_event.organizer):
            services.restriction_set(event=video_event, uid="ticket:alice", kind="silence")

    await sync_to_async(silence)()
    alice = await connected(ws, token_for(uid="ticket:alice"))
    frame = await alice.call("exhibition.contact", {"exhibitor": booth.pk})
    assert frame[2]["code"] == "chat.silenced"
    await alice.close()


async def test_posters_are_listed_filtered_by_category_and_shown(ws, token_for, make_poster):
    graphene = await sync_to_async(make_poster)()
    await sync_to_async(make_poster)("Bees and maths", "Biology")
    client = await connected(ws, token_for(uid="ticket:alice"))
    everything = await client.ok("poster.list")
    assert [p["title"] for p in everything["posters"]] == ["Bees and maths", "Graphene at scale"]
    assert everything["categories"] == ["Biology", "Physics"]
    physics = await client.ok("poster.list", {"category": "Physics"})
    assert [p["id"] for p in physics["posters"]] == [graphene.pk]
    assert physics["posters"][0]["authors"] == ["Ada", "Grace"] and physics["posters"][0]["votes"] == 0
    shown = (await client.ok("poster.get", {"poster": graphene.pk}))["poster"]
    assert shown["channel"] == graphene.channel_id and shown["talk"] is None and "pdf_url" not in shown
    missing = await client.call("poster.get", {"poster": 999999})
    assert missing[2]["code"] == "poster.unknown"
    await client.close()


async def test_poster_in_a_restricted_hall_is_hidden(ws, token_for, make_room, make_poster):
    hall = await sync_to_async(make_room)("Sponsors' hall", traits=["role:sponsor"])
    hidden = await sync_to_async(make_poster)("Secret", "Physics", hall)
    client = await connected(ws, token_for(uid="ticket:alice"))
    assert (await client.ok("poster.list"))["posters"] == []
    assert (await client.call("poster.vote", {"poster": hidden.pk}))[2]["code"] == "poster.unknown"
    assert (await client.call("chat.join", {"channel": hidden.channel_id}))[2][
        "code"
    ] == "chat.unknown_channel"
    await client.close()


async def test_one_vote_per_attendee_broadcast_to_everyone(ws, token_for, make_poster):
    poster = await sync_to_async(make_poster)()
    alice = await connected(ws, token_for(uid="ticket:alice"))
    bob = await connected(ws, token_for(uid="ticket:bob"))
    assert await alice.ok("poster.vote", {"poster": poster.pk}) == {
        "poster": poster.pk,
        "votes": 1,
        "voted": True,
    }
    _name, update = await bob.receive_until("poster.updated")
    assert update == {"id": poster.pk, "votes": 1}
    assert (await alice.ok("poster.vote", {"poster": poster.pk}))["votes"] == 1
    assert (await bob.ok("poster.vote", {"poster": poster.pk}))["votes"] == 2
    listed = (await alice.ok("poster.list"))["posters"][0]
    assert listed["votes"] == 2 and listed["voted"] is True
    assert (await alice.ok("poster.vote", {"poster": poster.pk, "vote": False}))["votes"] == 1
    assert await sync_to_async(unscoped)(lambda: list(PosterVote.objects.values_list("uid", flat=True))) == [
        "ticket:bob"
    ]
    await alice.close()
    await bob.close()


async def test_poster_discussion_is_a_chat_channel(ws, token_for, make_poster):
    poster = await sync_to_async(make_poster)()
    alice = await connected(ws, token_for(uid="ticket:alice", name="Alice"))
    bob = await connected(ws, token_for(uid="ticket:bob", name="Bob"))
    for client in (alice, bob):
        assert (await client.ok("chat.join", {"channel": poster.channel_id}))["messages"] == []
    await alice.ok("chat.send", {"channel": poster.channel_id, "content": "Which substrate did you use?"})
    _name, message = await bob.receive_until("chat.event")
    assert message["channel"] == poster.channel_id and message["sender"]["name"] == "Alice"
    await alice.close()
    await bob.close()
