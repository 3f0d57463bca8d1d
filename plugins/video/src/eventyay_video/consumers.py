"""The websocket endpoint ``/ws/event/<organizer>/<event>/``.

Frames are JSON arrays: requests ``[action, id, payload]``, replies ``["success", id, result]``
or ``["error", id, {"code": ...}]``, broadcasts ``[name, payload]``. The consumer is thin: it
checks the protocol and the caller's rights and calls selectors and services inside the
organizer's scope; services broadcast after commit.

Close codes: 4404 unknown event, 4403 banned, 4401 the token expired or was revoked (checked
when authenticating, then every ``VIDEO_TOKEN_CHECK_INTERVAL`` seconds and at expiry), 4429
too slow (see :mod:`eventyay_video.fanout`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from functools import wraps
from typing import Any

from asgiref.sync import sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.sessions import InstanceSessionWrapper
from django.conf import settings
from django.core.cache import cache
from django.db import close_old_connections, connections
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from eventyay.base.models import Event
from eventyay_video import (
    auth_state,
    bbb,
    exhibition,
    fanout,
    people,
    realtime,
    roulette,
    selectors,
    services,
)
from eventyay_video.auth_state import VideoState
from eventyay_video.exhibition_consumer import EXHIBITION_ACTIONS, ExhibitionActions
from eventyay_video.models import ChatChannel, Module, Restriction, Room
from eventyay_video.services import TOKEN_CLOSE_CODE, VideoError
from eventyay_video.tokens import TokenError, VideoUser, token_decode

logger = logging.getLogger(__name__)

MAX_FRAME_BYTES = 16 * 1024
#: Close code of a socket the channel layer could not take into a group ("internal error":
#: clients reconnect after it, and the next attempt may find the layer answering again).
LAYER_FAILED_CLOSE_CODE = 1011
#: How the rights-refresh frame of :func:`eventyay_video.exhibition.rights_changed` begins.
RIGHTS_FRAME_START = realtime.encode(exhibition.RIGHTS_FRAME, {})[:-3]


def token_check_interval() -> float:
    """Seconds between two checks of an open socket's token for revocation."""
    return float(getattr(settings, "VIDEO_TOKEN_CHECK_INTERVAL", 30))


def viewers_key(room_id: int) -> str:
    return f"eventyay_video:viewers:{room_id}"


#: Database work of all consumers of this process runs on this small pool: a few connections
#: shared by thousands of sockets (one thread, and so one connection, per consumer would
#: exhaust the database). SQLite gets one thread, as it serialises writers anyway.
DB_EXECUTOR = ThreadPoolExecutor(
    max_workers=4 if settings.DATABASE_IS_POSTGRES else 1, thread_name_prefix="eventyay-video-db"
)


#: Without a connection pool (SQLite) the pool thread keeps its connection between calls:
#: opening one costs more than most of the queries run on it. With a pool, connections go back
#: to it after each call, so that HTTP requests of the same process find one.
KEEP_CONNECTIONS = "pool" not in settings.DATABASES["default"].get("OPTIONS", {})


def _release_connections() -> None:
    if not KEEP_CONNECTIONS:
        close_old_connections()
        return
    for conn in connections.all(initialized_only=True):
        if conn.connection is None:
            continue
        if conn.get_autocommit() != conn.settings_dict["AUTOCOMMIT"] or (
            conn.errors_occurred and not conn.is_usable()
        ):
            conn.close()
        conn.errors_occurred = False


