"""BigBlueButton: the organizer's server pool, meetings of rooms, join links and recordings.

Every API call is ``<url>api/<call>?<query>&checksum=<hash(call + query + secret)>`` with the
hash the server is configured for (SHA-256 unless set otherwise); answers are XML with a
``returncode`` of ``SUCCESS`` or ``FAILED`` and a ``messageKey``. Requests go through the
SSRF-guarded outgoing HTTP client.

A room's meeting keeps its id for good; the server it runs on is remembered, and a join goes
to that server while the meeting runs there. When it no longer runs (ended, server inactive or
unreachable), the least-loaded active server is picked: running meetings per server from
``getMeetings``, cached briefly, divided by the server's weight, skipping full servers.
Join links carry ``role=MODERATOR`` or ``VIEWER`` (BigBlueButton 2.4 and later), so no meeting
passwords are kept.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import secrets
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from eventyay.base.models import Event, Organizer
from eventyay.base.secrets import SecretError, secret_decrypt, secret_encrypt
from eventyay.base.services.http import OutgoingRequestError, outgoing_request, outgoing_url_problem
from eventyay.base.services.log import Actor, changes, log_action
from eventyay_video.models import BBBMeeting, BBBServer, Room
from eventyay_video.tokens import VideoUser

logger = logging.getLogger(__name__)

#: How long a server's meeting count is trusted, in seconds.
LOAD_CACHE_SECONDS = 30
#: How long a server that failed to answer is left out of the choice, in seconds.
DOWN_CACHE_SECONDS = 30
API_TIMEOUT_SECONDS = 5.0
HASHES = {"sha1": hashlib.sha1, "sha256": hashlib.sha256, "sha512": hashlib.sha512}


class BBBError(Exception):
    """No call could be set up; the message can be shown to organizers and attendees."""


# --- the API -------------------------------------------------------------------------------------


def api_checksum(call: str, query: str, secret: str, algorithm: str = "sha256") -> str:
    """The checksum BigBlueButton expects: ``hash(call + query + secret)`` in hex."""
    return HASHES[algorithm](f"{call}{query}{secret}".encode()).hexdigest()


def api_url(server: BBBServer, call: str, params: dict[str, str]) -> str:
    """The signed URL of ``call`` with ``params`` on ``server``."""
    try:
        secret = secret_decrypt(server.secret).reveal()
    except SecretError as exc:
        raise BBBError(
            _("The shared secret of %(server)s cannot be read; enter it again.") % {"server": server.url}
        ) from exc
    base = server.url if server.url.endswith("/") else server.url + "/"
    if not base.endswith("/api/"):
        base += "api/"
    query = urlencode(params)
    checksum = api_checksum(call, query, secret, server.checksum)
    return f"{base}{call}?{query}{'&' if query else ''}checksum={checksum}"


def api_call(server: BBBServer, call: str, params: dict[str, str]) -> ET.Element:
    """Call the API; returns the ``<response>`` element of a ``SUCCESS`` answer."""
    try:
        response = outgoing_request(
            "GET", api_url(server, call, params), timeout=API_TIMEOUT_SECONDS, max_response_bytes=1024 * 1024
        )
    except OutgoingRequestError as exc:
        raise BBBError(
            _("%(server)s did not answer: %(error)s") % {"server": server.url, "error": exc}
        ) from exc
    if not response.ok:
        raise BBBError(
            _("%(server)s answered with status %(status)d.")
            % {"server": server.url, "status": response.status}
        )
    try:
        root = ET.fromstring(response.body)
    except ET.ParseError as exc:
        raise BBBError(_("%(server)s did not answer with XML.") % {"server": server.url}) from exc
    if root.findtext("returncode") != "SUCCESS":
        raise BBBError(
            _("%(server)s refused %(call)s: %(key)s %(message)s")
            % {
                "server": server.url,
                "call": call,
                "key": root.findtext("messageKey") or "",
                "message": root.findtext("message") or "",
            }
        )
    return root


# --- the pool ------------------------------------------------------------------------------------


def _load_key(server: BBBServer) -> str:
    return f"eventyay_video:bbb:load:{server.pk}"


def _down_key(server: BBBServer) -> str:
    return f"eventyay_video:bbb:down:{server.pk}"


def server_load(server: BBBServer) -> int | None:
    """Running meetings on ``server`` (cached briefly); None when it does not answer."""
    if cache.get(_down_key(server)):
        return None
    load = cache.get(_load_key(server))
    if load is not None:
        return int(load)
    try:
        root = api_call(server, "getMeetings", {})
    except BBBError as exc:
        logger.warning("BigBlueButton server %s left out: %s", server.pk, exc)
        cache.set(_down_key(server), 1, DOWN_CACHE_SECONDS)
        return None
    # Meetings waiting for their first user count too: they were placed on this server.
    load = sum(1 for _meeting in root.iter("meeting"))
    cache.set(_load_key(server), load, LOAD_CACHE_SECONDS)
    return load


def server_pick(organizer: Organizer, *, exclude: set[int] | None = None) -> BBBServer:
    """The active server with the fewest meetings per weight that still has room."""
    best: tuple[float, int, BBBServer] | None = None
    for server in BBBServer.objects.filter(organizer=organizer, active=True).exclude(pk__in=exclude or set()):
        load = server_load(server)
        if load is None or (server.max_rooms and load >= server.max_rooms):
            continue
        score = (load + 1) / max(server.weight, 1)
        if best is None or (score, server.pk) < best[:2]:
            best = (score, server.pk, server)
    if best is None:
        raise BBBError(_("No BigBlueButton server is available right now."))
    return best[2]


def _count_new_meeting(server: BBBServer) -> None:
    """Count a meeting just created, so that the next choices before the cache expires see it."""
    # The count may have expired meanwhile; the next choice asks the server again.
    with contextlib.suppress(ValueError):
        cache.incr(_load_key(server))


def _meeting_exists(server: BBBServer, meeting_id: str) -> bool:
    """Whether the meeting is still on ``server`` (created, running or waiting for its first user).

    ``isMeetingRunning`` says no until someone has joined, which would move a meeting that
    was just created; ``getMeetingInfo`` answers ``notFound`` only once it ended.
    """
    try:
        root = api_call(server, "getMeetingInfo", {"meetingID": meeting_id})
    except BBBError:
        return False
    return root.findtext("hasBeenForciblyEnded") != "true" and root.findtext("endTime", "0") in ("", "0")


def _create(server: BBBServer, room: Room, meeting_id: str, config: dict[str, Any]) -> None:
    record = "true" if config.get("record") else "false"
    api_call(
        server,
        "create",
        {
            "name": room.name,
            "meetingID": meeting_id,
            "record": record,
            "allowStartStopRecording": record,
            "meta_eventyay-event": room.event.slug,
        },
    )


def meeting_ensure(*, room: Room, config: dict[str, Any]) -> tuple[BBBServer, BBBMeeting]:
    """The server the room's meeting runs on, creating the meeting where needed.

    Stays on the remembered server while the meeting runs there; otherwise picks a server
    (each one that fails is left out of the next try) and creates the meeting on it.
    """
    # The row lock makes concurrent first joins of a room wait for one choice of server, instead
    # of creating the meeting on two servers.
    with transaction.atomic():
        meeting, _created = BBBMeeting.objects.select_for_update().get_or_create(
            room=room, defaults={"meeting_id": f"eventyay-{room.pk}-{secrets.token_hex(8)}"}
        )
        server = meeting.server
        if (
            server is not None
            and server.active
            and server.organizer_id == room.event.organizer_id
            and _meeting_exists(server, meeting.meeting_id)
        ):
            return server, meeting
        tried: set[int] = set()
        last_error: BBBError | None = None
        while True:
            try:
                server = server_pick(room.event.organizer, exclude=tried)
            except BBBError:
                if last_error is not None:
                    logger.warning("No BigBlueButton meeting for room %s: %s", room.pk, last_error)
                raise
            try:
                _create(server, room, meeting.meeting_id, config)
            except BBBError as exc:
                last_error = exc
                tried.add(server.pk)
                cache.set(_down_key(server), 1, DOWN_CACHE_SECONDS)
                continue
            _count_new_meeting(server)
            meeting.server = server
            meeting.save(update_fields=["server", "assigned"])
            return server, meeting


def join_url(*, server: BBBServer, meeting: BBBMeeting, user: VideoUser, moderator: bool) -> str:
    """A signed join link for ``user``; moderators join with ``role=MODERATOR``."""
    return api_url(
        server,
        "join",
        {
            "fullName": user.name or user.uid,
            "meetingID": meeting.meeting_id,
            "role": "MODERATOR" if moderator else "VIEWER",
            "userID": user.uid,
            "redirect": "true",
        },
    )


def is_call_moderator(*, config: dict[str, Any], user: VideoUser, room_moderator: bool) -> bool:
    """Room moderators, and users with one of the module's moderator traits, moderate the call."""
    return room_moderator or bool(user.traits & set(config.get("moderator_traits") or []))


