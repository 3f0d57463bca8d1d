"""Venueless-era message shapes, edits and non-browser clients on the websocket."""

from __future__ import annotations

import json

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django_scopes import scopes_disabled
from eventyay_video.models import ChatMessageEdit

from eventyay.config.asgi import application

pytestmark = [pytest.mark.anyio, pytest.mark.django_db(transaction=True)]


def venueless_text(channel: int, body: str, **extra: object) -> dict[str, object]:
    return {
        "channel": channel,
        "event_type": "channel.message",
        "content": {"type": "text", "body": body},
        **extra,
    }


async def joined(ws, token: str, room) -> object:
    client = ws()
    await client.connect()
    await client.authenticate(token)
    await client.ok("chat.join", {"channel": room.channel.pk})
    return client


async def test_venueless_shaped_message_is_stored_and_broadcast_in_both_shapes(ws, room, token_for):
    alice = await joined(ws, token_for(uid="ticket:alice", name="Alice"), room)
    bob = await joined(ws, token_for(uid="ticket:bob", name="Bob"), room)
    sent = await alice.ok("chat.send", venueless_text(room.channel.pk, "Hello from a bot"))
    assert sent["event"]["content"] == {"type": "text", "body": "Hello from a bot"}
    event = (await bob.receive_until("chat.event"))[1]
    assert event["id"] == event["event_id"] == sent["id"]
    assert event["event_type"] == "channel.message"
    assert event["content"] == {"type": "text", "body": "Hello from a bot"}
    assert event["text"] == "Hello from a bot"
    assert event["sender"] == {"uid": "ticket:alice", "name": "Alice"}
    assert event["replaces"] is None and event["edited"] is None
    await alice.close()
    await bob.close()


async def test_plain_string_content_still_works(ws, room, token_for):
    alice = await joined(ws, token_for(), room)
    sent = await alice.ok("chat.send", {"channel": room.channel.pk, "content": "plain"})
    assert sent["event"]["content"] == {"type": "text", "body": "plain"}
    await alice.close()


async def test_history_pages_with_venueless_before_id(ws, room, token_for):
    alice = await joined(ws, token_for(), room)
    first = await alice.ok("chat.send", {"channel": room.channel.pk, "content": "one"})
    second = await alice.ok("chat.send", {"channel": room.channel.pk, "content": "two"})
    page = await alice.ok("chat.fetch", {"channel": room.channel.pk, "before_id": second["id"], "count": 10})
    assert [m["id"] for m in page["messages"]] == [first["id"]]
    await alice.close()


@pytest.mark.parametrize(
    "payload, code",
    [
        (
            {"event_type": "channel.member", "content": {"type": "text", "body": "x"}},
            "chat.unsupported_event_type",
        ),
        (
            {"event_type": "channel.message", "content": {"type": "files", "files": []}},
            "chat.unsupported_content_type",
        ),
        ({"event_type": "channel.message", "content": {"type": "deleted"}}, "chat.unsupported_content_type"),
        ({"event_type": "channel.message", "content": {"type": "text", "body": "  "}}, "chat.empty"),
        ({"event_type": "channel.message", "content": {"type": "text", "body": "x" * 2001}}, "chat.too_long"),
    ],
)
async def test_unsupported_venueless_messages_are_refused(ws, room, token_for, payload, code):
    alice = await joined(ws, token_for(), room)
    reply = await alice.call("chat.send", {"channel": room.channel.pk, **payload})
    assert reply[0] == "error" and reply[2]["code"] == code
    await alice.close()


async def test_sender_edits_own_message_and_history_shows_it_edited(ws, room, token_for):
    alice = await joined(ws, token_for(uid="ticket:alice"), room)
    bob = await joined(ws, token_for(uid="ticket:bob"), room)
    sent = await alice.ok("chat.send", venueless_text(room.channel.pk, "teh typo"))
    await bob.receive_until("chat.event")
    edit = await alice.ok("chat.send", venueless_text(room.channel.pk, "the typo", replaces=sent["id"]))
    assert edit["id"] == sent["id"] and edit["event"]["replaces"] == sent["id"]
    event = (await bob.receive_until("chat.event", where=lambda m: m["replaces"] == sent["id"]))[1]
    assert event["content"] == {"type": "text", "body": "the typo"}
    assert event["edited"] is not None
    history = await bob.ok("chat.fetch", {"channel": room.channel.pk})
    assert [(m["text"], m["edited"] is not None) for m in history["messages"]] == [("the typo", True)]

    def kept() -> list[str]:
        with scopes_disabled():
            return list(
                ChatMessageEdit.objects.filter(message_id=sent["id"]).values_list(
                    "previous_content", flat=True
                )
            )

    assert await sync_to_async(kept)() == ["teh typo"]
    await alice.close()
    await bob.close()


