"""Streaming servers, per-room stream keys, and falling back when the primary stream stops.

A room on a streaming server has a public stream name (in the playback URL viewers get) and a
secret key (only in the ingest URL organizers give their encoder); rotating the key locks out
whoever had the old one. A health check reads the primary HLS playlist through the outgoing HTTP
client; after :data:`FAILURES_BEFORE_FALLBACK` failed checks in a row the room's viewers are
told (``room.stream``) to switch to the fallback stream, and told again when the primary is
back. The player also switches on its own when the primary fails to play, so viewers are not
left waiting for the next check.
"""

from __future__ import annotations

import secrets
import string
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from eventyay.base.models import Organizer
from eventyay.base.secrets import secret_decrypt, secret_encrypt
from eventyay.base.services.http import OutgoingRequestError, outgoing_request
from eventyay.base.services.log import Actor, changes, log_action
from eventyay_video import realtime
from eventyay_video.models import Room, RoomStream, StreamingServer

FAILURES_BEFORE_FALLBACK = 2
CHECK_TIMEOUT_SECONDS = 5.0
_PLACEHOLDERS = {"stream", "key"}


def _template_fields(template: str) -> set[str]:
    return {name for _text, name, _spec, _conv in string.Formatter().parse(template) if name is not None}


def _check_template(field: str, template: str, *, allowed: set[str], required: set[str]) -> None:
    try:
        fields = _template_fields(template)
    except ValueError:
        raise ValidationError({field: [_("Unbalanced braces in the URL.")]})
    unknown = fields - allowed
    if unknown:
        raise ValidationError(
            {field: [_("Unknown placeholder: %(names)s.") % {"names": ", ".join(sorted(unknown))}]}
        )
    if not required <= fields:
        raise ValidationError(
            {
                field: [
                    _("The URL must contain %(names)s.")
                    % {"names": ", ".join(f"{{{n}}}" for n in sorted(required))}
                ]
            }
        )


def streaming_server_save(
    *,
    organizer: Organizer,
    data: dict[str, Any],
    server: StreamingServer | None = None,
    actor: Actor = None,
) -> StreamingServer:
    name = str(data.get("name", "")).strip()
    ingest = str(data.get("ingest_url_template", "")).strip()
    playback = str(data.get("playback_url_template", "")).strip()
    if not name:
        raise ValidationError({"name": [_("Enter a name.")]})
    _check_template("ingest_url_template", ingest, allowed=_PLACEHOLDERS, required={"key"})
    # The playback URL is sent to every viewer: with the key in it, anyone could broadcast.
    _check_template("playback_url_template", playback, allowed={"stream"}, required={"stream"})
    if not playback.startswith(("https://", "http://")):
        raise ValidationError({"playback_url_template": [_("Enter an http or https URL.")]})
    created = server is None
    with transaction.atomic():
        server = server or StreamingServer(organizer=organizer)
        before = {} if created else _server_snapshot(server)
        server.name = name
        server.ingest_url_template = ingest
        server.playback_url_template = playback
        server.active = bool(data.get("active", True))
        server.save()
        log_action(
            action="eventyay_video.streaming_server.created"
            if created
            else "eventyay_video.streaming_server.changed",
            organizer=organizer,
            obj=server,
            actor=actor,
            data=changes(before, _server_snapshot(server)),
        )
    return server


def _server_snapshot(server: StreamingServer) -> dict[str, Any]:
    return {
        "name": server.name,
        "ingest_url_template": server.ingest_url_template,
        "playback_url_template": server.playback_url_template,
        "active": server.active,
    }


def streaming_server_delete(*, server: StreamingServer, actor: Actor = None) -> None:
    if server.streams.exists():
        raise ValidationError(_("Rooms still stream to this server; move them first."))
    with transaction.atomic():
        log_action(
            action="eventyay_video.streaming_server.deleted",
            organizer=server.organizer,
            obj=server,
            actor=actor,
            data={"name": server.name},
        )
        server.delete()


def _new_key() -> str:
    return secrets.token_urlsafe(24)


