"""The per-process fan-out hub: one layer message per process, delivered to every local socket."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import pytest
from channels.layers import InMemoryChannelLayer, channel_layers
from django.conf import settings
from eventyay_video import fanout, realtime
from eventyay_video.fanout import SLOW_CLOSE_CODE, Hub, Outbox

from .test_live import joined

pytestmark = pytest.mark.anyio


class CountingLayer(InMemoryChannelLayer):
    """The in-memory layer, recording every message it puts on a channel."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.sent: list[tuple[str, dict[str, Any]]] = []

    async def send(self, channel: str, message: dict[str, Any]) -> None:
        self.sent.append((channel, message))
        await super().send(channel, message)


class FakeSocket:
    """A hub member writing through a real :class:`Outbox` into a list (or never, if ``stuck``)."""

    def __init__(self, uid: str = "ticket:x", *, stuck: bool = False, limit: int = 100) -> None:
        self.uid = uid
        self.stuck = stuck
        self.written: list[dict[str, Any]] = []
        self.kicked: list[tuple[str, int]] = []
        self.outbox = Outbox(self._send, limit=limit)

    async def _send(self, message: dict[str, Any]) -> None:
        if self.stuck and message["type"] == "websocket.send":
            await asyncio.Event().wait()  # a client that never reads: the write never completes
        self.written.append(message)

    def deliver(self, message: dict[str, Any]) -> None:
        self.outbox.put(message)

    def kick(self, code: str, close_code: int) -> None:
        self.kicked.append((code, close_code))

    @property
    def texts(self) -> list[str]:
        return [m["text"] for m in self.written if m["type"] == "websocket.send"]


async def settle(condition: Any, timeout: float = 3) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "condition not reached in time"
        await asyncio.sleep(0.01)


@pytest.fixture
def counting_layer(monkeypatch: pytest.MonkeyPatch) -> CountingLayer:
    layer = CountingLayer()
    monkeypatch.setitem(channel_layers.backends, "default", layer)
    return layer


@pytest.mark.django_db(transaction=True)
async def test_two_sockets_get_a_broadcast_that_crossed_the_layer_once(counting_layer, ws, room, token_for):
    alice = await joined(ws, token_for(uid="ticket:alice", name="Alice"), room)
    bob = await joined(ws, token_for(uid="ticket:bob", name="Bob"), room)
    sent = await alice.ok("chat.send", {"channel": room.channel.pk, "content": "one message"})
    for client in (alice, bob):
        event = await client.receive_until("chat.event")
        assert event[1]["id"] == sent["id"]
    chat = realtime.chat_group(room.channel.pk)
    assert [
        message["group"] for _channel, message in counting_layer.sent if message.get("group") == chat
    ] == [chat]
    assert len(counting_layer.groups[chat]) == 1  # the process's hub, not the two sockets
    await alice.close()
    await bob.close()


@pytest.mark.django_db(transaction=True)
async def test_a_socket_that_left_the_chat_gets_no_more_messages(counting_layer, ws, room, token_for):
    alice = await joined(ws, token_for(uid="ticket:alice"), room)
    bob = await joined(ws, token_for(uid="ticket:bob"), room)
    await bob.ok("chat.leave", {"channel": room.channel.pk})
    await alice.ok("chat.send", {"channel": room.channel.pk, "content": "bob has gone"})
    assert (await alice.receive_until("chat.event"))[1]["text"] == "bob has gone"
    await asyncio.sleep(0.2)
    frames = list(bob.pending)
    while not await bob.communicator.receive_nothing(timeout=0.1):
        frames.append(json.loads(await bob.communicator.receive_from()))
    assert "chat.event" not in [frame[0] for frame in frames]
    await alice.close()
    await bob.close()
    hub = fanout.hub()
    await settle(lambda: not hub.running)
    assert hub.groups == {} and hub.subscribed == set()
    assert all(not members for members in counting_layer.groups.values())