def _db_call(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    _release_connections()
    try:
        return func(*args, **kwargs)
    finally:
        _release_connections()


async def run_db(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run ``func`` on the database pool; broken or (with a pool) used connections are released."""
    return await sync_to_async(_db_call, thread_sensitive=False, executor=DB_EXECUTOR)(func, *args, **kwargs)


def in_scope(func: Callable[..., Any]) -> Callable[..., Awaitable[Any]]:
    """Run a method on the database pool, inside the organizer's django-scopes scope."""

    def scoped(self: VideoConsumer, *args: Any, **kwargs: Any) -> Any:
        with scope(organizer=self.event.organizer):
            return func(self, *args, **kwargs)

    @wraps(func)
    async def call(self: VideoConsumer, *args: Any, **kwargs: Any) -> Any:
        return await run_db(scoped, self, *args, **kwargs)

    return call


def frame_send(
    send: Callable[[dict[str, Any]], Awaitable[None]],
) -> Callable[[dict[str, Any]], Awaitable[None]]:
    """The server's own ``send`` under Channels' session middleware, which wraps it to save
    sessions and set cookies on HTTP responses; websocket frames need neither, and skipping
    the wrapper saves its session checks on every frame of every socket."""
    if isinstance(getattr(send, "__self__", None), InstanceSessionWrapper):
        return send.__self__.real_send  # type: ignore[attr-defined, no-any-return]
    return send


class FloodControl:
    """At most ``limit`` writes per ``window`` seconds per user, across this process."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self.recent: dict[str, deque[float]] = defaultdict(deque)

    def allow(self, uid: str) -> bool:
        now = time.monotonic()
        recent = self.recent[uid]
        while recent and recent[0] <= now - self.window:
            recent.popleft()
        if len(recent) >= self.limit:
            return False
        recent.append(now)
        return True


class VideoConsumer(ExhibitionActions, AsyncWebsocketConsumer):
    #: Sockets get broadcasts from their process's fan-out hub, not through a channel-layer
    #: channel of their own (an alias that names no layer gives them none).
    channel_layer_alias = "video-sockets-use-the-fanout-hub"
    #: Frames that may wait for a socket before it is closed as too slow.
    outbox_limit = 1000
    #: Seconds between two ``room.viewers`` broadcasts of one room (across processes).
    viewers_throttle = 2.0
    #: Seconds between two stored viewer samples of one room.
    sample_interval = 60
    flood = FloodControl(limit=5, window=5.0)

    event: Event
    user: VideoUser | None

    async def connect(self) -> None:
        self.user = None
        self.entered: set[int] = set()
        self.joined: dict[int, ChatChannel] = {}
        self.visible_rooms: frozenset[int] = frozenset()
        self.moderates_all = False
        self.moderated_rooms: frozenset[int] = frozenset()
        self.groups_joined: set[str] = set()
        #: Rooms whose roulette this socket joined; it leaves them when it closes.
        self.roulette_rooms: set[int] = set()
        self.token_watch: asyncio.Task[None] | None = None
        self.outbox = fanout.Outbox(frame_send(self.base_send), limit=self.outbox_limit)
        self.hub = fanout.hub()
        kwargs = self.scope["url_route"]["kwargs"]
        await self.accept()
        event = await self._load_event(kwargs.get("organizer", ""), kwargs.get("event", ""))
        if event is None:
            await self.send(text_data=realtime.encode("error", None, {"code": "event.unknown_event"}))
            await self.close(code=4404)
            return
        self.event = event

    async def _load_event(self, organizer_slug: str, event_slug: str) -> Event | None:
        return await run_db(auth_state.event_by_slugs, organizer_slug, event_slug)

    async def disconnect(self, code: int) -> None:
        if self.token_watch is not None:
            self.token_watch.cancel()
        for room_id in list(self.entered):
            await self._viewer_left(room_id)
        for room_id in list(self.roulette_rooms):
            await self._roulette_stop(room_id)
        for group in list(self.groups_joined):
            await self._leave_group(group)
        self.outbox.discard()

    # --- framing ---------------------------------------------------------------------------------

    async def send(
        self, text_data: str | None = None, bytes_data: bytes | None = None, close: bool = False
    ) -> None:
        """Queue a frame for the socket (written in order by its outbox; never waits for the client)."""
        if text_data is not None:
            self.outbox.put_text(text_data)
        if close:
            await self.close()

    async def close(self, code: int | None = None, reason: str | None = None) -> None:
        self.outbox.close(1000 if code is None or code is True else code, reason or "")

    async def reply(self, request_id: Any, result: Any) -> None:
        await self.send(text_data=realtime.encode("success", request_id, result))

    async def error(self, request_id: Any, code: str, **extra: Any) -> None:
        await self.send(text_data=realtime.encode("error", request_id, {"code": code, **extra}))

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if not hasattr(self, "event"):
            return
        if text_data is None or len(text_data) > MAX_FRAME_BYTES:
            await self.error(None, "protocol.invalid")
            return
        try:
            frame = json.loads(text_data)
        except ValueError:
            await self.error(None, "protocol.invalid")
            return
        if not isinstance(frame, list) or not frame or not isinstance(frame[0], str):
            await self.error(None, "protocol.invalid")
            return
        action = frame[0]
        if action == "ping":
            await self.send(text_data=realtime.encode("pong", *frame[1:2]))
            return
        if action == "authenticate":
            try:
                await self.authenticate(frame)
            except fanout.LayerUnavailable:
                self._layer_failed(frame[1] if len(frame) > 2 else None)
            return
        request_id = frame[1] if len(frame) > 1 else None
        payload = frame[2] if len(frame) > 2 else {}
        if self.user is None:
            await self.error(request_id, "protocol.unauthenticated")
            return
        handler = self.ACTIONS.get(action)
        if handler is None:
            await self.error(request_id, "protocol.unknown_command")
            return
        if not isinstance(payload, dict):
            await self.error(request_id, "protocol.invalid")
            return
        try:
            result = await handler(self, payload)
        except VideoError as exc:
            await self.error(request_id, exc.code, **({"detail": exc.detail} if exc.detail else {}))
            return
        except fanout.LayerUnavailable:
            self._layer_failed(request_id)
            return
        except Exception:
            # A bug or a database hiccup fails this request, not the socket and its other ones.
            logger.exception("video: the action %s failed", action)
            await self.error(request_id, "server.error")
            return
        await self.reply(request_id, result)

    def _layer_failed(self, request_id: Any) -> None:
        """The channel layer did not take this socket into a group: the socket would miss
        broadcasts, so it is closed (1011) and the client connects again."""
        logger.warning("video: the channel layer did not answer; closing a socket", exc_info=True)
        self.outbox.put_text(realtime.encode("error", request_id, {"code": "server.unavailable"}))
        self.outbox.close(LAYER_FAILED_CLOSE_CODE)

    # --- authentication --------------------------------------------------------------------------

    async def authenticate(self, frame: list[Any]) -> None:
        """``["authenticate", {"token"}]`` (reply ``["authenticated", ...]``) or with a request id."""
        request_id, payload = (
            (frame[1], frame[2]) if len(frame) > 2 else (None, frame[1] if len(frame) > 1 else {})
        )
        token = payload.get("token") if isinstance(payload, dict) else None
        try:
            user = token_decode(event=self.event, token=token)
        except TokenError as exc:
            await self.error(request_id, exc.code)
            return
        if not self.event.live and not user.is_organizer:
            # Switched off: only the team may still be in, as on the attendee page.
            await self.error(request_id, "event.unknown_event")
            await self.close(code=4404)
            return
        try:
            welcome = await self._welcome(user)
        except VideoError as exc:
            await self.error(request_id, exc.code)
            if exc.code == "auth.banned":
                await self.close(code=4403)
            return
        self.user = user
        if self.token_watch is not None:
            self.token_watch.cancel()
        self.token_watch = asyncio.get_running_loop().create_task(self._watch_token(user))
        await self._join_group(realtime.event_group(self.event.pk))
        await self._join_group(realtime.user_group(self.event.pk, user.uid))
        if self.moderates_all or self.moderated_rooms:
            await self._join_group(realtime.moderator_group(self.event.pk))
        if request_id is None:
            await self.send(text_data=realtime.encode("authenticated", welcome))
        else:
            await self.reply(request_id, welcome)

    @in_scope
    def _state(self) -> VideoState:
        """The event's cached state (see :mod:`eventyay_video.auth_state`): no query when warm."""
        return auth_state.event_state(self.event)

    async def _welcome(self, user: VideoUser) -> dict[str, Any]:
        state = await self._state()
        if state.restriction_of(user.uid) == Restriction.Kind.BAN:
            raise VideoError("auth.banned")
        if state.token_revoked(user):
            raise VideoError("auth.revoked_token")
        self.moderates_all, self.moderated_rooms = state.moderation_rights(user)
        rooms = [room for room in state.rooms if selectors.user_may_enter(room, user)]
        self.visible_rooms = frozenset(room.pk for room in rooms)
        return {
            "user": {**user.as_dict(), "moderator": self.moderates_all},
            "rooms": [
                selectors.room_dict(r, user=user, moderator=self.is_moderator(r.pk), with_modules=False)
                for r in rooms
            ],
            "announcements": [selectors.announcement_dict(a) for a in state.announcements],
        }

    async def _watch_token(self, user: VideoUser) -> None:
        """Close the socket when its token expires, or when a periodic check finds it revoked.

        Revocations also close sockets at once through a kick; this check covers a kick that
        never arrived (a process restarting its fan-out, a lost layer message).
        """
        interval = token_check_interval()
        while True:
            left = user.expires_at - time.time()
            if left <= 0:
                self.kick("auth.expired_token", TOKEN_CLOSE_CODE)
                return
            await asyncio.sleep(min(interval, left))
            if time.time() >= user.expires_at:
                continue
            try:
                revoked = await self._token_revoked(user)
            except Exception:
                # A database or cache hiccup must not end every open session; check again later.
                logger.exception("video: checking a token for revocation failed")
                continue
            if revoked:
                self.kick("auth.revoked_token", TOKEN_CLOSE_CODE)
                return

    async def _token_revoked(self, user: VideoUser) -> bool:
        return (await self._state()).token_revoked(user)

    def is_moderator(self, room_id: int | None) -> bool:
        """Moderators of all rooms moderate a room-less chat channel (``room_id`` None) too."""
        return self.moderates_all or room_id in self.moderated_rooms

    @in_scope
    def run_scoped(self, func: Callable[..., Any], *args: Any) -> Any:
        """``func(*args)`` on the database pool, inside the organizer's scope (for action mixins)."""
        return func(*args)

    async def _join_group(self, group: str) -> None:
        if group not in self.groups_joined:
            # Noted before the wait, so that a socket closed meanwhile leaves the group again.
            self.groups_joined.add(group)
            try:
                await self.hub.join(group, self)
            except fanout.LayerUnavailable:
                self.groups_joined.discard(group)
                raise

    async def _leave_group(self, group: str) -> None:
        if group in self.groups_joined:
            self.groups_joined.discard(group)
            await self.hub.leave(group, self)

    # --- the hub's calls (fanout.Member) ---------------------------------------------------------

    @property
    def uid(self) -> str | None:
        return self.user.uid if self.user is not None else None

    def deliver(self, message: fanout.ASGIMessage) -> None:
        if message.get("text", "").startswith(RIGHTS_FRAME_START):
            # Not for the client as is: the socket reloads its rights and tells the client those.
            task = asyncio.get_running_loop().create_task(self._rights_refresh())
            _background.add(task)
            task.add_done_callback(_background.discard)
            return
        self.outbox.put(message)

    async def _rights_refresh(self) -> None:
        """Take up the user's current moderation rights (booth staff included) without reconnecting."""
        if self.user is None:
            return
        state = await self._state()
        self.moderates_all, self.moderated_rooms = state.moderation_rights(self.user)
        moderator_group = realtime.moderator_group(self.event.pk)
        if self.moderates_all or self.moderated_rooms:
            try:
                await self._join_group(moderator_group)
            except fanout.LayerUnavailable:
                self._layer_failed(None)
                return
        else:
            await self._leave_group(moderator_group)
        staffed = await self._staff_refresh()
        await self.send(
            text_data=realtime.encode(
                exhibition.RIGHTS_FRAME,
                {
                    "moderator": self.moderates_all,
                    "moderated_rooms": sorted(self.moderated_rooms),
                    "staff": staffed,
                },
            )
        )

    def kick(self, code: str, close_code: int = 4403) -> None:
        self.outbox.put_text(realtime.encode("error", None, {"code": code}))
        self.outbox.close(close_code)

    # --- rooms -----------------------------------------------------------------------------------

    def _visible_room(self, room_id: int) -> Room:
        """A room the user may enter, from the event's state (call on the database pool)."""
        assert self.user is not None
        room = auth_state.event_state(self.event).room(room_id)
        if room is None or not selectors.user_may_enter(room, self.user):
            raise VideoError("room.unknown")
        return room

    def _room_id(self, payload: dict[str, Any]) -> int:
        try:
            room_id = int(payload["room"])
        except (KeyError, TypeError, ValueError):
            raise VideoError("room.unknown")
        if room_id not in self.visible_rooms:
            raise VideoError("room.unknown")
        return room_id

    @in_scope
    def _room_details(self, room_id: int, *, count_viewer: bool) -> tuple[dict[str, Any], bool]:
        """The room as the user sees it; counts them as a viewer in the same thread hop."""
        assert self.user is not None
        room = self._visible_room(room_id)
        schedule = selectors.room_schedule(event=self.event, room=room, now=timezone.now())
        details = selectors.room_dict(
            room, user=self.user, moderator=self.is_moderator(room.pk), schedule=schedule
        )
        key = viewers_key(room_id)
        if not count_viewer:
            details["viewers"] = cache.get(key, 0)
            return details, False
        cache.add(key, 0, timeout=None)
        details["viewers"] = cache.incr(key)
        return details, self._claim_viewers_broadcast(room_id)

    async def room_enter(self, payload: dict[str, Any]) -> dict[str, Any]:
        room_id = self._room_id(payload)
        details, broadcast = await self._room_details(room_id, count_viewer=room_id not in self.entered)
        self.entered.add(room_id)
        await self._join_group(realtime.room_group(room_id))
        if broadcast:
            self._broadcast_viewers_later(room_id)
        return {"room": details}

    async def room_leave(self, payload: dict[str, Any]) -> dict[str, Any]:
        room_id = self._room_id(payload)
        await self._leave_group(realtime.room_group(room_id))
        if room_id in self.entered:
            self.entered.discard(room_id)
            await self._viewer_left(room_id)
        return {}

    def _claim_viewers_broadcast(self, room_id: int) -> bool:
        """Coalesce viewer changes: one broadcast per room and throttle window, over all processes."""
        return cache.add(f"eventyay_video:viewers-pending:{room_id}", 1, timeout=self.viewers_throttle)

    def _count_leaving(self, room_id: int) -> bool:
        try:
            cache.decr(viewers_key(room_id))
        except ValueError:
            return False
        return self._claim_viewers_broadcast(room_id)

    async def _viewer_left(self, room_id: int) -> None:
        if await run_db(self._count_leaving, room_id):
            self._broadcast_viewers_later(room_id)

    def _broadcast_viewers_later(self, room_id: int) -> None:
        task = asyncio.get_running_loop().create_task(
            broadcast_viewers(
                room_id=room_id, delay=self.viewers_throttle, sample_interval=self.sample_interval
            )
        )
        _background.add(task)
        task.add_done_callback(_background.discard)

    # --- chat ------------------------------------------------------------------------------------

    async def _channel(self, channel_id: Any) -> ChatChannel:
        try:
            channel_id = int(channel_id)
        except (TypeError, ValueError):
            raise VideoError("chat.unknown_channel")
        room = (await self._state()).room_of_channel(channel_id)
        if room is None:
            # Not a room's chat: a direct-message channel of this user, or nothing they may see.
            direct = await self._direct_channel(channel_id)
            if direct is None:
                direct = await self.run_scoped(self.poster_channel, channel_id)
            if direct is None:
                raise VideoError("chat.unknown_channel")
            return direct
        if room.pk not in self.visible_rooms:
            raise VideoError("chat.unknown_channel")
        # The event's own instance (organizer loaded), so services need no query for it.
        return ChatChannel(pk=channel_id, event=self.event, room=room)

    @in_scope
    def _direct_channel(self, channel_id: int) -> ChatChannel | None:
        assert self.user is not None
        channel = people.direct_channel_of(event=self.event, channel_id=channel_id, uid=self.user.uid)
        if channel is not None:
            channel.event = self.event
        return channel

    async def _joined_or_load(self, channel_id: Any) -> ChatChannel:
        """A channel the socket joined, else loaded (and its visibility checked) from the database."""
        if isinstance(channel_id, int) and channel_id in self.joined:
            return self.joined[channel_id]
        return await self._channel(channel_id)

    def _joined_channel(self, payload: dict[str, Any]) -> ChatChannel:
        try:
            return self.joined[int(payload["channel"])]
        except (TypeError, ValueError, KeyError):
            raise VideoError("chat.not_joined")

    @in_scope
    def _history(self, channel: ChatChannel, payload: dict[str, Any]) -> dict[str, Any]:
        try:
            history = selectors.chat_history(
                channel=channel,
                # ``before_id`` is venueless's name for it.
                before=payload.get("before", payload.get("before_id")),
                after=payload.get("after"),
                count=payload.get("count", selectors.HISTORY_PAGE),
            )
        except ValueError:
            raise VideoError("protocol.invalid")
        people.messages_with_profile_names(event=self.event, messages=history["messages"])
        return history

    async def chat_join(self, payload: dict[str, Any]) -> dict[str, Any]:
        channel = await self._channel(payload.get("channel"))
        if not channel.direct_first:  # direct messages come through the user's group
            await self._join_group(realtime.chat_group(channel.pk))
        self.joined[channel.pk] = channel
        return await self._history(channel, payload)

    async def chat_leave(self, payload: dict[str, Any]) -> dict[str, Any]:
        channel = self._joined_channel(payload)
        await self._leave_group(realtime.chat_group(channel.pk))
        self.joined.pop(channel.pk, None)
        return {}

    async def chat_fetch(self, payload: dict[str, Any]) -> dict[str, Any]:
        channel = await self._joined_or_load(payload.get("channel"))
        return await self._history(channel, payload)

    def _check_flood(self) -> None:
        assert self.user is not None
        if not self.flood.allow(self.user.uid):
            raise VideoError("chat.flood")

    @in_scope
    def _send_message(self, channel: ChatChannel, payload: dict[str, Any]) -> dict[str, Any]:
        assert self.user is not None
        message = services.chat_message_send(
            event=self.event,
            channel=channel,
            # New messages go out (and are stored) under the sender's profile name.
            user=people.as_profile_name(event=self.event, user=self.user)
            if payload.get("replaces") is None
            else self.user,
            content=payload.get("content"),
            event_type=payload.get("event_type"),
            replaces=payload.get("replaces"),
            moderator=channel.room_id is not None and self.is_moderator(channel.room_id),
        )
        replaces = message.pk if payload.get("replaces") is not None else None
        # ``id`` for our clients, ``event`` for venueless ones.
        return {"id": message.pk, "event": selectors.message_dict(message, replaces=replaces)}

    async def chat_send(self, payload: dict[str, Any]) -> dict[str, Any]:
        """``{"channel", "content"}`` with a string, or venueless's ``{"channel", "event_type":
        "channel.message", "content": {"type": "text", "body"}, "replaces"?}``."""
        channel = self._joined_channel(payload)
        content = payload.get("content")
        if isinstance(content, str) and len(content) > services.MESSAGE_MAX_LENGTH:
            raise VideoError("chat.too_long")
        self._check_flood()
        return await self._send_message(channel, payload)

    @in_scope
    def _react(self, channel: ChatChannel, payload: dict[str, Any]) -> dict[str, Any]:
        assert self.user is not None
        # Venueless names the message ``event`` and the emoji ``reaction``, with a ``delete`` flag.
        venueless = "reaction" in payload
        message = services.chat_message_react(
            channel=channel,
            user=self.user,
            message_id=payload.get("event") if venueless else payload.get("message"),
            emoji=payload.get("reaction") if venueless else payload.get("emoji"),
            present=not payload.get("delete", False) if venueless else None,
        )
        return {"id": message.pk}

    async def chat_react(self, payload: dict[str, Any]) -> dict[str, Any]:
        return await self._react(self._joined_channel(payload), payload)

    @in_scope
    def _delete(self, channel: ChatChannel, payload: dict[str, Any]) -> dict[str, Any]:
        assert self.user is not None
        message = services.chat_message_delete(
            channel=channel, message_id=payload.get("message"), by=self.user.uid
        )
        return {"id": message.pk}

    async def chat_delete(self, payload: dict[str, Any]) -> dict[str, Any]:
        channel = await self._joined_or_load(payload.get("channel"))
        if not self.is_moderator(channel.room_id):
            raise VideoError("auth.denied")
        return await self._delete(channel, payload)

    # --- polls -----------------------------------------------------------------------------------

    def _moderated_room_ids(self) -> frozenset[int]:
        return self.visible_rooms if self.moderates_all else self.moderated_rooms & self.visible_rooms

    @in_scope
    def _polls(self, room_id: int) -> dict[str, Any]:
        assert self.user is not None
        room = self._visible_room(room_id)
        return {"polls": selectors.polls_for_room(room=room, uid=self.user.uid)}

    async def poll_list(self, payload: dict[str, Any]) -> dict[str, Any]:
        return await self._polls(self._room_id(payload))

    @in_scope
    def _poll_create(self, room_id: int, payload: dict[str, Any]) -> dict[str, Any]:
        assert self.user is not None
        room = self._visible_room(room_id)
        poll = services.poll_create(
            room=room, question=payload.get("question"), options=payload.get("options"), by=self.user.uid
        )
        return {"id": poll.pk}

    async def poll_create(self, payload: dict[str, Any]) -> dict[str, Any]:
        room_id = self._room_id(payload)
        if not self.is_moderator(room_id):
            raise VideoError("auth.denied")
        return await self._poll_create(room_id, payload)

    @in_scope
    def _poll_vote(self, payload: dict[str, Any]) -> dict[str, Any]:
        assert self.user is not None
        poll = services.poll_vote(
            event=self.event,
            room_ids=self.visible_rooms,
            user=self.user,
            poll_id=payload.get("poll"),
            option_id=payload.get("option"),
        )
        return {"id": poll.pk}

    async def poll_vote(self, payload: dict[str, Any]) -> dict[str, Any]:
        return await self._poll_vote(payload)

    @in_scope
    def _poll_close(self, payload: dict[str, Any]) -> dict[str, Any]:
        assert self.user is not None
        poll = services.poll_close(
            room_ids=self._moderated_room_ids(), poll_id=payload.get("poll"), by=self.user.uid
        )
        return {"id": poll.pk}

    async def poll_close(self, payload: dict[str, Any]) -> dict[str, Any]:
        if not self._moderated_room_ids():
            raise VideoError("auth.denied")
        return await self._poll_close(payload)

    # --- questions -------------------------------------------------------------------------------

    @in_scope
    def _question_ask(self, room_id: int, content: Any) -> dict[str, Any]:
        assert self.user is not None
        room = self._visible_room(room_id)
        question = services.question_ask(event=self.event, room=room, user=self.user, content=content)
        return {"id": question.pk}

    async def question_ask(self, payload: dict[str, Any]) -> dict[str, Any]:
        room_id = self._room_id(payload)
        self._check_flood()
        return await self._question_ask(room_id, payload.get("content"))

    @in_scope
    def _question_vote(self, payload: dict[str, Any]) -> dict[str, Any]:
        assert self.user is not None
        question = services.question_vote(
            room_ids=self.visible_rooms, user=self.user, question_id=payload.get("question")
        )
        return {"id": question.pk}

    async def question_vote(self, payload: dict[str, Any]) -> dict[str, Any]:
        return await self._question_vote(payload)

    @in_scope
    def _questions(self, room_id: int) -> dict[str, Any]:
        assert self.user is not None
        room = self._visible_room(room_id)
        return {
            "questions": selectors.questions_for_room(
                room=room, uid=self.user.uid, moderator=self.is_moderator(room_id)
            )
        }

    async def question_list(self, payload: dict[str, Any]) -> dict[str, Any]:
        return await self._questions(self._room_id(payload))

    @in_scope
    def _question_pin(self, payload: dict[str, Any]) -> dict[str, Any]:
        assert self.user is not None
        question = services.question_moderate(
            room_ids=self._moderated_room_ids(),
            question_id=payload.get("question"),
            pinned=bool(payload.get("pinned", True)),
            by=self.user.uid,
        )
        return {"id": question.pk}

    async def question_pin(self, payload: dict[str, Any]) -> dict[str, Any]:
        if not self._moderated_room_ids():
            raise VideoError("auth.denied")
        return await self._question_pin(payload)

    @in_scope
    def _bbb_room_url(self, room_id: int) -> dict[str, Any]:
        assert self.user is not None
        room = self._visible_room(room_id)
        module = next((m for m in room.modules.all() if m.kind == Module.Kind.CALL_BBB), None)
        if module is None:
            raise VideoError("room.unknown")
        try:
            url = bbb.room_join_url(
                room=room,
                config=module.config or {},
                user=self.user,
                room_moderator=self.is_moderator(room_id),
            )
        except bbb.BBBError as exc:
            logger.warning("No BigBlueButton join link for room %s: %s", room_id, exc)
            raise VideoError("bbb.unavailable")
        return {"url": url}

    async def bbb_room_url(self, payload: dict[str, Any]) -> dict[str, Any]:
        return await self._bbb_room_url(self._room_id(payload))

    # --- people: profiles, direct messages, blocking, reports ------------------------------------

    @in_scope
    def _profile_update(self, payload: dict[str, Any]) -> dict[str, Any]:
        assert self.user is not None
        profile = people.profile_update(
            event=self.event,
            user=self.user,
            profile=payload.get("profile"),
            accepts_direct_messages=payload.get("accepts_direct_messages"),
        )
        return people.profile_dict(profile)

    async def user_update(self, payload: dict[str, Any]) -> dict[str, Any]:
        return await self._profile_update(payload)

    @in_scope
    def _profile_fetch(self, payload: dict[str, Any]) -> dict[str, Any]:
        assert self.user is not None
        if "ids" in payload:
            return people.profiles_fetch(event=self.event, uids=payload["ids"])
        uid = payload.get("id", self.user.uid)
        if uid == self.user.uid:
            return people.profile_of(event=self.event, user=self.user)
        return people.profile_fetch(event=self.event, uid=uid)

    async def user_fetch(self, payload: dict[str, Any]) -> dict[str, Any]:
        return await self._profile_fetch(payload)

    @in_scope
    def _block(self, payload: dict[str, Any], *, blocked: bool) -> dict[str, Any]:
        assert self.user is not None
        if blocked:
            people.user_block(event=self.event, user=self.user, uid=payload.get("id"))
        else:
            people.user_unblock(event=self.event, user=self.user, uid=payload.get("id"))
        return {}

    async def user_block(self, payload: dict[str, Any]) -> dict[str, Any]:
        return await self._block(payload, blocked=True)

    async def user_unblock(self, payload: dict[str, Any]) -> dict[str, Any]:
        return await self._block(payload, blocked=False)

    @in_scope
    def _blocked(self) -> dict[str, Any]:
        assert self.user is not None
        return {"users": people.blocked_users(event=self.event, user=self.user)}

    async def user_list_blocked(self, payload: dict[str, Any]) -> dict[str, Any]:
        return await self._blocked()

    @in_scope
    def _report(self, channel: ChatChannel | None, payload: dict[str, Any]) -> dict[str, Any]:
        assert self.user is not None
        report = people.user_report(
            event=self.event,
            user=self.user,
            uid=payload.get("id"),
            reason=payload.get("reason"),
            channel=channel,
            message_id=payload.get("message"),
        )
        return {"id": report.pk}

    async def user_report(self, payload: dict[str, Any]) -> dict[str, Any]:
        channel = None
        if payload.get("message") is not None:
            channel = await self._joined_or_load(payload.get("channel"))
        self._check_flood()
        return await self._report(channel, payload)

    @in_scope
    def _reports(self) -> dict[str, Any]:
        return {"reports": people.reports_open(event=self.event)}

    async def user_report_list(self, payload: dict[str, Any]) -> dict[str, Any]:
        if not (self.moderates_all or self.moderated_rooms):
            raise VideoError("auth.denied")
        return await self._reports()

    @in_scope
    def _direct_open(self, payload: dict[str, Any]) -> ChatChannel:
        assert self.user is not None
        channel = people.direct_channel_open(event=self.event, user=self.user, users=payload.get("users"))
        channel.event = self.event
        return channel

    async def chat_direct_create(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Open (or find) the direct-message channel with one user and join it, like ``chat.join``
        (its messages reach the user's sockets through the user's group, joined when authenticating)."""
        channel = await self._direct_open(payload)
        self.joined[channel.pk] = channel
        history = await self._history(channel, {})
        return {**people.direct_channel_dict(channel), **history}

    @in_scope
    def _direct_list(self) -> dict[str, Any]:
        assert self.user is not None
        return {"channels": people.direct_channels(event=self.event, user=self.user)}

    async def chat_direct_list(self, payload: dict[str, Any]) -> dict[str, Any]:
        return await self._direct_list()

    # --- networking roulette ---------------------------------------------------------------------

    @in_scope
    def _roulette_start(self, room_id: int) -> dict[str, Any]:
        assert self.user is not None
        request = roulette.roulette_start(room=self._visible_room(room_id), user=self.user)
        return roulette.request_dict(request)

    async def roulette_start(self, payload: dict[str, Any]) -> dict[str, Any]:
        room_id = self._room_id(payload)
        assert self.user is not None
        # Joined before queueing, so that a match made at once reaches this socket too.
        await self._join_group(roulette.roulette_group(room_id, self.user.uid))
        self.roulette_rooms.add(room_id)
        return await self._roulette_start(room_id)

    @in_scope
    def _roulette_skip(self, room_id: int) -> dict[str, Any]:
        assert self.user is not None
        request = roulette.roulette_skip(room=self._visible_room(room_id), user=self.user)
        return roulette.request_dict(request)

    async def roulette_skip(self, payload: dict[str, Any]) -> dict[str, Any]:
        return await self._roulette_skip(self._room_id(payload))

    @in_scope
    def _roulette_leave(self, room_id: int) -> None:
        assert self.user is not None
        roulette.roulette_stop(room=self._visible_room(room_id), uid=self.user.uid)

    async def _roulette_stop(self, room_id: int) -> None:
        self.roulette_rooms.discard(room_id)
        # A room deleted (or hidden from the user) meanwhile answers room.unknown: no queue to leave.
        with contextlib.suppress(VideoError):
            await self._roulette_leave(room_id)
        if self.user is not None:
            await self._leave_group(roulette.roulette_group(room_id, self.user.uid))

    async def roulette_stop(self, payload: dict[str, Any]) -> dict[str, Any]:
        await self._roulette_stop(self._room_id(payload))
        return {}

    ACTIONS: dict[str, Callable[[VideoConsumer, dict[str, Any]], Awaitable[dict[str, Any]]]] = {
        "room.enter": room_enter,
        "room.leave": room_leave,
        "chat.join": chat_join,
        "chat.leave": chat_leave,
        "chat.send": chat_send,
        "chat.fetch": chat_fetch,
        "chat.react": chat_react,
        "chat.delete": chat_delete,
        "chat.direct.create": chat_direct_create,
        "chat.direct.list": chat_direct_list,
        "user.update": user_update,
        "user.fetch": user_fetch,
        "user.block": user_block,
        "user.unblock": user_unblock,
        "user.list.blocked": user_list_blocked,
        "user.report": user_report,
        "user.report.list": user_report_list,
        "poll.list": poll_list,
        "poll.create": poll_create,
        "poll.vote": poll_vote,
        "poll.close": poll_close,
        "question.ask": question_ask,
        "question.vote": question_vote,
        "question.list": question_list,
        "question.pin": question_pin,
        "bbb.room_url": bbb_room_url,
        "roulette.start": roulette_start,
        "roulette.skip": roulette_skip,
        "roulette.stop": roulette_stop,
        **EXHIBITION_ACTIONS,
    }


#: Viewer broadcasts under way (the event loop keeps only weak references to tasks).
_background: set[asyncio.Task[None]] = set()


async def broadcast_viewers(*, room_id: int, delay: float, sample_interval: int) -> None:
    """After ``delay``, send the room's current viewer count once; store a sample now and then."""
    await asyncio.sleep(delay)
    count = max(0, int(await cache.aget(viewers_key(room_id), 0) or 0))
    await realtime.send_async(
        realtime.frame_message(
            realtime.room_group(room_id), "room.viewers", {"room": room_id, "count": count}
        )
    )
    if await cache.aadd(f"eventyay_video:viewers-sampled:{room_id}", 1, timeout=sample_interval):
        await run_db(_record_sample, room_id, count)


def _record_sample(room_id: int, count: int) -> None:
    with scopes_disabled():
        services.viewer_sample_record(room_id=room_id, count=count)
