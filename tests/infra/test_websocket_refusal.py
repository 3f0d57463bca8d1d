"""Refused websocket handshakes end at once and never touch the channel layer."""

from __future__ import annotations

import channels.consumer
import pytest
from channels.testing import WebsocketCommunicator

from eventyay.config.asgi import application

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def layer_untouched(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record every use of the channel layer a refusal might make."""
    used: list[str] = []

    def record(alias: str = "default") -> None:
        used.append(alias)

    # Every consumer asks for its layer here when it starts.
    monkeypatch.setattr(channels.consumer, "get_channel_layer", record)
    return used


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("/ws/no-such-route/", []),
        ("/ws/no-such-route/", [(b"origin", b"http://testserver")]),
        ("/ws/event/any/thing/", [(b"origin", b"https://evil.example")]),
        ("/ws/event/any/thing/", [(b"origin", b"http://[broken")]),
    ],
)
async def test_a_refused_handshake_ends_the_application_without_the_channel_layer(
    path: str, headers: list[tuple[bytes, bytes]], layer_untouched: list[str]
) -> None:
    socket = WebsocketCommunicator(application, path, headers=headers)
    connected, status = await socket.connect()
    assert (connected, status) == (False, 1000)
    # Nothing of the refused connection is left running: no consumer waits on a channel.
    await socket.wait(timeout=1)
    assert layer_untouched == []
