"""Networking roulette: attendees of a networking room are matched in pairs for a video call.

A user asks to be matched (:func:`roulette_start`) and waits in the room's queue. Whenever the
queue changes, the waiting users are paired greedily, oldest first: the user waiting longest
gets the longest-waiting partner they may meet, then the next unpaired one, and so on, so
nobody stays waiting while a partner they may meet waits too. Two users may not meet when
either blocked the other, or when they were each other's last partner (skipping someone must
not bring them straight back).

The queue of a room changes under one lock across all server processes: a transaction-level
PostgreSQL advisory lock per room (which also works behind PgBouncer in transaction mode), or
a process lock with SQLite, which has one process. Calls are opened after the queue's
transaction committed, so slow video servers never hold the lock: a Janus videoroom when the
event has an active Janus server, else a Jitsi meeting (no configuration needed). Both partners
then receive ``roulette.match``; when one skips or leaves, the other receives
``roulette.ended`` and waits for the next partner.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import secrets
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from eventyay_video import janus, realtime
from eventyay_video.models import Module, Room, RouletteCall, RouletteRequest, UserBlock
from eventyay_video.services import VideoError
from eventyay_video.tokens import VideoUser

logger = logging.getLogger(__name__)

#: First key of the PostgreSQL advisory locks of roulette queues ("vid1"; chat uses "vid0").
ROULETTE_LOCK = 0x76696431
#: Used when a networking module names no Jitsi server of its own.
DEFAULT_JITSI_URL = "https://meet.jit.si/"

_sqlite_lock = threading.RLock()


def roulette_group(room_id: int, uid: str) -> str:
    """The websocket group of one user's roulette in one room (uids may hold any character)."""
    digest = hashlib.sha256(uid.encode()).hexdigest()[:32]
    return f"video.roulette.{room_id}.{digest}"


def networking_module(room: Room) -> Module | None:
    """The room's networking roulette module, or None when the room has none."""
    for module in room.modules.all():
        if module.kind == Module.Kind.NETWORKING_ROULETTE:
            return module
    return None


def blocked_pairs(*, event_id: int, uids: Iterable[str]) -> set[frozenset[str]]:
    """The pairs among ``uids`` in which one user blocked the other (one query)."""
    uids = list(uids)
    if len(uids) < 2:
        return set()
    rows = UserBlock.objects.filter(event_id=event_id, uid__in=uids, blocked_uid__in=uids).values_list(
        "uid", "blocked_uid"
    )
    return {frozenset(row) for row in rows}


def is_blocked(*, event_id: int, a: str, b: str) -> bool:
    """Whether ``a`` blocked ``b`` or ``b`` blocked ``a``: then they are never matched."""
    return UserBlock.objects.filter(
        Q(uid=a, blocked_uid=b) | Q(uid=b, blocked_uid=a), event_id=event_id
    ).exists()


@contextlib.contextmanager
def _queue_lock(room: Room) -> Iterator[None]:
    """A transaction that holds ``room``'s queue across processes (PostgreSQL); with SQLite
    the caller holds :func:`_sqlite_serialized` already."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [ROULETTE_LOCK, room.pk])
        yield


@contextlib.contextmanager
def _sqlite_serialized() -> Iterator[None]:
    """With SQLite (one process), one roulette change at a time, including its follow-ups:
    SQLite locks whole tables, so a thread reading the queue while another writes it would
    fail instead of waiting."""
    if connection.vendor == "postgresql":
        yield
        return
    with _sqlite_lock:
        yield


@dataclass
class _Changes:
    """What a queue change leaves to do after its commit."""

    matches: list[tuple[RouletteRequest, RouletteRequest]]
    ended_calls: list[RouletteCall]
    #: (uid, reason) of partners whose match ended by the other's skip or leave.
    left_alone: list[tuple[str, str]]


def _compatible(a: RouletteRequest, b: RouletteRequest, blocked: set[frozenset[str]]) -> bool:
    if a.last_partner_uid == b.uid or b.last_partner_uid == a.uid:
        return False
    return frozenset((a.uid, b.uid)) not in blocked


def _match_waiting(room: Room) -> list[tuple[RouletteRequest, RouletteRequest]]:
    """Pair the room's waiting users, oldest first (call with the queue lock held)."""
    waiting = list(
        RouletteRequest.objects.filter(room=room, state=RouletteRequest.State.WAITING).order_by(
            "waiting_since", "pk"
        )
    )
    blocked = blocked_pairs(event_id=room.event_id, uids=[r.uid for r in waiting])
    paired: set[int] = set()
    matches: list[tuple[RouletteRequest, RouletteRequest]] = []
    for index, first in enumerate(waiting):
        if first.pk in paired:
            continue
        for second in waiting[index + 1 :]:
            if second.pk not in paired and _compatible(first, second, blocked):
                paired.update((first.pk, second.pk))
                matches.append((first, second))
                break
    for first, second in matches:
        call = RouletteCall.objects.create(room=room)
        for me, partner in ((first, second), (second, first)):
            me.state = RouletteRequest.State.MATCHED
            me.partner_uid = partner.uid
            me.last_partner_uid = partner.uid
            me.call = call
            me.save(update_fields=["state", "partner_uid", "last_partner_uid", "call"])
    return matches


