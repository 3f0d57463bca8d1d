"""Per-process fan-out of broadcasts to this process's websockets.

Each event loop (one per server process) has one :class:`Hub`. The hub owns ONE channel-layer
channel: it adds that channel to a group when the first local socket joins the group and
discards it when the last one leaves. A broadcast therefore costs one layer message per
process, not one per socket, and the layer's per-channel bookkeeping (the in-memory layer
scans all its channels on every receive) stays independent of the number of sockets.

The hub hands the already encoded frame, as one shared ASGI message, to each local member.
Every socket writes through its own :class:`Outbox` (a bounded queue drained by a task of its
own), so a socket that does not read only delays itself; when its queue overflows it is
closed with :data:`SLOW_CLOSE_CODE`.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from channels.layers import BaseChannelLayer, get_channel_layer

logger = logging.getLogger(__name__)

FRAME_TYPE = "video.frame"
KICK_TYPE = "video.kick"

#: Close code (and reason) of a socket whose client does not read its frames fast enough.
SLOW_CLOSE_CODE = 4429
SLOW_CLOSE_REASON = "too slow: frames not read"

ASGIMessage = dict[str, Any]

#: Seconds the hub waits for the channel layer to add its channel to a group or take it out.
#: The layer's connections have no timeout of their own (see the ``CHANNEL_LAYERS`` settings),
#: and the hub does these calls one at a time, so one unanswered call would hold every socket
#: of the process that joins or leaves a group meanwhile.
LAYER_TIMEOUT = 5.0


class LayerUnavailable(Exception):
    """The channel layer did not add the hub's channel to a group in time (or failed to)."""


class Member(Protocol):
    """A local socket as the hub sees it (the websocket consumer)."""

    @property
    def uid(self) -> str | None: ...

    def deliver(self, message: ASGIMessage) -> None:
        """Queue an ASGI ``websocket.send`` message for the socket; must not block."""

    def kick(self, code: str, close_code: int) -> None:
        """Tell the socket's user ``code`` and close the socket with ``close_code``; must not block."""


class Outbox:
    """Messages for one socket, written in order; ``put`` never waits for the client.

    A message for an idle socket is written at once: the ASGI ``send`` coroutine is stepped
    in place and, for a client that keeps up, completes without suspending (no task per
    message). Only when a write has to wait (the client does not read and the server's
    buffer is full) does a task take it over and drain later messages from a queue. More than
    ``limit`` waiting messages mean the client does not read: the queue is dropped and the
    socket closed with :data:`SLOW_CLOSE_CODE`.
    """

    def __init__(self, send: Callable[[ASGIMessage], Awaitable[None]], *, limit: int) -> None:
        self._send = send
        self._queue: deque[ASGIMessage] = deque()
        self._writer: asyncio.Task[None] | None = None
        self.limit = limit
        self.closing = False

    def __len__(self) -> int:
        return len(self._queue)

    def put(self, message: ASGIMessage) -> None:
        if self.closing:
            return
        if self._writer is None and not self._queue:
            self._write_now(message)
        elif len(self._queue) >= self.limit:
            logger.info("closing a websocket that does not read its frames (%d waiting)", len(self._queue))
            self._stop_writer()
            self.close(SLOW_CLOSE_CODE, SLOW_CLOSE_REASON)
        else:
            self._queue.append(message)
            if self._writer is None:
                self._writer = asyncio.get_running_loop().create_task(self._drain(None, None))

    def put_text(self, text: str) -> None:
        self.put({"type": "websocket.send", "text": text})

    def close(self, code: int, reason: str = "") -> None:
        """Close the socket once the messages queued before have been written."""
        if self.closing:
            return
        message: ASGIMessage = {"type": "websocket.close", "code": code}
        if reason:
            message["reason"] = reason
        self.put(message)
        self.closing = True

    def discard(self) -> None:
        """The socket is gone: drop what is waiting and stop writing."""
        self.closing = True
        self._stop_writer()

    def _stop_writer(self) -> None:
        self._queue.clear()
        if self._writer is not None:
            self._writer.cancel()
            self._writer = None

    def _write_now(self, message: ASGIMessage) -> None:
        write = self._send(message)
        try:
            waiting_on = write.send(None)  # type: ignore[attr-defined]
        except StopIteration:
            return
        except Exception:  # the socket went away; nothing more can reach it
            self.closing = True
            return
        self._writer = asyncio.get_running_loop().create_task(self._drain(write, waiting_on))

    async def _drain(self, write: Any, waiting_on: Any) -> None:
        """Finish the suspended ``write`` (as a task would), then write what queued up meanwhile."""
        try:
            try:
                while write is not None:
                    if isinstance(waiting_on, asyncio.Future):
                        await asyncio.wait((waiting_on,))
                    else:
                        await asyncio.sleep(0)
                    waiting_on = write.send(None)
            except StopIteration:
                pass
            except BaseException:
                write.close()
                raise
            while self._queue:
                await self._send(self._queue.popleft())
        except Exception:  # the socket went away while we wrote
            self.closing = True
            self._queue.clear()
        finally:
            if self._writer is asyncio.current_task():
                self._writer = None