def room_stream_save(
    *, room: Room, server: StreamingServer, fallback_url: str = "", actor: Actor = None
) -> RoomStream:
    """Put the room on ``server`` (a new room stream gets a name and a key)."""
    if server.organizer_id != room.event.organizer_id:
        raise ValidationError({"server": [_("Choose a streaming server of this organizer.")]})
    with transaction.atomic():
        stream = RoomStream.objects.select_for_update().filter(room=room).first()
        if stream is None:
            stream = RoomStream(
                room=room,
                stream=secrets.token_hex(12),
                key=secret_encrypt(_new_key()),
                key_rotated=timezone.now(),
            )
        stream.server = server
        stream.fallback_url = fallback_url
        stream.save()
        log_action(
            action="eventyay_video.stream.changed",
            organizer=room.event.organizer,
            event=room.event,
            obj=room,
            actor=actor,
            data={"server": server.name, "fallback_url": fallback_url},
        )
    return stream


def stream_key_rotate(*, stream: RoomStream, actor: Actor = None) -> RoomStream:
    """A new secret key for the room; the old one no longer appears in any ingest URL."""
    with transaction.atomic():
        stream.key = secret_encrypt(_new_key())
        stream.key_rotated = timezone.now()
        stream.save(update_fields=["key", "key_rotated"])
        log_action(
            action="eventyay_video.stream.key_rotated",
            organizer=stream.room.event.organizer,
            event=stream.room.event,
            obj=stream.room,
            actor=actor,
        )
    return stream


def ingest_url(stream: RoomStream) -> str:
    """Where the encoder sends the room's stream (contains the secret key: organizers only)."""
    return stream.server.ingest_url_template.format(
        stream=stream.stream, key=secret_decrypt(stream.key).reveal()
    )


def playback_url(stream: RoomStream) -> str:
    return stream.server.playback_url_template.format(stream=stream.stream)


def stream_config(stream: RoomStream | None, module_config: dict[str, Any]) -> dict[str, Any]:
    """What a viewer's player gets for an HLS module: the URL to play now, and the fallback.

    A module with its own URL plays that; one without plays the room's stream. While the
    primary is down (health check) the fallback is played, and ``primary`` keeps the other.
    """
    primary = str(module_config.get("url") or "")
    fallback = str(module_config.get("fallback_url") or "")
    primary_ok = True
    if stream is not None and stream.server.active:
        if not primary:
            primary = playback_url(stream)
        fallback = fallback or stream.fallback_url
        primary_ok = stream.primary_ok
    current = primary if primary_ok or not fallback else fallback
    return {"url": current, "primary": primary, "fallback_url": fallback, "primary_ok": primary_ok}


def _primary_answers(url: str) -> bool:
    try:
        response = outgoing_request("GET", url, timeout=CHECK_TIMEOUT_SECONDS, max_response_bytes=64 * 1024)
    except OutgoingRequestError:
        return False
    return response.ok and response.body.lstrip().startswith(b"#EXTM3U")


def stream_health_check(*, stream: RoomStream) -> bool:
    """Check the primary stream once; tell the room's viewers when it went down or came back.

    Returns whether the primary is considered up after this check.
    """
    answers = _primary_answers(playback_url(stream))
    with transaction.atomic():
        stream = RoomStream.objects.select_for_update().select_related("server", "room").get(pk=stream.pk)
        was_ok = stream.primary_ok
        stream.failures = 0 if answers else stream.failures + 1
        stream.primary_ok = answers or (was_ok and stream.failures < FAILURES_BEFORE_FALLBACK)
        stream.checked = timezone.now()
        stream.save(update_fields=["failures", "primary_ok", "checked"])
        if stream.primary_ok != was_ok:
            for module in stream.room.modules.filter(kind="livestream.hls"):
                realtime.publish(
                    realtime.room_group(stream.room_id),
                    "room.stream",
                    {
                        "room": stream.room_id,
                        "module": module.pk,
                        **stream_config(stream, module.config or {}),
                    },
                )
    return stream.primary_ok
