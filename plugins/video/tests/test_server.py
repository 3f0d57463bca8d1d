"""A real websocket client against uvicorn serving the project's ASGI application.

Runs on the real services: PostgreSQL (the test database) and the Redis channel layer, so
the server process and the test share data and fan-out goes through channels-redis.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import pytest
import websockets

from eventyay.testing import servers

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def asgi_server(tmp_path) -> Iterator[str]:
    with servers.asgi_server(servers.services_env(tmp_path), log=tmp_path / "server.log") as base:
        yield base.removeprefix("http://")


class Peer:
    def __init__(self, connection) -> None:
        self.connection = connection
        self.next_id = 0

    async def receive_until(self, name: str) -> list:
        while True:
            frame = json.loads(await asyncio.wait_for(self.connection.recv(), 10))
            if frame[0] == name:
                return frame

    async def call(self, action: str, payload: dict) -> list:
        self.next_id += 1
        await self.connection.send(json.dumps([action, self.next_id, payload]))
        while True:
            frame = json.loads(await asyncio.wait_for(self.connection.recv(), 10))
            if frame[0] in ("success", "error") and frame[1] == self.next_id:
                return frame


async def open_peer(base: str, path: str, token: str | None) -> Peer:
    connection = await websockets.connect(f"ws://{base}{path}", origin=f"http://{base}")
    peer = Peer(connection)
    if token:
        await connection.send(json.dumps(["authenticate", {"token": token}]))
        assert (await peer.receive_until("authenticated"))[0] == "authenticated"
    return peer


def test_real_clients_chat_through_uvicorn_and_redis(asgi_server, video_event, room, token_for):
    path = f"/ws/event/{video_event.organizer.slug}/{video_event.slug}/"

    async def scenario() -> None:
        anonymous = await open_peer(asgi_server, path, None)
        await anonymous.connection.send(json.dumps(["ping", 1]))
        assert json.loads(await anonymous.connection.recv()) == ["pong", 1]
        assert (await anonymous.call("chat.join", {"channel": room.channel.pk}))[2] == {
            "code": "protocol.unauthenticated"
        }
        await anonymous.connection.send(json.dumps(["authenticate", {"token": "forged"}]))
        assert (await anonymous.receive_until("error"))[2] == {"code": "auth.invalid_token"}
        await anonymous.connection.close()

        alice = await open_peer(asgi_server, path, token_for(uid="ticket:alice", name="Alice"))
        bob = await open_peer(asgi_server, path, token_for(uid="ticket:bob", name="Bob"))
        for peer in (alice, bob):
            assert (await peer.call("room.enter", {"room": room.pk}))[0] == "success"
            assert (await peer.call("chat.join", {"channel": room.channel.pk}))[0] == "success"
        sent = await alice.call("chat.send", {"channel": room.channel.pk, "content": "over the wire"})
        assert sent[0] == "success"
        event = await bob.receive_until("chat.event")
        assert event[1]["id"] == sent[2]["id"] and event[1]["sender"]["name"] == "Alice"
        history = await bob.call("chat.fetch", {"channel": room.channel.pk})
        assert [m["text"] for m in history[2]["messages"]] == ["over the wire"]
        viewers = await bob.receive_until("room.viewers")
        assert viewers[1]["room"] == room.pk and viewers[1]["count"] >= 1
        await alice.connection.close()
        await bob.connection.close()

        unknown = await open_peer(asgi_server, f"/ws/event/{video_event.organizer.slug}/nope/", None)
        assert json.loads(await unknown.connection.recv())[2] == {"code": "event.unknown_event"}
        with pytest.raises(websockets.ConnectionClosed):
            await asyncio.wait_for(unknown.connection.recv(), 5)

    asyncio.run(scenario())
