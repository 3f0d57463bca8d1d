"""Even out keep-alive HTTP connections between the worker processes of one server.

gunicorn's workers accept connections from one shared socket. When many clients connect at
once (a ticket sale opening, a deploy, a proxy opening its upstream connections), the worker
whose event loop wakes first accepts most of them, and keep-alive keeps them there: in the ticket
rush bench one worker of four held 13 to 18 of 32 connections, and its clients waited two to
three times as long as the others'. The operating system has no "least connections" choice for
a shared socket, so the workers do it themselves:

- Each worker publishes how many HTTP connections it holds in a table of shared memory that the
  master maps before it forks them (:class:`ConnectionShare`).
- A worker holding more than its fair share (the total divided by the live workers, rounded up)
  plus one answers one request at a time with ``Connection: close`` (:class:`ShedOverShare`).
  The one connection of slack keeps the workers from passing connections back and forth
  when the total does not divide evenly. The client
  connects again, as HTTP clients and proxies do, and the kernel hands the new connection to
  whichever worker accepts it, which is most often one with fewer connections.

Websocket connections are not counted and never closed: their load is what they receive.
"""

from __future__ import annotations

import math
import mmap
import os
import struct
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: Per worker: pid, open HTTP connections, time of the last update (``time.monotonic``).
_SLOT = struct.Struct("qqd")


class ConnectionShare:
    """The workers' connection counts, in anonymous shared memory inherited across ``fork``.

    Create it in the master (at import of the worker class); each worker then :meth:`claim`\\ s a
    slot and :meth:`publish`\\ es its count a few times a second. A slot not updated for
    ``stale_after`` seconds belongs to a worker that is gone (killed, recycled) and is ignored.
    """

    def __init__(self, slots: int = 256, stale_after: float = 2.0) -> None:
        self.slots = slots
        self.stale_after = stale_after
        self.memory = mmap.mmap(-1, _SLOT.size * slots)
        self.index: int | None = None
        #: This worker's connections as last published, less those it has closed since.
        self.mine = 0
        #: Connections a worker may hold before it closes one; None until known.
        self.fair: int | None = None
        self._shed_since_publish = False

    def claim(self, hint: int = 0) -> int:
        """Take a free slot (starting at ``hint``, e.g. gunicorn's worker age) for this process."""
        now = time.monotonic()
        for step in range(self.slots):
            index = (hint + step) % self.slots
            pid, _count, updated = self._read(index)
            if pid == 0 or pid == os.getpid() or now - updated > self.stale_after:
                self.index = index
                self._write(0)
                return index
        raise RuntimeError("no free slot for this worker in the connection table")

    def release(self) -> None:
        if self.index is not None:
            self.memory[self._offset(self.index) : self._offset(self.index) + _SLOT.size] = bytes(_SLOT.size)
            self.index = None

    def publish(self, connections: int) -> None:
        """Record this worker's count and work out the fair share from every live worker's."""
        if self.index is None:
            return
        now = time.monotonic()
        self._write(connections, now)
        total = live = 0
        # Twenty times a second in every worker: one pass of C over the table, not a call per slot.
        for pid, count, updated in _SLOT.iter_unpack(self.memory):
            if pid and now - updated <= self.stale_after:
                total += count
                live += 1
        self.mine = connections
        self.fair = math.ceil(total / live) if live else None
        self._shed_since_publish = False

    def should_shed(self) -> bool:
        """Whether to close the connection of the request being answered.

        At most one connection per publication: the count is only known again at the next one,
        and closing several at once would overshoot.
        """
        if self.fair is None or self._shed_since_publish or self.mine <= self.fair + 1:
            return False
        self._shed_since_publish = True
        self.mine -= 1
        return True

    def _offset(self, index: int) -> int:
        return index * _SLOT.size

    def _read(self, index: int) -> tuple[int, int, float]:
        return _SLOT.unpack_from(self.memory, self._offset(index))

    def _write(self, connections: int, now: float | None = None) -> None:
        assert self.index is not None
        _SLOT.pack_into(
            self.memory,
            self._offset(self.index),
            os.getpid(),
            connections,
            time.monotonic() if now is None else now,
        )


class ShedOverShare:
    """ASGI middleware: ``Connection: close`` on an HTTP answer while the worker is over its share."""

    def __init__(self, app: ASGIApp, share: ConnectionShare) -> None:
        self.app = app
        self.share = share

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.share.should_shed():
            await self.app(scope, receive, send)
            return

        async def send_closing(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (name, value)
                    for name, value in message.get("headers", [])
                    if name.lower() != b"connection"
                ]
                message = {**message, "headers": [*headers, (b"connection", b"close")]}
            await send(message)

        await self.app(scope, receive, send_closing)
