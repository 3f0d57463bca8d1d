"""The contract between eventyay and a CMS: connector types and their adapters.

A connector type (:class:`ConnectorType`) is what the ``register_cms_connectors`` hook returns:
an identifier, a label, its capabilities and an adapter class. The sync services only ever talk
to a CMS through an :class:`Adapter`, so a third party adds Contentful or Strapi by writing one
adapter and registering its type; nothing else in eventyay changes.

Adapters make every request with :func:`eventyay.base.services.http.outgoing_request` (private
addresses refused unless the instance allows them, timeouts, size caps) and raise
:class:`ConnectorError` with a message an organizer may read: never put credentials into it.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from django import forms
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from eventyay_cms.models import Connection

#: What a connector type can do; the connection form offers only what its type declares.
CAPABILITIES = ("pull_pages", "pull_posts", "push_schedule", "push_speakers", "inbound_webhook")
#: How far a signed webhook's timestamp may be from now, in seconds.
WEBHOOK_TOLERANCE_SECONDS = 300
SIGNATURE_HEADER = "X-Eventyay-Signature"
TIMESTAMP_HEADER = "X-Eventyay-Timestamp"


class ConnectorError(Exception):
    """The CMS refused or failed a request; the message is shown on the status page."""


class WebhookRejected(ConnectorError):
    """An inbound webhook whose signature, timestamp or body is not acceptable."""


@dataclass(frozen=True)
class RemoteItem:
    """One page or post as the CMS has it now.

    ``external_id`` is unique within the connection and stable (``"page:12"``); ``html`` is the
    source's markup, sanitised by eventyay before it is stored; ``modified`` is the source's
    modification time, which moves the pull cursor.
    """

    external_id: str
    kind: str
    slug: str
    title: str
    html: str
    modified: datetime | None


@dataclass(frozen=True)
class RemoteRef:
    """Where a pushed object lives in the CMS, and its modification time after the push."""

    external_id: str
    modified: datetime | None = None


@dataclass(frozen=True)
class WebhookNotice:
    """What a verified webhook asks for: pull ``external_id`` again (the body is never content)."""

    external_id: str


@dataclass(frozen=True)
class PushPayload:
    """One resource to write into the CMS: a page with a title, sanitised HTML and a slug."""

    slug: str
    title: str
    html: str
    extra: dict[str, Any] = field(default_factory=dict)


class Adapter:
    """Talks to one connection's CMS. Subclasses implement what their capabilities need.

    ``list_changed(cursor)`` yields batches (lists) of :class:`RemoteItem` changed at or after
    the cursor of their kind (``cursor`` maps a kind such as ``"post"`` to the newest
    ``modified`` already stored; a kind missing from it: everything), each kind in ascending
    order of ``modified``; the caller commits a batch before it asks for the next one and moves
    that kind's cursor only then, so a sync that dies resumes where its last commit was. ``get(id)`` returns
    one item or ``None`` when it is gone; ``list_ids()`` every id the source still publishes
    (for the daily reconciliation). For push, ``upsert(kind, payload, external_id)`` creates
    (``external_id`` ``None``) or updates an object, ``find(kind, slug)`` looks an object up by
    the slug eventyay gave it (after a crash between creating it and recording its id),
    ``delete(id)`` removes one. ``verify_webhook(request)`` checks an inbound webhook and
    returns what to pull.
    """

    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def test(self) -> str:
        """Make one cheap authenticated request; return a short description of the site."""
        raise NotImplementedError

    def list_changed(self, cursor: Mapping[str, datetime]) -> Iterator[list[RemoteItem]]:
        raise NotImplementedError

    def get(self, external_id: str) -> RemoteItem | None:
        raise NotImplementedError

    def list_ids(self) -> set[str]:
        raise NotImplementedError

    def upsert(self, kind: str, payload: PushPayload, external_id: str | None) -> RemoteRef:
        raise NotImplementedError

    def find(self, kind: str, slug: str) -> RemoteRef | None:
        raise NotImplementedError

    def remote_modified(self, external_id: str) -> datetime | None:
        """The pushed object's modification time in the CMS now (``None``: it is gone)."""
        item = self.get(external_id)
        return item.modified if item else None

    def delete(self, external_id: str) -> None:
        raise NotImplementedError

    def verify_webhook(self, request: HttpRequest) -> WebhookNotice:
        """Check the signature of the shared scheme (see :func:`verify_signature`), read ``id``."""
        body = verify_signature(self.connection, request)
        import json

        try:
            data = json.loads(body)
            external_id = str(data["id"])
            kind = str(data.get("type") or "")
        except (ValueError, KeyError, TypeError) as exc:
            raise WebhookRejected(_("The body must be JSON with an id.")) from exc
        if ":" not in external_id and kind:
            external_id = f"{kind}:{external_id}"
        return WebhookNotice(external_id=external_id)


def sign(secret: str, timestamp: int | str, body: bytes) -> str:
    """The signature a sender puts into ``X-Eventyay-Signature``: HMAC-SHA256 of ``"<timestamp>." + body``."""
    return hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()


def verify_signature(connection: Connection, request: HttpRequest) -> bytes:
    """The request's body if it carries a valid, fresh signature of ``connection``'s secret.

    Compared in constant time; a timestamp more than :data:`WEBHOOK_TOLERANCE_SECONDS` away
    from now is refused (replays of one signature within that window are refused by the view).
    """
    timestamp = request.headers.get(TIMESTAMP_HEADER, "")
    signature = request.headers.get(SIGNATURE_HEADER, "")
    if not timestamp.isdigit() or not signature:
        raise WebhookRejected(_("The signature or its timestamp is missing."))
    if abs(time.time() - int(timestamp)) > WEBHOOK_TOLERANCE_SECONDS:
        raise WebhookRejected(_("The timestamp is too old or in the future."))
    expected = sign(connection.signing_secret().reveal(), timestamp, request.body)
    if not hmac.compare_digest(expected, signature.strip().lower()):
        raise WebhookRejected(_("The signature does not match."))
    return request.body


class ConnectionForm(forms.Form):
    """The settings a connector type asks for beyond the common ones (none by default)."""


@dataclass(frozen=True)
class ConnectorType:
    """A kind of CMS eventyay can connect to, as returned by ``register_cms_connectors``."""

    identifier: str
    label: str
    capabilities: frozenset[str]
    adapter: type[Adapter]
    #: Extra settings of this type; its cleaned data lands in ``Connection.options``.
    settings_form: type[forms.Form] = ConnectionForm
    #: Whether the connection needs a user name and password (an application password).
    needs_credentials: bool = True
    #: Whether pushing needs the connection's password (Wagtail: the companion's secret).
    push_needs_password: bool = False

    KINDS: ClassVar[dict[str, str]] = {"pull_pages": "pages", "pull_posts": "posts"}

    def can_pull(self) -> list[str]:
        return [kind for cap, kind in self.KINDS.items() if cap in self.capabilities]

    def can_push(self) -> list[str]:
        return [cap.removeprefix("push_") for cap in self.capabilities if cap.startswith("push_")]


def content_hash(*parts: str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode())
        digest.update(b"\0")
    return digest.hexdigest()
