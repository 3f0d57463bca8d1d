"""Group names and frames of the websocket protocol, and publishing to them after commit.

A broadcast is encoded to text once by the sender and travels as one channel-layer message
per server process (see :mod:`eventyay_video.fanout`); each process forwards the same string
to its sockets, so fan-out costs no per-recipient serialisation or database work.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import threading
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from eventyay_video.fanout import FRAME_TYPE, KICK_TYPE

#: Seconds a broadcast may wait for the channel layer. The Redis layer's connections have no
#: timeout of their own (see ``CHANNEL_LAYERS`` in the settings), and the request thread that
#: publishes must not hang on a stalled Redis.
PUBLISH_TIMEOUT = 5.0


def event_group(event_id: int) -> str:
    return f"video.event.{event_id}"


def room_group(room_id: int) -> str:
    return f"video.room.{room_id}"


def chat_group(channel_id: int) -> str:
    return f"video.chat.{channel_id}"


def user_group(event_id: int, uid: str) -> str:
    """All sockets of one user on the event (uids may hold characters group names may not)."""
    return f"video.user.{event_id}.{hashlib.sha256(uid.encode()).hexdigest()[:32]}"


def moderator_group(event_id: int) -> str:
    """Sockets of the event's moderators (of any room): reports of users reach them here."""
    return f"video.moderators.{event_id}"


def encode(*parts: Any) -> str:
    return json.dumps(list(parts), separators=(",", ":"), ensure_ascii=False)


def frame_message(group: str, name: str, payload: Any) -> dict[str, Any]:
    """The layer message that makes every socket in ``group`` receive ``[name, payload]``."""
    return {"type": FRAME_TYPE, "group": group, "text": encode(name, payload)}


async def send_async(message: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is not None:
        async with asyncio.timeout(PUBLISH_TIMEOUT):
            await layer.group_send(message["group"], message)


def _send(message: dict[str, Any]) -> None:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        async_to_sync(send_async)(message)
        return
    # Sync code running in a thread whose event loop is busy (a sync test driving a browser, a
    # management command inside an async runner): async_to_sync refuses to block that loop,
    # so the message goes out from a thread of its own.
    sender = threading.Thread(target=async_to_sync(send_async), args=(message,), name="video-publish")
    sender.start()
    sender.join()


def publish(group: str, name: str, payload: Any) -> None:
    """Broadcast ``[name, payload]`` to ``group`` once the current transaction commits."""
    message = frame_message(group, name, payload)
    transaction.on_commit(lambda: _send(message))


def kick(*, event_id: int, uid: str | None, code: str, close_code: int = 4403) -> None:
    """Close every connection of ``uid`` (of everyone when None) on the event, after commit,
    with error ``code`` and websocket close code ``close_code``."""
    message = {
        "type": KICK_TYPE,
        "group": event_group(event_id),
        "uid": uid,
        "code": code,
        "close_code": close_code,
    }
    transaction.on_commit(lambda: _send(message))