def _end_match(room: Room, request: RouletteRequest, changes: _Changes, reason: str) -> None:
    """End ``request``'s match: the partner goes back to the queue (with the lock held)."""
    if request.state != RouletteRequest.State.MATCHED:
        return
    partner = RouletteRequest.objects.filter(
        room=room, uid=request.partner_uid, partner_uid=request.uid, state=RouletteRequest.State.MATCHED
    ).first()
    now = timezone.now()
    if partner is not None:
        partner.state = RouletteRequest.State.WAITING
        partner.partner_uid = ""
        partner.waiting_since = now
        partner.call = None
        partner.save(update_fields=["state", "partner_uid", "waiting_since", "call"])
        changes.left_alone.append((partner.uid, reason))
    if request.call is not None and request.call.ended is None:
        request.call.ended = now
        request.call.save(update_fields=["ended"])
        changes.ended_calls.append(request.call)
    request.partner_uid = ""
    request.call = None


def _request_of(room: Room, uid: str) -> RouletteRequest:
    request = RouletteRequest.objects.select_related("call").filter(room=room, uid=uid).first()
    if request is None or request.state == RouletteRequest.State.LEFT:
        raise VideoError("roulette.not_started")
    return request


def roulette_start(*, room: Room, user: VideoUser) -> RouletteRequest:
    """Put ``user`` into ``room``'s queue (a matched user stays matched) and match the queue."""
    with _sqlite_serialized():
        if networking_module(room) is None:
            raise VideoError("roulette.unavailable")
        changes = _Changes([], [], [])
        with _queue_lock(room):
            request, _created = RouletteRequest.objects.get_or_create(
                room=room, uid=user.uid, defaults={"name": user.name, "waiting_since": timezone.now()}
            )
            if request.state != RouletteRequest.State.MATCHED:
                request.state = RouletteRequest.State.WAITING
                request.name = user.name
                request.waiting_since = timezone.now()
                request.save(update_fields=["state", "name", "waiting_since"])
                changes.matches = _match_waiting(room)
        _after_commit(room, changes)
        request.refresh_from_db()
        return request


def roulette_skip(*, room: Room, user: VideoUser) -> RouletteRequest:
    """End ``user``'s current match (if any) and queue both partners again."""
    with _sqlite_serialized():
        changes = _Changes([], [], [])
        with _queue_lock(room):
            request = _request_of(room, user.uid)
            if request.state == RouletteRequest.State.MATCHED:
                _end_match(room, request, changes, "skipped")
                # Queued after the partner it skipped, who goes first.
                request.waiting_since = timezone.now()
            request.state = RouletteRequest.State.WAITING
            request.save(update_fields=["state", "partner_uid", "waiting_since", "call"])
            changes.matches = _match_waiting(room)
        _after_commit(room, changes)
        request.refresh_from_db()
        return request


def roulette_stop(*, room: Room, uid: str) -> None:
    """Take ``uid`` out of ``room``'s roulette; a partner goes back to the queue."""
    with _sqlite_serialized():
        changes = _Changes([], [], [])
        with _queue_lock(room):
            try:
                request = _request_of(room, uid)
            except VideoError:
                return
            _end_match(room, request, changes, "left")
            request.state = RouletteRequest.State.LEFT
            request.save(update_fields=["state", "partner_uid", "call"])
            changes.matches = _match_waiting(room)
        _after_commit(room, changes)


