"""Cached public pages answered at the ASGI level, before Django's middleware chain runs.

A cached page (see :mod:`eventyay.base.services.cache`) still cost a trip through the whole
request stack: a thread switch per synchronous middleware and view, the session, locale,
CSRF, authentication and tenant middleware, for an answer that is a few bytes of headers and a
stored body. :class:`FastPageApplication` wraps the Django ASGI application and answers
anonymous ``GET``/``HEAD`` requests for pages it has seen Django serve from the page cache
without entering Django at all.

How an answer gets here: when Django serves a shareable answer (a cached page, a stored
export), :func:`eventyay.base.services.cache.share_response` notes the event, its content
version and the stored body in the ASGI scope. This wrapper sees the final response (with
every header the middleware added) and stores it as a :class:`FastEntry` under a key made
of what the answer can depend on: scheme, host, path and query, the ``Accept`` and HTMX
headers that pick a variant, and the language inputs (``Accept-Language`` and the language
cookie). The body is stored once per content hash, with a gzip twin when it is text without
CSRF tokens, and kept in process memory too.

How a request is answered: one cache round trip (``MGET`` of the event's content version and
the entry) decides; an entry whose version is not the current one is never served, so a
bump shows at once, as it does for Django's own page cache. The visitor's CSRF token is filled
in (and a CSRF cookie issued to a first visitor, as Django's middleware would), the ETag is
the one Django would send, and ``If-None-Match`` is answered ``304``. Anything else — a
session cookie, ``utm_*`` parameters, another method, an unknown or stale entry — goes to
Django unchanged.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import re
from collections import OrderedDict
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, Literal, NamedTuple, cast

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.base import BaseCache
from django.http import HttpResponse, parse_cookie
from django.middleware.csrf import (  # type: ignore[attr-defined]  # Django's own masking, not in the stubs
    CSRF_ALLOWED_CHARS,
    CSRF_SECRET_LENGTH,
    _mask_cipher_secret,
)
from django.utils.crypto import get_random_string

from eventyay.base.services import cache as page_cache

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[..., Awaitable[None]]

#: Seconds an entry is kept; the content version makes it stale earlier on every change.
ENTRY_TIMEOUT = page_cache.PAGE_TIMEOUT
#: Bodies are shared by entries of several versions and languages; kept a little longer.
BODY_TIMEOUT = 2 * page_cache.PAGE_TIMEOUT
#: Bytes of bodies a process keeps in memory (least recently stored go first).
LOCAL_BODY_BYTES = 64 * 1024 * 1024
#: Bodies shorter than this are not worth a gzip twin.
GZIP_MIN_BYTES = 1024
_COMPRESSIBLE = re.compile(rb"^(text/|application/(json|xml|javascript|ld\+json)|image/svg)", re.IGNORECASE)

#: Response headers that belong to one visitor or one body and are made per answer.
_PER_ANSWER = {b"content-length", b"set-cookie", b"etag", b"content-encoding"}
#: Request headers an answer may depend on besides the path (the variant and language inputs).
_KEY_HEADERS = (b"host", b"x-forwarded-proto", b"accept", b"hx-request", b"hx-history-restore-request",
                b"accept-language")  # fmt: skip


class FastEntry(NamedTuple):
    event_id: int
    version: int
    #: The final response headers without the per-answer ones.
    headers: tuple[tuple[bytes, bytes], ...]
    digest: str
    #: Whether the body holds :data:`~eventyay.base.services.cache.CSRF_PLACEHOLDER`.
    has_csrf: bool
    #: The ETag as sent, for bodies without CSRF tokens (their ETag is the same for everyone).
    etag: bytes | None
    has_gzip: bool


class _Bodies:
    """Bodies by digest in process memory, bounded in bytes."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.size = 0
        self.items: OrderedDict[str, tuple[bytes, bytes | None]] = OrderedDict()

    def get(self, digest: str) -> tuple[bytes, bytes | None] | None:
        return self.items.get(digest)

    def put(self, digest: str, body: tuple[bytes, bytes | None]) -> None:
        if digest in self.items:
            return
        self.items[digest] = body
        self.size += len(body[0]) + len(body[1] or b"")
        while self.size > self.limit and self.items:
            _, old = self.items.popitem(last=False)
            self.size -= len(old[0]) + len(old[1] or b"")


_bodies = _Bodies(LOCAL_BODY_BYTES)
#: Event id of each entry key seen by this process, so that a lookup is one ``MGET``.
_entry_events: dict[str, int] = {}
_cache_instance: tuple[Any, BaseCache] | None = None


def _cache() -> BaseCache:
    """One cache client for the whole process (and its connection pool), not one per request."""
    global _cache_instance
    config = settings.CACHES["default"]
    if _cache_instance is None or _cache_instance[0] is not config:
        _cache_instance = (config, caches.create_connection("default"))
    return _cache_instance[1]