async def test_a_socket_that_does_not_read_neither_holds_up_the_others_nor_grows_without_bound():
    layer = InMemoryChannelLayer()
    hub = Hub(layer)
    reader, stuck = FakeSocket("ticket:reader"), FakeSocket("ticket:stuck", stuck=True, limit=3)
    for member in (reader, stuck):
        await hub.join("video.room.1", member)
    for n in range(5):
        await layer.group_send("video.room.1", realtime.frame_message("video.room.1", "chat.event", n))
    await settle(lambda: len(reader.texts) == 5)
    assert reader.texts == [realtime.encode("chat.event", n) for n in range(5)]
    await settle(lambda: stuck.written)
    assert stuck.written == [
        {"type": "websocket.close", "code": SLOW_CLOSE_CODE, "reason": fanout.SLOW_CLOSE_REASON}
    ]
    assert len(stuck.outbox) == 0
    for member in (reader, stuck):
        await hub.leave("video.room.1", member)
    assert not hub.running


async def test_a_kick_reaches_only_the_sockets_of_that_user():
    layer = InMemoryChannelLayer()
    hub = Hub(layer)
    banned, other = FakeSocket("ticket:banned"), FakeSocket("ticket:other")
    for member in (banned, other):
        await hub.join("video.event.1", member)
    await layer.group_send(
        "video.event.1",
        {"type": fanout.KICK_TYPE, "group": "video.event.1", "uid": "ticket:banned", "code": "x"},
    )
    await settle(lambda: banned.kicked)
    assert banned.kicked == [("x", 4403)] and other.kicked == []
    for member in (banned, other):
        await hub.leave("video.event.1", member)


async def test_a_kick_without_uid_reaches_every_socket_of_the_event():
    layer = InMemoryChannelLayer()
    hub = Hub(layer)
    alice, bob, elsewhere = FakeSocket("ticket:a"), FakeSocket("ticket:b"), FakeSocket("ticket:a")
    for member in (alice, bob):
        await hub.join("video.event.1", member)
    await hub.join("video.event.2", elsewhere)
    await layer.group_send(
        "video.event.1",
        {"type": fanout.KICK_TYPE, "group": "video.event.1", "uid": None, "code": "y", "close_code": 4401},
    )
    await settle(lambda: alice.kicked and bob.kicked)
    assert alice.kicked == bob.kicked == [("y", 4401)] and elsewhere.kicked == []
    for member in (alice, bob):
        await hub.leave("video.event.1", member)
    await hub.leave("video.event.2", elsewhere)


async def test_group_memberships_are_renewed_before_the_layer_expires_them():
    layer = InMemoryChannelLayer(group_expiry=1)
    hub = Hub(layer)
    member = FakeSocket()
    await hub.join("video.room.1", member)
    await asyncio.sleep(2.5)
    await layer.group_send("video.room.1", realtime.frame_message("video.room.1", "still", "here"))
    await settle(lambda: member.texts)
    assert member.texts == [realtime.encode("still", "here")]
    await hub.leave("video.room.1", member)


@pytest.mark.services
async def test_processes_share_a_broadcast_through_redis_with_one_message_each():
    from channels_redis.core import RedisChannelLayer

    def process_layer() -> RedisChannelLayer:
        return RedisChannelLayer(**settings.CHANNEL_LAYERS["default"]["CONFIG"])

    group = f"video.chat.test-{uuid.uuid4().hex}"
    sender = process_layer()
    hubs = [Hub(process_layer()), Hub(process_layer())]
    sockets = [[FakeSocket(f"ticket:{h}{s}") for s in range(2)] for h in range(2)]
    for hub, members in zip(hubs, sockets, strict=True):
        for member in members:
            await hub.join(group, member)
    connection = sender.connection(sender.consistent_hash(group))
    assert len(await connection.zrange(sender._group_key(group), 0, -1)) == 2  # one channel per process
    await realtime_send(sender, group, "hello")
    for member in (m for members in sockets for m in members):
        await settle(lambda member=member: member.texts)
        assert member.texts == [realtime.encode("chat.event", "hello")]
    for member in sockets[0]:
        await hubs[0].leave(group, member)
    assert len(await connection.zrange(sender._group_key(group), 0, -1)) == 1
    await realtime_send(sender, group, "only the second process")
    await settle(lambda: len(sockets[1][0].texts) == 2)
    assert [len(m.texts) for m in sockets[0]] == [1, 1]
    for member in sockets[1]:
        await hubs[1].leave(group, member)
    for layer in (sender, *(hub.layer for hub in hubs)):
        await layer.close_pools()


