from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable
from typing import Any

import pytest
from channels.layers import channel_layers
from channels.testing import WebsocketCommunicator
from django.core.cache import cache
from django_scopes import scope
from eventyay_video import services
from eventyay_video.auth_state import state_forget_local
from eventyay_video.consumers import VideoConsumer
from eventyay_video.models import Module
from eventyay_video.tokens import token_issue

from eventyay.config.asgi import application


@pytest.fixture(autouse=True)
def _fresh_realtime_state(monkeypatch: pytest.MonkeyPatch) -> None:
    cache.clear()
    # Event ids repeat between tests (the tables are emptied, the ids start again): a state
    # this process kept in memory for an earlier test's event must not answer for this one.
    state_forget_local()
    # Each test runs in an event loop of its own; the Redis channel layer keeps asyncio locks
    # that belong to the loop that first used them, and one left locked by an earlier test's
    # loop would fail or stall this one ("bound to a different event loop"). A layer per test,
    # as a server process has one per loop.
    channel_layers.backends.clear()
    VideoConsumer.flood.recent.clear()
    monkeypatch.setattr(VideoConsumer, "viewers_throttle", 0.05)


@pytest.fixture
def video_event(make_event: Callable[..., Any]) -> Any:
    return make_event(slug="online", plugins=["video"])


@pytest.fixture
def make_room(video_event: Any) -> Callable[..., Any]:
    def factory(
        name: str = "Main stage", traits: list[str] | None = None, kinds: tuple[str, ...] = ()
    ) -> Any:
        with scope(organizer=video_event.organizer):
            room = services.room_save(event=video_event, data={"name": name, "traits": traits or []})
            for order, kind in enumerate(
                kinds or (Module.Kind.CHAT, Module.Kind.POLLS, Module.Kind.QUESTIONS)
            ):
                services.module_save(room=room, kind=kind, config={}, order=order)
            return room

    return factory


@pytest.fixture
def room(make_room: Callable[..., Any]) -> Any:
    return make_room()


@pytest.fixture
def token_for(video_event: Any) -> Callable[..., str]:
    def factory(
        uid: str = "ticket:alice", traits: tuple[str, ...] = ("attendee",), name: str = "", **kwargs: Any
    ) -> str:
        return token_issue(event=video_event, uid=uid, traits=traits, display_name=name or uid, **kwargs)

    return factory


class Client:
    def __init__(self, organizer: str, event: str) -> None:
        self.communicator = WebsocketCommunicator(
            application, f"/ws/event/{organizer}/{event}/", headers=[(b"origin", b"http://testserver")]
        )
        self.next_id = 0
        # Broadcasts that arrive while ``call`` waits for its reply are kept here, in order,
        # so that a later ``receive_until`` still sees them: the server may send a broadcast
        # before or after the reply to the request that caused it.
        self.pending: deque[list[Any]] = deque()

    async def connect(self) -> None:
        connected, _subprotocol = await self.communicator.connect()
        assert connected

    async def send(self, *frame: Any) -> None:
        await self.communicator.send_to(text_data=json.dumps(list(frame)))

    async def receive(self, timeout: float = 2) -> list[Any]:
        if self.pending:
            return self.pending.popleft()
        return json.loads(await self.communicator.receive_from(timeout=timeout))

    async def receive_until(
        self, name: str, timeout: float = 2, where: Callable[[Any], bool] | None = None
    ) -> list[Any]:
        """Skip frames until one named ``name`` (whose payload satisfies ``where``) arrives."""
        while True:
            frame = await self.receive(timeout)
            if frame[0] == name and (where is None or where(frame[1])):
                return frame

    async def call(self, action: str, payload: dict[str, Any] | None = None) -> list[Any]:
        """Send a request and return its reply frame; broadcasts in between stay pending."""
        self.next_id += 1
        request_id = self.next_id
        await self.send(action, request_id, payload or {})
        while True:
            frame = json.loads(await self.communicator.receive_from(timeout=2))
            if frame[0] in ("success", "error") and frame[1] == request_id:
                return frame
            self.pending.append(frame)

    async def ok(self, action: str, payload: dict[str, Any] | None = None) -> Any:
        frame = await self.call(action, payload)
        assert frame[0] == "success", frame
        return frame[2]

    async def authenticate(self, token: str) -> dict[str, Any]:
        await self.send("authenticate", {"token": token})
        frame = await self.receive()
        assert frame[0] == "authenticated", frame
        return frame[1]

    async def nothing_more(self) -> bool:
        if self.pending:
            return False
        return await self.communicator.receive_nothing(timeout=0.2)

    async def close(self) -> None:
        await self.communicator.disconnect()


@pytest.fixture
def ws(video_event: Any) -> Callable[..., Client]:
    """``client = ws()``: a protocol client for the video event (``ws(organizer, event)`` for others)."""

    def factory(organizer: str | None = None, event: str | None = None) -> Client:
        return Client(organizer or video_event.organizer.slug, event or video_event.slug)

    return factory


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