async def test_sender_deletes_own_message_with_replaces(ws, room, token_for):
    alice = await joined(ws, token_for(uid="ticket:alice"), room)
    sent = await alice.ok("chat.send", venueless_text(room.channel.pk, "regret"))
    deleted = await alice.ok(
        "chat.send",
        {
            "channel": room.channel.pk,
            "event_type": "channel.message",
            "content": {"type": "deleted"},
            "replaces": sent["id"],
        },
    )
    assert deleted["event"]["content"] == {"type": "deleted"} and deleted["event"]["deleted"] is True
    again = await alice.call("chat.send", venueless_text(room.channel.pk, "back", replaces=sent["id"]))
    assert again[2] == {"code": "chat.unknown_message"}
    await alice.close()


async def test_attendee_cannot_edit_or_delete_another_users_message(ws, room, token_for):
    alice = await joined(ws, token_for(uid="ticket:alice"), room)
    bob = await joined(ws, token_for(uid="ticket:bob"), room)
    sent = await alice.ok("chat.send", venueless_text(room.channel.pk, "mine"))
    edit = await bob.call("chat.send", venueless_text(room.channel.pk, "yours now", replaces=sent["id"]))
    assert edit[2] == {"code": "chat.denied"}
    delete = await bob.call(
        "chat.send",
        {
            "channel": room.channel.pk,
            "event_type": "channel.message",
            "content": {"type": "deleted"},
            "replaces": sent["id"],
        },
    )
    assert delete[2] == {"code": "chat.denied"}
    await alice.close()
    await bob.close()


async def test_moderator_deletes_with_replaces_but_cannot_change_words(ws, room, token_for):
    alice = await joined(ws, token_for(uid="ticket:alice"), room)
    mod = await joined(ws, token_for(uid="team:7", traits=("role:organizer",)), room)
    sent = await alice.ok("chat.send", venueless_text(room.channel.pk, "rude"))
    reword = await mod.call("chat.send", venueless_text(room.channel.pk, "nice", replaces=sent["id"]))
    assert reword[2] == {"code": "chat.denied"}
    await mod.ok(
        "chat.send",
        {
            "channel": room.channel.pk,
            "event_type": "channel.message",
            "content": {"type": "deleted"},
            "replaces": sent["id"],
        },
    )
    event = (await alice.receive_until("chat.event", where=lambda m: m["deleted"]))[1]
    assert event["content"] == {"type": "deleted"} and event["replaces"] == sent["id"]
    await alice.close()
    await mod.close()


async def test_venueless_reaction_payload_adds_and_removes(ws, room, token_for):
    alice = await joined(ws, token_for(uid="ticket:alice"), room)
    sent = await alice.ok("chat.send", venueless_text(room.channel.pk, "react to me"))
    react = {"channel": room.channel.pk, "event": sent["id"], "reaction": "👍"}
    await alice.ok("chat.react", react)
    await alice.ok("chat.react", react)  # adding twice keeps one reaction, unlike a toggle
    history = await alice.ok("chat.fetch", {"channel": room.channel.pk})
    assert history["messages"][-1]["reactions"] == {"👍": 1}
    await alice.ok("chat.react", {**react, "delete": True})
    history = await alice.ok("chat.fetch", {"channel": room.channel.pk})
    assert history["messages"][-1]["reactions"] == {}
    await alice.close()


# --- clients without a browser -------------------------------------------------------------------


def communicator(event, headers: list[tuple[bytes, bytes]]) -> WebsocketCommunicator:
    return WebsocketCommunicator(
        application, f"/ws/event/{event.organizer.slug}/{event.slug}/", headers=headers
    )


async def test_client_without_origin_connects_and_works_after_authenticating(video_event, room, token_for):
    bot = communicator(video_event, headers=[])
    connected, _ = await bot.connect()
    assert connected
    await bot.send_to(text_data=json.dumps(["room.enter", 1, {"room": room.pk}]))
    assert json.loads(await bot.receive_from()) == ["error", 1, {"code": "protocol.unauthenticated"}]
    await bot.send_to(text_data=json.dumps(["authenticate", {"token": token_for(uid="bot:1")}]))
    assert json.loads(await bot.receive_from())[0] == "authenticated"
    await bot.send_to(text_data=json.dumps(["chat.join", 2, {"channel": room.channel.pk}]))
    assert json.loads(await bot.receive_from())[0] == "success"
    await bot.disconnect()


async def test_client_without_origin_and_a_bad_token_is_refused(video_event, room):
    bot = communicator(video_event, headers=[])
    connected, _ = await bot.connect()
    assert connected
    await bot.send_to(text_data=json.dumps(["authenticate", 1, {"token": "not-a-token"}]))
    reply = json.loads(await bot.receive_from())
    assert reply[0] == "error" and reply[2]["code"].startswith("auth.")
    await bot.send_to(text_data=json.dumps(["chat.join", 2, {"channel": room.channel.pk}]))
    assert json.loads(await bot.receive_from()) == ["error", 2, {"code": "protocol.unauthenticated"}]
    await bot.disconnect()


async def test_browser_from_a_foreign_origin_is_refused(video_event):
    page = communicator(video_event, headers=[(b"origin", b"https://evil.example")])
    connected, _ = await page.connect()
    assert not connected


async def test_browser_from_an_allowed_origin_connects(video_event):
    page = communicator(video_event, headers=[(b"origin", b"http://testserver")])
    connected, _ = await page.connect()
    assert connected
    await page.disconnect()
