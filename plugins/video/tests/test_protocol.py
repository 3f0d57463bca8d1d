"""The websocket protocol's framing, authentication and error codes."""

from __future__ import annotations

import datetime as dt

import pytest
from django_scopes import scope
from eventyay_video.tokens import token_issue

from eventyay.base.services.plugins import event_plugins_update

pytestmark = [pytest.mark.anyio, pytest.mark.django_db(transaction=True)]


async def test_ping_is_answered_before_authentication(ws):
    client = ws()
    await client.connect()
    await client.send("ping", 1234.5)
    assert await client.receive() == ["pong", 1234.5]
    await client.close()


async def test_actions_before_authentication_are_refused(ws, room):
    client = ws()
    await client.connect()
    assert await client.call("room.enter", {"room": room.pk}) == [
        "error",
        1,
        {"code": "protocol.unauthenticated"},
    ]
    await client.close()


async def test_unknown_event_is_reported_and_closed(ws, video_event):
    client = ws(video_event.organizer.slug, "nosuchevent")
    await client.connect()
    assert await client.receive() == ["error", None, {"code": "event.unknown_event"}]
    assert (await client.communicator.receive_output())["type"] == "websocket.close"


async def test_event_without_the_plugin_is_unknown(ws, event):
    client = ws(event.organizer.slug, event.slug)
    await client.connect()
    assert await client.receive() == ["error", None, {"code": "event.unknown_event"}]


async def test_switched_off_plugin_makes_the_event_unknown(ws, video_event):
    from asgiref.sync import sync_to_async

    def switch_off():
        with scope(organizer=video_event.organizer):
            event_plugins_update(event=video_event, disable=["video"], is_admin=True)

    await sync_to_async(switch_off)()
    client = ws()
    await client.connect()
    assert (await client.receive())[2]["code"] == "event.unknown_event"


async def test_garbage_token_is_invalid(ws):
    client = ws()
    await client.connect()
    await client.send("authenticate", {"token": "not.a.token"})
    assert await client.receive() == ["error", None, {"code": "auth.invalid_token"}]
    await client.send("authenticate", 7, {})
    assert await client.receive() == ["error", 7, {"code": "auth.invalid_token"}]
    await client.close()


async def test_expired_token_is_reported_as_expired(ws, video_event, monkeypatch):
    import jwt
    from eventyay_video import tokens

    past = dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)
    payload = {
        "iss": tokens.issuer(),
        "aud": tokens.audience(video_event),
        "iat": past,
        "exp": past + dt.timedelta(minutes=5),
        "uid": "ticket:late",
        "traits": [],
    }
    expired = jwt.encode(payload, tokens._event_secret(video_event, "token"), algorithm="HS256")
    client = ws()
    await client.connect()
    await client.send("authenticate", {"token": expired})
    assert await client.receive() == ["error", None, {"code": "auth.expired_token"}]
    await client.close()


async def test_token_of_another_event_is_invalid(ws, make_event, token_for):
    from asgiref.sync import sync_to_async

    other = await sync_to_async(make_event)(slug="second", plugins=["video"])
    client = ws(other.organizer.slug, other.slug)
    await client.connect()
    await client.send("authenticate", {"token": token_for()})
    assert (await client.receive())[2] == {"code": "auth.invalid_token"}
    await client.close()


async def test_authenticate_with_request_id_replies_success(ws, token_for, room):
    client = ws()
    await client.connect()
    await client.send("authenticate", 1, {"token": token_for(name="Alice")})
    frame = await client.receive()
    assert frame[0:2] == ["success", 1]
    assert frame[2]["user"]["name"] == "Alice"
    assert [r["name"] for r in frame[2]["rooms"]] == ["Main stage"]
    await client.close()


async def test_unknown_action_is_an_unknown_command(ws, token_for):
    client = ws()
    await client.connect()
    await client.authenticate(token_for())
    assert await client.call("room.teleport", {}) == ["error", 1, {"code": "protocol.unknown_command"}]
    await client.close()


async def test_malformed_frames_are_invalid(ws, token_for):
    client = ws()
    await client.connect()
    await client.communicator.send_to(text_data="{not json")
    assert (await client.receive())[2] == {"code": "protocol.invalid"}
    await client.send({"a": 1})
    assert (await client.receive())[2] == {"code": "protocol.invalid"}
    await client.communicator.send_to(text_data='["ping", "' + "x" * 20000 + '"]')
    assert (await client.receive())[2] == {"code": "protocol.invalid"}
    await client.close()


async def test_rooms_are_gated_by_traits(ws, make_room, token_for):
    from asgiref.sync import sync_to_async

    open_room = await sync_to_async(make_room)("Lobby")
    vip = await sync_to_async(make_room)("VIP lounge", traits=["product:9"])
    outsider = ws()
    await outsider.connect()
    welcome = await outsider.authenticate(token_for(uid="ticket:basic", traits=("product:1",)))
    assert [r["id"] for r in welcome["rooms"]] == [open_room.pk]
    assert await outsider.call("room.enter", {"room": vip.pk}) == ["error", 1, {"code": "room.unknown"}]
    assert (await outsider.call("poll.list", {"room": vip.pk}))[2] == {"code": "room.unknown"}
    assert (await outsider.call("chat.join", {"channel": vip.channel.pk}))[2] == {
        "code": "chat.unknown_channel"
    }
    insider = ws()
    await insider.connect()
    welcome = await insider.authenticate(token_for(uid="ticket:vip", traits=("product:9",)))
    assert [r["id"] for r in welcome["rooms"]] == [open_room.pk, vip.pk]
    entered = await insider.ok("room.enter", {"room": vip.pk})
    assert entered["room"]["name"] == "VIP lounge"
    organizer = ws()
    await organizer.connect()
    welcome = await organizer.authenticate(token_for(uid="team:1", traits=("role:organizer",)))
    assert len(welcome["rooms"]) == 2
    for client in (outsider, insider, organizer):
        await client.close()


def test_token_claims_and_uid_are_stable(video_event):
    from eventyay_video.tokens import ticket_uid, token_decode

    token = token_issue(event=video_event, uid="ticket:x", traits=["b", "a"], display_name="X", expires_in=60)
    user = token_decode(event=video_event, token=token)
    assert (user.uid, user.name, user.traits) == ("ticket:x", "X", frozenset({"a", "b"}))
    first = ticket_uid(event=video_event, order_code="ABC12", positionid=1)
    assert first == ticket_uid(event=video_event, order_code="ABC12", positionid=1)
    assert first != ticket_uid(event=video_event, order_code="ABC12", positionid=2)
    assert "ABC12" not in first


async def test_a_failing_action_answers_server_error_and_keeps_the_socket(
    ws, room, token_for, monkeypatch, caplog
):
    from eventyay_video.consumers import VideoConsumer

    async def broken(consumer, payload):
        raise RuntimeError("database table is locked")

    monkeypatch.setitem(VideoConsumer.ACTIONS, "room.enter", broken)
    client = ws()
    await client.connect()
    await client.authenticate(token_for(uid="ticket:alice"))
    failed = await client.call("room.enter", {"room": room.pk})
    assert failed[0] == "error" and failed[2] == {"code": "server.error"}
    assert "the action room.enter failed" in caplog.text
    # The socket and its other requests go on.
    await client.send("ping", 1)
    assert await client.receive() == ["pong", 1]
    await client.close()