@pytest.mark.services
async def test_an_idle_receiver_on_redis_keeps_receiving_without_errors(caplog):
    """The layer's receive blocks in Redis for ``brpop_timeout`` seconds at a time; the
    connection has no client-side read timeout, so an idle wait ends with Redis's empty answer,
    not a client-side timeout that the hub logs and recovers from a second later."""
    from channels_redis.core import RedisChannelLayer

    layer = RedisChannelLayer(**settings.CHANNEL_LAYERS["default"]["CONFIG"])
    hub = Hub(layer)
    member = FakeSocket()
    group = f"video.chat.test-{uuid.uuid4().hex}"
    await hub.join(group, member)
    # Two and a half blocking waits with nothing to receive.
    await asyncio.sleep(layer.brpop_timeout * 2.5)
    await realtime_send(layer, group, "after the quiet")
    await settle(lambda: member.texts, timeout=0.5)
    assert member.texts == [realtime.encode("chat.event", "after the quiet")]
    assert [r.getMessage() for r in caplog.records if r.name == fanout.__name__] == []
    await hub.leave(group, member)
    await layer.close_pools()


@pytest.mark.services
async def test_a_stopped_reader_on_redis_ends_at_once_wherever_its_wait_stood():
    """When the last member leaves, the hub cancels its reader, which is blocked in Redis; the
    reader must end then, whether its wait had just begun or was about to be answered, and not
    wait on in a new blocking receive (a leaked reader per idle period)."""
    from channels_redis.core import RedisChannelLayer

    layer = RedisChannelLayer(**settings.CHANNEL_LAYERS["default"]["CONFIG"])
    for moment in (0.0, 0.2, layer.brpop_timeout - 0.05, layer.brpop_timeout + 0.3):
        hub = Hub(layer)
        member = FakeSocket()
        group = f"video.chat.test-{uuid.uuid4().hex}"
        await hub.join(group, member)
        readers = list(hub._tasks)
        await asyncio.sleep(moment)
        await hub.leave(group, member)
        done, _pending = await asyncio.wait(readers, timeout=1)
        assert set(done) == set(readers), f"a reader stopped {moment} s into its wait did not end"
    await layer.close_pools()


async def realtime_send(layer: Any, group: str, payload: Any) -> None:
    await layer.group_send(group, realtime.frame_message(group, "chat.event", payload))


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_concurrent_chat_messages_are_broadcast_in_the_order_of_their_ids(room, monkeypatch):
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection
    from django_scopes import scope
    from eventyay_video import services
    from eventyay_video.tokens import VideoUser

    published: list[int] = []
    monkeypatch.setattr(
        realtime, "_send", lambda message: published.append(json.loads(message["text"])[1]["id"])
    )

    def send(n: int) -> int:
        try:
            with scope(organizer=room.event.organizer):
                user = VideoUser(uid=f"ticket:{n % 8}", name="Sender")
                return services.chat_message_send(
                    event=room.event, channel=room.channel, user=user, content=f"message {n}"
                ).pk
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = list(pool.map(send, range(80)))
    assert sorted(published) == sorted(ids)
    assert published == sorted(published)


async def test_a_cancelled_reader_stops_even_when_the_layer_turns_the_cancellation_into_an_error():
    """redis-py answers a cancellation during a read with its own TimeoutError; the hub's reader
    must still stop instead of retrying, or the event loop never finishes closing."""

    class TimeoutOnCancelLayer(InMemoryChannelLayer):
        async def receive(self, channel: str) -> dict[str, Any]:
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                raise TimeoutError("Timeout reading from 127.0.0.1:6379") from None
            raise AssertionError("not reached")

    hub = Hub(TimeoutOnCancelLayer())
    reader = asyncio.get_running_loop().create_task(hub._read("reader"))
    await asyncio.sleep(0.05)
    reader.cancel()
    done, _pending = await asyncio.wait({reader}, timeout=2)
    assert reader in done and reader.cancelled()


