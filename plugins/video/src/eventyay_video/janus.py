"""Private video rooms on Janus WebRTC servers (the videoroom plugin, over the Janus HTTP API).

A room is created the way the Janus REST API expects: create a session (``POST <url>``
``{"janus": "create"}``), attach the videoroom plugin to it (``POST <url>/<session>``
``{"janus": "attach"}``), send the plugin a ``create`` request on that handle (``POST
<url>/<session>/<handle>`` ``{"janus": "message", "body": {...}}``), and destroy the session.
Every request carries a transaction id that the answer repeats, and the server's
``api_secret`` as ``apisecret`` when one is set.

Rooms are private (``is_private``: not listed) and need a PIN to join, which only the two
partners of a match get; the room's own ``secret`` (needed to change or destroy it) stays on
the server side, encrypted.

Requests go through the core's outgoing HTTP client: the server URL is typed by organizers,
so it gets the same guards against server-side request forgery as webhooks.

Browsers join the room on the same URL (the Janus HTTP transport, long polling) with the
janus.js client. They never get the API secret: when a server has one, each match carries a
token signed with it for the videoroom plugin (Janus's signed tokens, ``token_auth`` with
``token_auth_secret`` set to the API secret), valid for :data:`BROWSER_TOKEN_TTL` seconds.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q

from eventyay.base.models import Organizer
from eventyay.base.secrets import SecretError, secret_decrypt, secret_encrypt
from eventyay.base.services.http import OutgoingRequestError, outgoing_request, outgoing_url_problem
from eventyay.base.services.log import Actor, log_action
from eventyay_video.models import JanusServer

logger = logging.getLogger(__name__)

VIDEOROOM_PLUGIN = "janus.plugin.videoroom"
#: Seconds a Janus request may take: room creation runs while two users wait for their call.
REQUEST_TIMEOUT = 5.0
#: The videoroom plugin's ``error_code`` for a room it does not know.
NO_SUCH_ROOM = 426
#: Seconds a browser's signed token stays valid: long enough for a conversation, and a new
#: match brings a new token.
BROWSER_TOKEN_TTL = 4 * 3600
#: The realm Janus checks in signed tokens of its own API.
TOKEN_REALM = "janus"


class JanusError(Exception):
    """A Janus server refused a request or did not answer; the message is safe to log and show.

    ``code`` is the videoroom plugin's ``error_code`` when the plugin refused the request.
    """

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class JanusRoom:
    """A created videoroom: its id and PIN (for the participants) and its stored secret."""

    server: JanusServer
    room: int
    pin: str
    stored_secret: str


def _plain(stored: str) -> str:
    if not stored:
        return ""
    try:
        return secret_decrypt(stored).reveal()
    except SecretError as exc:
        raise JanusError("A secret of the Janus server cannot be decrypted; enter it again.") from exc


class JanusSession:
    """One Janus API session with the videoroom plugin attached; use as a context manager."""

    def __init__(self, server: JanusServer) -> None:
        self.base = server.url.rstrip("/")
        self.api_secret = _plain(server.api_secret)
        self.session_id: int | None = None
        self.handle_id: int | None = None

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        transaction = secrets.token_hex(8)
        payload = {**body, "transaction": transaction}
        if self.api_secret:
            payload["apisecret"] = self.api_secret
        try:
            response = outgoing_request("POST", self.base + path, json=payload, timeout=REQUEST_TIMEOUT)
        except OutgoingRequestError as exc:
            raise JanusError(f"The Janus server did not answer: {exc}") from exc
        if not response.ok:
            raise JanusError(f"The Janus server answered with HTTP status {response.status}.")
        try:
            answer = json.loads(response.body)
        except ValueError as exc:
            raise JanusError("The Janus server did not answer with JSON.") from exc
        if not isinstance(answer, dict) or answer.get("transaction") != transaction:
            raise JanusError("The Janus server answered another transaction.")
        if answer.get("janus") == "error":
            reason = (answer.get("error") or {}).get("reason", "unknown error")
            raise JanusError(f"The Janus server refused the request: {reason}")
        if answer.get("janus") != "success":
            raise JanusError(f"Unexpected Janus answer {answer.get('janus')!r}.")
        return answer

    def __enter__(self) -> JanusSession:
        self.session_id = int(self._post("", {"janus": "create"})["data"]["id"])
        attached = self._post(f"/{self.session_id}", {"janus": "attach", "plugin": VIDEOROOM_PLUGIN})
        self.handle_id = int(attached["data"]["id"])
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.session_id is None:
            return
        try:
            self._post(f"/{self.session_id}", {"janus": "destroy"})
        except JanusError:
            # The session times out on the server by itself; the room it created stays valid.
            logger.warning("video: destroying a Janus session failed", exc_info=True)

    def videoroom(self, body: dict[str, Any]) -> dict[str, Any]:
        """Send ``body`` to the videoroom plugin; its answer, or :class:`JanusError` for its errors."""
        answer = self._post(f"/{self.session_id}/{self.handle_id}", {"janus": "message", "body": body})
        data = (answer.get("plugindata") or {}).get("data") or {}
        if "error_code" in data:
            raise JanusError(
                f"The Janus videoroom refused the request: {data.get('error', data['error_code'])}",
                code=data["error_code"],
            )
        return dict(data)


def janus_room_create(*, server: JanusServer, description: str, publishers: int = 2) -> JanusRoom:
    """A new private videoroom on ``server`` for ``publishers`` participants."""
    pin = secrets.token_urlsafe(12)
    room_secret = secrets.token_urlsafe(24)
    body: dict[str, Any] = {
        "request": "create",
        "description": description[:100],
        "secret": room_secret,
        "pin": pin,
        "is_private": True,
        "publishers": publishers,
        "permanent": False,
    }
    admin_key = _plain(server.admin_key)
    if admin_key:
        body["admin_key"] = admin_key
    with JanusSession(server) as session:
        data = session.videoroom(body)
    if data.get("videoroom") != "created" or not isinstance(data.get("room"), int):
        raise JanusError("The Janus server did not create the room.")
    return JanusRoom(server=server, room=data["room"], pin=pin, stored_secret=secret_encrypt(room_secret))


def janus_room_destroy(*, server: JanusServer, room: int, stored_secret: str) -> None:
    """Destroy ``room`` on ``server`` (a room that is already gone counts as destroyed)."""
    with JanusSession(server) as session:
        try:
            session.videoroom({"request": "destroy", "room": room, "secret": _plain(stored_secret)})
        except JanusError as exc:
            if exc.code != NO_SUCH_ROOM:
                raise


def janus_browser_token(server: JanusServer, *, now: float | None = None) -> str:
    """A signed token that lets a browser use the videoroom plugin of ``server`` for a while.

    Janus's format: ``<expiry>,janus,janus.plugin.videoroom:<signature>``, the signature being
    the Base64 HMAC-SHA1 of the part before the colon under ``token_auth_secret``, which must be
    the server's API secret. Empty when the server has no API secret (nothing to sign with, and
    Janus then needs no token).
    """
    api_secret = _plain(server.api_secret)
    if not api_secret:
        return ""
    expiry = int(now if now is not None else time.time()) + BROWSER_TOKEN_TTL
    data = f"{expiry},{TOKEN_REALM},{VIDEOROOM_PLUGIN}"
    signature = hmac.new(api_secret.encode(), data.encode(), hashlib.sha1).digest()
    return f"{data}:{base64.b64encode(signature).decode()}"


def janus_origin(url: str) -> str:
    """The origin (scheme, host and port) of a Janus URL, as a Content-Security-Policy source."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rsplit('@', 1)[-1]}".lower()