def room_join_url(*, room: Room, config: dict[str, Any], user: VideoUser, room_moderator: bool) -> str:
    """Where ``user`` joins the room's call (raises :class:`BBBError` when no server can host it)."""
    server, meeting = meeting_ensure(room=room, config=config)
    moderator = is_call_moderator(config=config, user=user, room_moderator=room_moderator)
    return join_url(server=server, meeting=meeting, user=user, moderator=moderator)


@dataclass(frozen=True)
class Recording:
    room: str
    name: str
    state: str
    start: int
    end: int
    urls: tuple[str, ...]


def recordings_list(*, event: Event) -> tuple[list[Recording], list[str]]:
    """Recordings of the event's rooms on every active server; and the servers' errors."""
    meetings = {
        m.meeting_id: m.room.name for m in BBBMeeting.objects.filter(room__event=event).select_related("room")
    }
    if not meetings:
        return [], []
    recordings: list[Recording] = []
    errors: list[str] = []
    for server in BBBServer.objects.filter(organizer=event.organizer, active=True):
        try:
            root = api_call(server, "getRecordings", {"meetingID": ",".join(sorted(meetings))})
        except BBBError as exc:
            errors.append(str(exc))
            continue
        for item in root.iter("recording"):
            meeting_id = item.findtext("meetingID") or ""
            if meeting_id not in meetings:
                continue
            recordings.append(
                Recording(
                    room=meetings[meeting_id],
                    name=item.findtext("name") or "",
                    state=item.findtext("state") or "",
                    start=int(item.findtext("startTime") or 0),
                    end=int(item.findtext("endTime") or 0),
                    urls=tuple(url.text or "" for url in item.iter("url") if url.text),
                )
            )
    recordings.sort(key=lambda r: r.start, reverse=True)
    return recordings, errors


