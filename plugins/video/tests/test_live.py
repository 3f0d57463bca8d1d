"""Chat, polls, questions, viewers, announcements and moderation over the websocket."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from django_scopes import scope, scopes_disabled
from eventyay_video import services
from eventyay_video.models import ChatMessage, Moderator, PollVote

pytestmark = [pytest.mark.anyio, pytest.mark.django_db(transaction=True)]


def unscoped(query):
    with scopes_disabled():
        return query()


async def joined(ws, token: str, room) -> object:
    client = ws()
    await client.connect()
    await client.authenticate(token)
    await client.ok("room.enter", {"room": room.pk})
    await client.ok("chat.join", {"channel": room.channel.pk})
    return client


async def test_chat_message_fans_out_to_a_second_client(ws, room, token_for):
    alice = await joined(ws, token_for(uid="ticket:alice", name="Alice"), room)
    bob = await joined(ws, token_for(uid="ticket:bob", name="Bob"), room)
    result = await alice.ok("chat.send", {"channel": room.channel.pk, "content": "Hello Bob"})
    event = await bob.receive_until("chat.event")
    assert event[1]["id"] == result["id"]
    assert event[1]["text"] == "Hello Bob"
    assert event[1]["sender"] == {"uid": "ticket:alice", "name": "Alice"}
    assert (await alice.receive_until("chat.event"))[1]["id"] == result["id"]
    stored = await sync_to_async(unscoped)(lambda: ChatMessage.objects.get(pk=result["id"]).content)
    assert stored == "Hello Bob"
    await alice.close()
    await bob.close()


def _store_messages(room, count: int) -> list[int]:
    with scope(organizer=room.event.organizer):
        return [
            ChatMessage.objects.create(
                channel=room.channel, sender_uid="ticket:old", sender_name="Old", content=f"m{i}"
            ).pk
            for i in range(count)
        ]


async def test_history_pages_backwards_and_catches_up_forwards(ws, room, token_for):
    ids = await sync_to_async(_store_messages)(room, 60)
    client = ws()
    await client.connect()
    await client.authenticate(token_for())
    page = await client.ok("chat.join", {"channel": room.channel.pk})
    assert [m["id"] for m in page["messages"]] == ids[10:]
    assert page["has_more"] is True
    older = await client.ok("chat.fetch", {"channel": room.channel.pk, "before": ids[10], "count": 50})
    assert [m["id"] for m in older["messages"]] == ids[:10]
    assert older["has_more"] is False
    missed = await client.ok("chat.fetch", {"channel": room.channel.pk, "after": ids[55], "count": 3})
    assert [m["id"] for m in missed["messages"]] == ids[56:59]
    assert missed["has_more"] is True
    assert (await client.call("chat.fetch", {"channel": room.channel.pk, "before": "x"}))[2] == {
        "code": "protocol.invalid"
    }
    await client.close()


async def test_reconnecting_client_fetches_what_it_missed(ws, room, token_for):
    alice = await joined(ws, token_for(uid="ticket:alice"), room)
    bob = await joined(ws, token_for(uid="ticket:bob"), room)
    first = await alice.ok("chat.send", {"channel": room.channel.pk, "content": "one"})
    await bob.receive_until("chat.event")
    await bob.close()
    await alice.ok("chat.send", {"channel": room.channel.pk, "content": "two"})
    await alice.ok("chat.send", {"channel": room.channel.pk, "content": "three"})
    bob = ws()
    await bob.connect()
    await bob.authenticate(token_for(uid="ticket:bob"))
    missed = await bob.ok("chat.fetch", {"channel": room.channel.pk, "after": first["id"]})
    assert [m["text"] for m in missed["messages"]] == ["two", "three"]
    await alice.close()
    await bob.close()


async def test_sending_needs_a_joined_channel_and_a_sane_message(ws, room, token_for):
    client = ws()
    await client.connect()
    await client.authenticate(token_for())
    assert (await client.call("chat.send", {"channel": room.channel.pk, "content": "hi"}))[2] == {
        "code": "chat.not_joined"
    }
    await client.ok("chat.join", {"channel": room.channel.pk})
    too_long = await client.call("chat.send", {"channel": room.channel.pk, "content": "x" * 2001})
    assert too_long[2] == {"code": "chat.too_long"}
    assert (await client.call("chat.send", {"channel": room.channel.pk, "content": "  "}))[2] == {
        "code": "chat.empty"
    }
    await client.close()


async def test_flood_control_limits_messages_per_user(ws, room, token_for):
    client = await joined(ws, token_for(), room)
    for n in range(5):
        await client.ok("chat.send", {"channel": room.channel.pk, "content": f"spam {n}"})
    assert (await client.call("chat.send", {"channel": room.channel.pk, "content": "more"}))[2] == {
        "code": "chat.flood"
    }
    await client.close()


async def test_reactions_toggle_and_broadcast_counts(ws, room, token_for):
    alice = await joined(ws, token_for(uid="ticket:alice"), room)
    bob = await joined(ws, token_for(uid="ticket:bob"), room)
    sent = await alice.ok("chat.send", {"channel": room.channel.pk, "content": "React!"})
    await bob.receive_until("chat.event")
    await alice.receive_until("chat.event")
    await bob.ok("chat.react", {"channel": room.channel.pk, "message": sent["id"], "emoji": "👍"})
    assert (await alice.receive_until("chat.event"))[1]["reactions"] == {"👍": 1}
    await bob.ok("chat.react", {"channel": room.channel.pk, "message": sent["id"], "emoji": "👍"})
    assert (await alice.receive_until("chat.event"))[1]["reactions"] == {}
    bad = await bob.call("chat.react", {"channel": room.channel.pk, "message": sent["id"], "emoji": "<b>"})
    assert bad[2] == {"code": "chat.unknown_reaction"}
    await alice.close()
    await bob.close()


async def test_moderators_delete_messages_and_attendees_cannot(ws, room, token_for):
    alice = await joined(ws, token_for(uid="ticket:alice"), room)
    mod = await joined(ws, token_for(uid="team:7", traits=("role:organizer",)), room)
    sent = await alice.ok("chat.send", {"channel": room.channel.pk, "content": "rude"})
    await mod.receive_until("chat.event")
    denied = await alice.call("chat.delete", {"channel": room.channel.pk, "message": sent["id"]})
    assert denied[2] == {"code": "auth.denied"}
    await mod.ok("chat.delete", {"channel": room.channel.pk, "message": sent["id"]})
    event = await alice.receive_until(
        "chat.event", where=lambda message: message["id"] == sent["id"] and message["deleted"]
    )
    assert event[1]["text"] == ""
    history = await alice.ok("chat.fetch", {"channel": room.channel.pk})
    assert history["messages"][-1]["deleted"] is True
    await alice.close()
    await mod.close()


async def test_room_moderator_by_uid_may_delete(ws, room, token_for):
    def appoint():
        with scope(organizer=room.event.organizer):
            Moderator.objects.create(event=room.event, room=room, uid="ticket:helper")

    await sync_to_async(appoint)()
    helper = await joined(ws, token_for(uid="ticket:helper"), room)
    entered = await helper.ok("room.enter", {"room": room.pk})
    assert entered["room"]["moderator"] is True
    sent = await helper.ok("chat.send", {"channel": room.channel.pk, "content": "oops"})
    await helper.ok("chat.delete", {"channel": room.channel.pk, "message": sent["id"]})
    await helper.close()


async def test_silenced_user_reads_but_cannot_write(ws, room, token_for):
    def silence():
        with scope(organizer=room.event.organizer):
            services.restriction_set(event=room.event, uid="ticket:loud", kind="silence")

    await sync_to_async(silence)()
    client = await joined(ws, token_for(uid="ticket:loud"), room)
    assert (await client.call("chat.send", {"channel": room.channel.pk, "content": "hey"}))[2] == {
        "code": "chat.silenced"
    }
    assert (await client.call("question.ask", {"room": room.pk, "content": "why?"}))[2] == {
        "code": "chat.silenced"
    }
    await client.close()


async def test_banned_user_is_disconnected_and_kept_out(ws, room, token_for):
    client = await joined(ws, token_for(uid="ticket:troll"), room)

    def ban():
        with scope(organizer=room.event.organizer):
            services.restriction_set(event=room.event, uid="ticket:troll", kind="ban")

    await sync_to_async(ban)()
    assert (await client.receive_until("error"))[2] == {"code": "auth.banned"}
    assert (await client.communicator.receive_output())["type"] == "websocket.close"
    again = ws()
    await again.connect()
    await again.send("authenticate", {"token": token_for(uid="ticket:troll")})
    assert await again.receive() == ["error", None, {"code": "auth.banned"}]


async def test_poll_flow(ws, room, token_for):
    mod = await joined(ws, token_for(uid="team:1", traits=("role:organizer",)), room)
    alice = await joined(ws, token_for(uid="ticket:alice"), room)
    denied = await alice.call("poll.create", {"room": room.pk, "question": "?", "options": ["a", "b"]})
    assert denied[2] == {"code": "auth.denied"}
    invalid = await mod.call("poll.create", {"room": room.pk, "question": "Lunch?", "options": ["only one"]})
    assert invalid[2]["code"] == "poll.invalid"
    created = await mod.ok(
        "poll.create", {"room": room.pk, "question": "Lunch?", "options": ["Pizza", "Salad"]}
    )
    update = (await alice.receive_until("poll.updated"))[1]
    await mod.receive_until("poll.updated")
    assert update["id"] == created["id"] and [o["text"] for o in update["options"]] == ["Pizza", "Salad"]
    pizza, salad = (o["id"] for o in update["options"])
    await alice.ok("poll.vote", {"poll": created["id"], "option": pizza})
    assert [o["votes"] for o in (await mod.receive_until("poll.updated"))[1]["options"]] == [1, 0]
    await alice.ok("poll.vote", {"poll": created["id"], "option": salad})
    assert [o["votes"] for o in (await mod.receive_until("poll.updated"))[1]["options"]] == [0, 1]
    listing = await alice.ok("poll.list", {"room": room.pk})
    assert listing["polls"][0]["my_vote"] == salad
    assert (await alice.call("poll.close", {"poll": created["id"]}))[2] == {"code": "auth.denied"}
    await mod.ok("poll.close", {"poll": created["id"]})
    closed = await alice.receive_until("poll.updated", where=lambda poll: poll["state"] == "closed")
    assert closed[1]["id"] == created["id"]
    assert (await alice.call("poll.vote", {"poll": created["id"], "option": pizza}))[2] == {
        "code": "poll.closed"
    }
    votes = await sync_to_async(unscoped)(lambda: PollVote.objects.filter(poll_id=created["id"]).count())
    assert votes == 1
    await mod.close()
    await alice.close()


async def test_question_flow(ws, room, token_for):
    mod = await joined(ws, token_for(uid="team:1", traits=("role:organizer",)), room)
    alice = await joined(ws, token_for(uid="ticket:alice", name="Alice"), room)
    bob = await joined(ws, token_for(uid="ticket:bob"), room)
    first = await alice.ok("question.ask", {"room": room.pk, "content": "First?"})
    assert (await bob.receive_until("question.updated"))[1]["content"] == "First?"
    second = await alice.ok("question.ask", {"room": room.pk, "content": "Second?"})
    await bob.ok("question.vote", {"question": first["id"]})
    updates = [(await mod.receive_until("question.updated"))[1] for _ in range(3)]
    assert [(u["id"], u["votes"]) for u in updates] == [(first["id"], 0), (second["id"], 0), (first["id"], 1)]
    await bob.ok("question.vote", {"question": first["id"]})
    listing = await bob.ok("question.list", {"room": room.pk})
    assert {q["id"]: (q["votes"], q["voted"]) for q in listing["questions"]} == {
        first["id"]: (1, True),
        second["id"]: (0, False),
    }
    assert (await bob.call("question.pin", {"question": second["id"]}))[2] == {"code": "auth.denied"}
    await mod.ok("question.pin", {"question": second["id"], "pinned": True})
    pinned = (await bob.receive_until("question.updated", where=lambda question: question["pinned"]))[1]
    assert pinned["id"] == second["id"] and pinned["pinned"] is True
    listing = await bob.ok("question.list", {"room": room.pk})
    assert listing["questions"][0]["id"] == second["id"]
    for client in (mod, alice, bob):
        await client.close()


async def test_viewer_count_is_broadcast_to_the_room(ws, room, token_for):
    alice = ws()
    await alice.connect()
    await alice.authenticate(token_for(uid="ticket:alice"))
    entered = await alice.ok("room.enter", {"room": room.pk})
    assert entered["room"]["viewers"] == 1
    bob = ws()
    await bob.connect()
    await bob.authenticate(token_for(uid="ticket:bob"))
    await bob.ok("room.enter", {"room": room.pk})
    counts = []
    while not counts or counts[-1] != 2:
        counts.append((await alice.receive_until("room.viewers"))[1]["count"])
    await bob.close()
    while counts[-1] != 1:
        counts.append((await alice.receive_until("room.viewers"))[1]["count"])
    await alice.close()


async def test_announcements_reach_every_connected_user(ws, room, token_for, video_event):
    client = ws()
    await client.connect()
    await client.authenticate(token_for())

    def announce():
        with scope(organizer=video_event.organizer):
            return services.announcement_create(event=video_event, text="Keynote starts in 5 minutes")

    await sync_to_async(announce)()
    frame = await client.receive_until("announcement")
    assert frame[1]["text"] == "Keynote starts in 5 minutes"
    await client.close()