def janus_browser_origins(*, organizer_id: int) -> list[str]:
    """Origins browsers connect to for the organizer's Janus servers (sorted, unique).

    Inactive servers count too: calls they host keep running until they end.
    """
    urls = JanusServer.objects.filter(organizer_id=organizer_id).values_list("url", flat=True)
    return sorted({janus_origin(url) for url in urls})


def janus_server_pick(*, organizer_id: int) -> JanusServer | None:
    """The organizer's active server with the fewest open calls per unit of weight."""
    servers = list(
        JanusServer.objects.filter(organizer_id=organizer_id, active=True, weight__gt=0).annotate(
            open_calls=Count("calls", filter=Q(calls__ended__isnull=True))
        )
    )
    if not servers:
        return None
    return min(servers, key=lambda s: (s.open_calls / s.weight, s.pk))  # type: ignore[attr-defined]


def janus_server_save(
    *,
    organizer: Organizer,
    url: str,
    active: bool,
    weight: int,
    api_secret: str,
    admin_key: str,
    server: JanusServer | None = None,
    actor: Actor = None,
) -> JanusServer:
    """Create or change a Janus server. ``api_secret`` and ``admin_key`` are stored values
    (encrypted by the form, or empty); the secrets never enter the audit log."""
    problem = outgoing_url_problem(url)
    if problem:
        raise ValidationError({"url": [problem]})
    with transaction.atomic():
        created = server is None
        if server is None:
            server = JanusServer(organizer=organizer)
        secrets_changed = server.api_secret != api_secret or server.admin_key != admin_key
        server.url, server.active, server.weight = url, active, weight
        server.api_secret, server.admin_key = api_secret, admin_key
        server.full_clean(exclude=["organizer"])
        server.save()
        log_action(
            action="eventyay_video.janus_server.created"
            if created
            else "eventyay_video.janus_server.changed",
            organizer=organizer,
            obj=server,
            actor=actor,
            data={"url": url, "active": active, "weight": weight, "secrets_changed": secrets_changed},
        )
    return server


def janus_server_delete(*, server: JanusServer, actor: Actor = None) -> None:
    """Remove a server; calls it hosts keep running, new ones go elsewhere."""
    with transaction.atomic():
        log_action(
            action="eventyay_video.janus_server.deleted",
            organizer=server.organizer,
            obj=server,
            actor=actor,
            data={"url": server.url},
        )
        server.delete()