# --- managing servers ----------------------------------------------------------------------------

SERVER_FIELDS = ("url", "checksum", "weight", "max_rooms", "active")


def _snapshot(server: BBBServer) -> dict[str, Any]:
    return {field: getattr(server, field) for field in SERVER_FIELDS}


def bbb_server_save(
    *, organizer: Organizer, data: dict[str, Any], server: BBBServer | None = None, actor: Actor = None
) -> BBBServer:
    """Create or change a server. ``data["secret"]`` is plain text (encrypted here) or empty to keep."""
    url = str(data.get("url", "")).strip()
    problem = outgoing_url_problem(url)
    if problem:
        raise ValidationError({"url": [problem]})
    plain = str(data.get("secret") or "").strip()
    if server is None and not plain:
        raise ValidationError({"secret": [_("Enter the shared secret of the server.")]})
    if data.get("checksum", "sha256") not in BBBServer.Checksum.values:
        raise ValidationError({"checksum": [_("Choose SHA-256, SHA-1 or SHA-512.")]})
    created = server is None
    with transaction.atomic():
        server = server or BBBServer(organizer=organizer)
        before = {} if created else _snapshot(server)
        server.url = url
        server.checksum = data.get("checksum", "sha256")
        server.weight = max(int(data.get("weight") or 1), 1)
        server.max_rooms = max(int(data.get("max_rooms") or 0), 0)
        server.active = bool(data.get("active", True))
        if plain:
            server.secret = secret_encrypt(plain)
        server.save()
        changed = changes(before, _snapshot(server))
        if plain:
            # The log says that the secret changed, never what it is.
            changed.setdefault("after", {})["secret"] = "…"
        log_action(
            action="eventyay_video.bbb_server.created" if created else "eventyay_video.bbb_server.changed",
            organizer=organizer,
            obj=server,
            actor=actor,
            data=changed,
        )
    cache.delete_many([_load_key(server), _down_key(server)])
    return server


def bbb_server_delete(*, server: BBBServer, actor: Actor = None) -> None:
    with transaction.atomic():
        log_action(
            action="eventyay_video.bbb_server.deleted",
            organizer=server.organizer,
            obj=server,
            actor=actor,
            data={"url": server.url},
        )
        server.delete()
