"""Chat messages carry the sender's profile name (the token's name until they set one)."""

from __future__ import annotations

import pytest
from django_scopes import scope
from eventyay_video import people, selectors
from eventyay_video.models import ChatMessage, UserProfile

pytestmark = [pytest.mark.anyio, pytest.mark.django_db(transaction=True)]


async def joined(ws, token: str, channel_id: int) -> object:
    client = ws()
    await client.connect()
    await client.authenticate(token)
    await client.ok("chat.join", {"channel": channel_id})
    return client


async def test_new_messages_and_history_use_the_profile_name(ws, token_for, room):
    channel_id = room.channel.pk
    alice = await joined(ws, token_for(uid="ticket:alice", name="Alice Token"), channel_id)
    bob = await joined(ws, token_for(uid="ticket:bob", name="Bob Token"), channel_id)

    await alice.ok("chat.send", {"channel": channel_id, "content": "before any profile"})
    event = await bob.receive_until("chat.event")
    assert event[1]["sender"] == {"uid": "ticket:alice", "name": "Alice Token"}

    await alice.ok("user.update", {"profile": {"display_name": "Alice L."}})
    await alice.ok("chat.send", {"channel": channel_id, "content": "named"})
    event = await bob.receive_until("chat.event", where=lambda p: p["text"] == "named")
    assert event[1]["sender"] == {"uid": "ticket:alice", "name": "Alice L."}

    # A rename shows in the next message at once.
    await alice.ok("user.update", {"profile": {"display_name": "Alice Lovelace"}})
    sent = await alice.ok("chat.send", {"channel": channel_id, "content": "renamed"})
    assert sent["event"]["sender"]["name"] == "Alice Lovelace"
    event = await bob.receive_until("chat.event", where=lambda p: p["text"] == "renamed")
    assert event[1]["sender"]["name"] == "Alice Lovelace"

    await bob.ok("chat.send", {"channel": channel_id, "content": "no profile here"})
    history = await bob.ok("chat.fetch", {"channel": channel_id})
    senders = [(m["text"], m["sender"]["name"]) for m in history["messages"]]
    # History shows each sender's current profile name; users without one keep the token's.
    assert senders == [
        ("before any profile", "Alice Lovelace"),
        ("named", "Alice Lovelace"),
        ("renamed", "Alice Lovelace"),
        ("no profile here", "Bob Token"),
    ]
    await alice.close()
    await bob.close()


async def test_an_edit_keeps_working_with_a_profile(ws, token_for, room):
    channel_id = room.channel.pk
    alice = await joined(ws, token_for(uid="ticket:alice", name="Alice Token"), channel_id)
    await alice.ok("user.update", {"profile": {"display_name": "Alice L."}})
    sent = await alice.ok("chat.send", {"channel": channel_id, "content": "typo"})
    edited = await alice.ok("chat.send", {"channel": channel_id, "content": "fixed", "replaces": sent["id"]})
    assert edited["event"]["sender"] == {"uid": "ticket:alice", "name": "Alice L."}
    assert edited["event"]["text"] == "fixed"
    await alice.close()


def test_history_names_come_from_one_query(video_event, room, django_assert_num_queries):
    with scope(organizer=video_event.organizer):
        for index in range(30):
            uid = f"ticket:{index}"
            UserProfile.objects.create(event=video_event, uid=uid, display_name=f"Person {index}")
            ChatMessage.objects.create(
                channel=room.channel, sender_uid=uid, sender_name="token", content="hi"
            )
        ChatMessage.objects.create(channel=room.channel, sender_uid="ticket:x", sender_name="X", content="hi")
        UserProfile.objects.create(event=video_event, uid="ticket:x", display_name="")
        history = selectors.chat_history(channel=room.channel, count=50)
        with django_assert_num_queries(1):
            people.messages_with_profile_names(event=video_event, messages=history["messages"])
    names = [m["sender"]["name"] for m in history["messages"]]
    assert names == [f"Person {index}" for index in range(30)] + ["X"]


def test_no_query_for_an_empty_page(video_event, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert people.messages_with_profile_names(event=video_event, messages=[]) == []