async def test_a_broadcast_gives_up_on_a_stalled_layer(monkeypatch):
    """The Redis layer has no client-side timeout; a publish must not wait for it for good."""

    class StalledLayer(InMemoryChannelLayer):
        async def group_send(self, group: str, message: dict[str, Any]) -> None:
            await asyncio.sleep(3600)

    monkeypatch.setattr(realtime, "get_channel_layer", StalledLayer)
    monkeypatch.setattr(realtime, "PUBLISH_TIMEOUT", 0.1)
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(5):
            await realtime.send_async(realtime.frame_message("video.chat.1", "chat.event", "hello"))
    assert loop.time() - started < 1


class GroupStallingLayer(InMemoryChannelLayer):
    """The in-memory layer, except that adding to or discarding from the groups named in
    ``stalled`` never answers (a Redis that accepts connections but does not reply)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.stalled: set[str] = set()

    async def group_add(self, group: str, channel: str) -> None:
        if group in self.stalled:
            await asyncio.sleep(3600)
        await super().group_add(group, channel)

    async def group_discard(self, group: str, channel: str) -> None:
        if group in self.stalled:
            await asyncio.sleep(3600)
        await super().group_discard(group, channel)


async def test_a_join_the_layer_does_not_answer_fails_in_time_and_holds_up_no_other_join(monkeypatch, caplog):
    monkeypatch.setattr(fanout, "LAYER_TIMEOUT", 0.2)
    layer = GroupStallingLayer()
    layer.stalled.add("video.stalled")
    hub = Hub(layer)
    stuck, other = FakeSocket("ticket:stuck"), FakeSocket("ticket:other")
    loop = asyncio.get_running_loop()
    started = loop.time()
    stuck_join = loop.create_task(hub.join("video.stalled", stuck))
    await asyncio.sleep(0)  # the stalled join holds the hub's lock now
    await hub.join("video.fine", other)  # waits for the lock, not for the stalled call
    with pytest.raises(fanout.LayerUnavailable):
        await stuck_join
    assert loop.time() - started < 1
    assert hub.groups == {"video.fine": {other}} and hub.subscribed == {"video.fine"}
    # Once the layer answers again, the same group can be joined.
    layer.stalled.clear()
    await hub.join("video.stalled", stuck)
    assert hub.subscribed == {"video.fine", "video.stalled"}
    # A leave the layer does not answer ends in time, without an error, and the hub stops.
    layer.stalled.update({"video.fine", "video.stalled"})
    await hub.leave("video.fine", other)
    await hub.leave("video.stalled", stuck)
    assert loop.time() - started < 2
    assert hub.groups == {} and hub.subscribed == set() and not hub.running
    assert "leaving group video.fine on the channel layer failed" in caplog.text


@pytest.mark.django_db(transaction=True)
async def test_a_socket_the_layer_cannot_take_into_its_groups_is_told_and_closed(
    monkeypatch, ws, token_for, video_event
):
    monkeypatch.setattr(fanout, "LAYER_TIMEOUT", 0.2)
    layer = GroupStallingLayer()
    layer.stalled.add(realtime.event_group(video_event.pk))
    monkeypatch.setitem(channel_layers.backends, "default", layer)
    client = ws()
    await client.connect()
    await client.send("authenticate", 1, {"token": token_for(uid="ticket:alice")})
    frame = await client.receive(timeout=3)
    assert frame == ["error", 1, {"code": "server.unavailable"}]
    closed = await client.communicator.receive_output(timeout=2)
    assert closed["type"] == "websocket.close" and closed["code"] == 1011
    hub = fanout.hub()
    assert realtime.event_group(video_event.pk) not in hub.groups
    await settle(lambda: not hub.running)