def call_dict(call: RouletteCall | None) -> dict[str, Any] | None:
    """How the partners join the call (never the Janus room's secret nor the API secret).

    A Janus call names the server's URL (browsers use the HTTP transport there), the room, its
    PIN and a token signed for the videoroom plugin (empty when the server needs none).
    """
    if call is None:
        return None
    if call.janus_room is not None and call.janus_server is not None:
        try:
            token = janus.janus_browser_token(call.janus_server)
        except janus.JanusError:
            logger.warning("video: no browser token for Janus server %s", call.janus_server_id, exc_info=True)
            token = ""
        return {
            "type": "janus",
            "server": call.janus_server.url,
            "room": call.janus_room,
            "pin": call.janus_pin,
            "token": token,
        }
    if call.jitsi_url:
        return {"type": "jitsi", "url": call.jitsi_url}
    return None


def match_dict(request: RouletteRequest) -> dict[str, Any]:
    """The ``roulette.match`` payload for ``request``'s user."""
    partner = RouletteRequest.objects.filter(room_id=request.room_id, uid=request.partner_uid).first()
    return {
        "room": request.room_id,
        "partner": {"uid": request.partner_uid, "name": partner.name if partner else request.partner_uid},
        "call": call_dict(request.call),
    }


def request_dict(request: RouletteRequest) -> dict[str, Any]:
    """The answer to ``roulette.start`` and ``roulette.skip``."""
    if request.state == RouletteRequest.State.MATCHED and request.call and call_dict(request.call):
        return {"state": "matched", "match": match_dict(request)}
    return {"state": "waiting"}


def _jitsi_url(room: Room) -> str:
    module = networking_module(room)
    base = str((module.config or {}).get("jitsi_url") or DEFAULT_JITSI_URL) if module else DEFAULT_JITSI_URL
    return base.rstrip("/") + "/eventyay-" + secrets.token_hex(12)


def _open_call(room: Room, call: RouletteCall) -> RouletteCall | None:
    """Give ``call`` a Janus videoroom, or a Jitsi meeting when no Janus server can host it;
    None when the match ended before its call opened."""
    server = janus.janus_server_pick(organizer_id=room.event.organizer_id)
    fields: dict[str, Any] = {}
    created: janus.JanusRoom | None = None
    if server is not None:
        try:
            created = janus.janus_room_create(server=server, description=room.name)
        except janus.JanusError:
            logger.warning("video: creating a Janus room failed, the call uses Jitsi", exc_info=True)
    if created is not None:
        fields = {
            "janus_server": created.server,
            "janus_room": created.room,
            "janus_pin": created.pin,
            "janus_secret": created.stored_secret,
        }
    else:
        fields = {"jitsi_url": _jitsi_url(room)}
    if not RouletteCall.objects.filter(pk=call.pk, ended__isnull=True).update(**fields):
        # Skipped before it opened: nobody will join it.
        if created is not None:
            _close_janus_room(created.server, created.room, created.stored_secret)
        return None
    for field, value in fields.items():
        setattr(call, field, value)
    return call


def _close_janus_room(server: janus.JanusServer, room_id: int, stored_secret: str) -> None:
    try:
        janus.janus_room_destroy(server=server, room=room_id, stored_secret=stored_secret)
    except janus.JanusError:
        # Janus drops rooms with nobody in them when it restarts; a leftover does no harm.
        logger.warning("video: destroying a Janus room failed", exc_info=True)


def _after_commit(room: Room, changes: _Changes) -> None:
    """Close ended calls, tell left-alone partners, open the new matches' calls and announce them."""
    for call in changes.ended_calls:
        if call.janus_server_id is not None and call.janus_room is not None:
            server = janus.JanusServer.objects.filter(pk=call.janus_server_id).first()
            if server is not None:
                _close_janus_room(server, call.janus_room, call.janus_secret)
    for uid, reason in changes.left_alone:
        realtime.publish(roulette_group(room.pk, uid), "roulette.ended", {"room": room.pk, "reason": reason})
    for first, second in changes.matches:
        assert first.call is not None
        opened = _open_call(room, first.call)
        if opened is None:
            continue
        first.call = second.call = opened
        for me in (first, second):
            realtime.publish(roulette_group(room.pk, me.uid), "roulette.match", match_dict(me))