def _header(scope: Scope, name: bytes) -> bytes:
    for key, value in scope.get("headers", ()):
        if key == name:
            return bytes(value)
    return b""


def is_candidate(scope: Scope) -> bool:
    """True for a request Django's page cache would answer with a shared page (see ``page_is_shared``)."""
    if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
        return False
    query = scope.get("query_string", b"")
    if b"utm_" in query:
        return False
    if _header(scope, b"authorization"):
        return False  # an API client with a token: never a shared answer, spare the lookup
    if _header(scope, b"if-modified-since") and not _header(scope, b"if-none-match"):
        return False  # a date-only revalidation: Django compares Last-Modified
    cookie = _header(scope, b"cookie")
    return not (cookie and settings.SESSION_COOKIE_NAME in parse_cookie(cookie.decode("latin-1")))


def entry_key(scope: Scope) -> str:
    """The cache key of the answer to ``scope``: everything the shared answer may depend on."""
    parts = [
        scope.get("scheme", "http").encode(),
        scope.get("path", "").encode(),
        scope.get("query_string", b""),
    ]
    parts += [_header(scope, name) for name in _KEY_HEADERS]
    cookie = _header(scope, b"cookie")
    language = parse_cookie(cookie.decode("latin-1")).get(settings.LANGUAGE_COOKIE_NAME, "") if cookie else ""
    parts.append(language.encode())
    digest = hashlib.blake2b(b"\x00".join(parts), digest_size=16).hexdigest()
    return f"{page_cache.KEY_NAMESPACE}fast:{digest}"


def _body_key(digest: str) -> str:
    return f"{page_cache.KEY_NAMESPACE}fast-body:{digest}"


def _lookup(key: str) -> tuple[FastEntry, tuple[bytes, bytes | None]] | None:
    """The current entry of ``key`` and its body, or ``None`` (then Django answers)."""
    store = _cache()
    shared = page_cache.cache_is_shared()
    event_id = _entry_events.get(key)
    if shared and event_id is not None:
        version_key = page_cache.version_key(event_id)
        found = store.get_many([version_key, key])
        entry, version = found.get(key), found.get(version_key)
    else:
        entry, version = store.get(key), None
    if entry is None:
        return None
    if entry.event_id != event_id:
        _remember(key, entry.event_id)
        version = None
    if version is None:
        if shared:
            # Not in the cache (evicted, or dropped by a bump whose transaction has not
            # committed): Django reads the row and puts it back; this runs in the event loop,
            # where no database query may run.
            version = store.get(page_cache.version_key(entry.event_id))
            if version is None:
                return None
        else:
            # A cache per process: the number is the database row's (we run in a thread here).
            version = page_cache.content_version(entry.event_id)
    if int(version) != entry.version:
        return None
    body = _bodies.get(entry.digest)
    if body is None:
        body = store.get(_body_key(entry.digest))
        if body is None:
            return None
        _bodies.put(entry.digest, body)
    return entry, body


def _remember(key: str, event_id: int) -> None:
    if len(_entry_events) > 100_000:
        _entry_events.clear()
    _entry_events[key] = event_id


def _csrf_secret(scope: Scope) -> str | None:
    """The visitor's CSRF secret if the cookie holds a well-formed one (else a new one is made)."""
    cookie = _header(scope, b"cookie")
    if not cookie:
        return None
    secret = parse_cookie(cookie.decode("latin-1")).get(settings.CSRF_COOKIE_NAME)
    if secret and len(secret) == CSRF_SECRET_LENGTH and all(c in CSRF_ALLOWED_CHARS for c in secret):
        return secret
    return None


def _csrf_cookie_header(secret: str) -> bytes:
    """``Set-Cookie`` exactly as Django's CSRF middleware writes it for a new secret."""
    response = HttpResponse()
    response.set_cookie(
        settings.CSRF_COOKIE_NAME,
        secret,
        max_age=settings.CSRF_COOKIE_AGE,
        domain=settings.CSRF_COOKIE_DOMAIN,
        path=settings.CSRF_COOKIE_PATH,
        secure=settings.CSRF_COOKIE_SECURE,
        httponly=settings.CSRF_COOKIE_HTTPONLY,
        samesite=cast("Literal['Lax', 'Strict', 'None', False] | None", settings.CSRF_COOKIE_SAMESITE),
    )
    return response.cookies[settings.CSRF_COOKIE_NAME].output(header="").strip().encode("latin-1")


def _if_none_match(scope: Scope) -> set[bytes]:
    header = _header(scope, b"if-none-match")
    return {part.strip().removeprefix(b"W/") for part in header.split(b",")} if header else set()