class Hub:
    """One process's subscription to the channel layer on behalf of all its sockets."""

    def __init__(self, layer: BaseChannelLayer) -> None:
        self.layer = layer
        #: Local members per group.
        self.groups: dict[str, set[Member]] = {}
        #: Groups the hub's channel belongs to on the layer.
        self.subscribed: set[str] = set()
        self.channel_name: str | None = None
        self._lock = asyncio.Lock()
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def running(self) -> bool:
        return self.channel_name is not None

    async def join(self, group: str, member: Member) -> None:
        """Deliver the broadcasts of ``group`` to ``member`` from now on.

        Raises :class:`LayerUnavailable` (``member`` is then not in the group) if the channel
        layer does not subscribe this process to the group within :data:`LAYER_TIMEOUT`.
        """
        self.groups.setdefault(group, set()).add(member)
        if group not in self.subscribed:
            async with self._lock:
                try:
                    await self._sync(group)
                except Exception as exc:
                    if _being_cancelled():
                        raise
                    self._forget(group, member)
                    self._stop_if_idle()
                    raise LayerUnavailable(f"joining {group} failed") from exc

    async def leave(self, group: str, member: Member) -> None:
        """Stop delivering ``group`` to ``member``; never raises for the layer's sake.

        If the layer does not answer, the process's channel stays in the group on the layer
        until the group expires; what still arrives for it reaches no member.
        """
        self._forget(group, member)
        if group in self.subscribed and group not in self.groups:
            async with self._lock:
                try:
                    await self._sync(group)
                except Exception:
                    if _being_cancelled():
                        raise
                    logger.warning(
                        "video fan-out: leaving group %s on the channel layer failed", group, exc_info=True
                    )
                    self._stop_if_idle()

    def _forget(self, group: str, member: Member) -> None:
        members = self.groups.get(group)
        if members is not None:
            members.discard(member)
            if not members:
                del self.groups[group]

    async def _sync(self, group: str) -> None:
        """Bring the layer's membership of ``group`` in line with the local one (under the lock)."""
        if group in self.groups and group not in self.subscribed:
            if self.channel_name is None:
                await self._start()
            assert self.channel_name is not None
            async with asyncio.timeout(LAYER_TIMEOUT):
                await self.layer.group_add(group, self.channel_name)
            self.subscribed.add(group)
        elif group not in self.groups and group in self.subscribed:
            assert self.channel_name is not None
            self.subscribed.discard(group)
            async with asyncio.timeout(LAYER_TIMEOUT):
                await self.layer.group_discard(group, self.channel_name)
        self._stop_if_idle()

    def _stop_if_idle(self) -> None:
        if not self.subscribed and not self.groups:
            self._stop()

    async def _start(self) -> None:
        channel_name = await self.layer.new_channel()
        self.channel_name = channel_name
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(self._read(channel_name)), loop.create_task(self._refresh())]

    def _stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        self._tasks = []
        self.channel_name = None

    async def _read(self, channel_name: str) -> None:
        while True:
            try:
                message = await self.layer.receive(channel_name)
            except asyncio.CancelledError:
                raise
            except Exception:
                if _being_cancelled():
                    raise asyncio.CancelledError from None
                logger.exception("video fan-out: receiving from the channel layer failed, retrying")
                await asyncio.sleep(1)
                continue
            self.dispatch(message)

    async def _refresh(self) -> None:
        """Renew the group memberships before the layer expires them (a day by default)."""
        interval = float(getattr(self.layer, "group_expiry", 86400)) / 4
        while True:
            await asyncio.sleep(interval)
            async with self._lock:
                for group in list(self.subscribed):
                    assert self.channel_name is not None
                    try:
                        async with asyncio.timeout(LAYER_TIMEOUT):
                            await self.layer.group_add(group, self.channel_name)
                    except Exception:
                        if _being_cancelled():
                            raise asyncio.CancelledError from None
                        logger.exception("video fan-out: renewing group %s failed", group)

    def dispatch(self, message: dict[str, Any]) -> None:
        """Hand one layer message to the local members of its group."""
        members = self.groups.get(message.get("group", ""))
        if not members:
            return
        kind = message.get("type")
        if kind == FRAME_TYPE:
            frame: ASGIMessage = {"type": "websocket.send", "text": message["text"]}
            for member in members:
                member.deliver(frame)
        elif kind == KICK_TYPE:
            uid, code = message.get("uid"), message.get("code", "auth.banned")
            close_code = int(message.get("close_code", 4403))
            for member in [m for m in members if uid is None or m.uid == uid]:
                member.kick(code, close_code)


_hubs: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Hub] = weakref.WeakKeyDictionary()


def hub() -> Hub:
    """The hub of the running event loop (created on first use; it runs while it has members)."""
    loop = asyncio.get_running_loop()
    found = _hubs.get(loop)
    if found is None:
        layer = get_channel_layer()
        if layer is None:
            raise RuntimeError("the video plugin needs CHANNEL_LAYERS to be configured")
        found = _hubs[loop] = Hub(layer)
    return found


def _being_cancelled() -> bool:
    """Whether the running task has been asked to stop.

    redis-py turns a cancellation that arrives while it waits for an answer into its own
    ``TimeoutError``; a loop that retries on errors must check this, or a cancelled reader
    retries forever and the event loop never finishes closing.
    """
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0