def answer(
    scope: Scope, entry: FastEntry, body: tuple[bytes, bytes | None]
) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """Status, headers and body for ``scope`` from a current entry (the same Django would send)."""
    headers = list(entry.headers)
    content, gzipped = body
    if entry.has_csrf:
        secret = _csrf_secret(scope)
        if secret is None:
            # A first visit: Django's middleware would issue the cookie with the page's token.
            secret = get_random_string(CSRF_SECRET_LENGTH, allowed_chars=CSRF_ALLOWED_CHARS)
            headers.append((b"set-cookie", _csrf_cookie_header(secret)))
        etag = page_cache.page_etag(entry.digest, True, secret).encode()
    else:
        secret = None
        etag = entry.etag or b""
    if etag:
        headers.append((b"etag", etag))
    if etag and (etag in (matches := _if_none_match(scope)) or b"*" in matches):
        return 304, [(k, v) for k, v in headers if k not in (b"content-type", b"content-language")], b""
    if secret is not None:
        content = content.replace(page_cache.CSRF_PLACEHOLDER, _mask_cipher_secret(secret).encode())
    elif gzipped is not None and b"gzip" in _header(scope, b"accept-encoding"):
        content = gzipped
        headers.append((b"content-encoding", b"gzip"))
    headers.append((b"content-length", str(len(content)).encode()))
    return 200, headers, b"" if scope["method"] == "HEAD" else content


def store(scope: Scope, status: int, headers: list[tuple[bytes, bytes]], sent: bytes) -> None:
    """Keep Django's answer to ``scope`` as an entry, if the view marked it as shareable."""
    shared = scope.get(page_cache.SHARED_RESPONSE_SCOPE_KEY)
    if shared is None or status != 200 or scope["method"] != "GET":
        return
    event_id, version, page = shared
    kept: list[tuple[bytes, bytes]] = []
    etag: bytes | None = None
    for name, value in headers:
        lower = name.lower()
        if lower == b"set-cookie":
            if not value.startswith(settings.CSRF_COOKIE_NAME.encode() + b"="):
                return  # a cookie of this visitor's own: not a shared answer
            continue
        if lower == b"content-encoding":
            return  # compressed by someone else: keep out of the way
        if lower == b"etag":
            etag = value
        if lower not in _PER_ANSWER:
            kept.append((lower, value))
    if page is not None:
        content, digest, has_csrf = page.content, page.digest, page.has_csrf
    else:
        content, has_csrf = sent, False
        digest = hashlib.blake2b(content, digest_size=16).hexdigest()
    content_type = next((v for k, v in kept if k == b"content-type"), b"")
    gzipped = None
    if not has_csrf and len(content) >= GZIP_MIN_BYTES and _COMPRESSIBLE.match(content_type):
        gzipped = gzip.compress(content, compresslevel=6, mtime=0)
    if gzipped is not None:
        kept = _with_vary(kept, b"Accept-Encoding")
    entry = FastEntry(
        event_id=event_id,
        version=version,
        headers=tuple(kept),
        digest=digest,
        has_csrf=has_csrf,
        etag=None if has_csrf else etag,
        has_gzip=gzipped is not None,
    )
    key = entry_key(scope)
    store_ = _cache()
    if _bodies.get(digest) is None:
        _bodies.put(digest, (content, gzipped))
    store_.set_many({_body_key(digest): (content, gzipped)}, BODY_TIMEOUT)
    store_.set(key, entry, ENTRY_TIMEOUT)
    _remember(key, event_id)


def _with_vary(headers: list[tuple[bytes, bytes]], name: bytes) -> list[tuple[bytes, bytes]]:
    for index, (key, value) in enumerate(headers):
        if key == b"vary":
            if name.lower() not in value.lower():
                headers[index] = (key, value + b", " + name)
            return headers
    return [*headers, (b"vary", name)]


class FastPageApplication:
    """ASGI wrapper answering current cached public pages without running Django (see the module)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_candidate(scope):
            await self.app(scope, receive, send)
            return
        key = entry_key(scope)
        if page_cache.cache_is_shared():
            # A few cache round trips: cheaper than a hop to a thread.
            found = _lookup(key)
        else:
            # The version is a database row (a cache per process): read it where Django reads.
            found = await sync_to_async(_lookup)(key)
        if found is not None:
            status, headers, content = answer(scope, *found)
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": content})
            return
        await self._through_django(scope, receive, send)

    async def _through_django(self, scope: Scope, receive: Receive, send: Send) -> None:
        started: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                started.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(bytes(message.get("body", b"")))
            await send(message)

        await self.app(scope, receive, capture)
        if scope.get(page_cache.SHARED_RESPONSE_SCOPE_KEY) is not None and started:
            status, headers = started["status"], list(started.get("headers", ()))
            # Out of the event loop: the gzip twin of a large export takes a few milliseconds.
            await asyncio.to_thread(store, scope, status, headers, b"".join(chunks))
