"""The public page cache: one content version per event, bumped on every public change.

Every page a visitor sees without logging in (the event front page, the shop, the schedule,
talk and speaker pages) is rendered once per *content version* of its event and language and
then served from the cache, with an ``ETag`` that answers ``304 Not Modified``. The version is a
counter; whatever changes what such a page shows calls :func:`content_version_bump` for the
event, and every cached page of the event is stale at once, because the cache keys carry the
old number.

The number lives in two places:

* in the database (:class:`~eventyay.base.models.ContentVersion`), where the bump is an
  ``UPDATE ... SET version = version + 1`` in the caller's transaction: it is rolled back with
  the change it belongs to, and it survives the loss or eviction of the cache;
* in the shared cache, so that serving a cached page reads no database row. The bump writes
  the new number there once its transaction commits; a reader that misses reads the row and
  adds it. With a local-memory cache (the embedded mode, where every server process has a
  cache of its own) the row is read on every request instead, so a bump made by one process
  is seen by the others too.

Plugins call :func:`content_version_bump` in their services, next to the write, for every
change of data they show on public pages (see the plugin guide, "Public page cache").
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import threading
from collections.abc import Callable, Hashable, Iterable, Iterator
from dataclasses import dataclass
from functools import wraps
from typing import Any, ParamSpec, TypeVar

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.locmem import LocMemCache
from django.db import connections, router, transaction
from django.db.models import F, Model, OuterRef, Subquery
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseNotModified
from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH, CSRF_TOKEN_LENGTH, get_token
from django.utils.cache import patch_vary_headers
from django.utils.translation import get_language
from django_scopes import scopes_disabled

from eventyay.base.models import ContentVersion, Event, EventPlugin, Organizer, Setting

P = ParamSpec("P")
R = TypeVar("R", bound=HttpResponseBase)

#: Seconds a cached version number is trusted. Bumps write the new number at once; the timeout
#: only bounds how long a lost race (two commits whose cache writes land in reverse order)
#: could keep an older number, at the price of one tiny query per event and timeout.
VERSION_TIMEOUT = 60

#: Seconds a rendered page is kept. Bumps make a page stale at once; the timeout covers what
#: changes with the clock alone (a sales period or call for papers that opens or closes).
PAGE_TIMEOUT = 60

#: Request attribute holding ``(page key, cached page or None)`` read with the tenant's event.
_PREFETCHED_ATTR = "_eventyay_prefetched_page"

#: Request attribute the page cache sets to ``"hit"`` or ``"miss"`` (tests and benchmarks read it).
PAGE_CACHE_ATTR = "eventyay_page_cache"


#: Prefix of every key of this module. The test plugin sets a fresh one for each test, because
#: event ids repeat between tests while the cache outlives them.
KEY_NAMESPACE = ""


def _event_id(event: Event | int) -> int:
    return event if isinstance(event, int) else int(event.pk)


def version_key(event_id: int) -> str:
    """The cache key of the event's content version (read by the ASGI fast path too)."""
    return f"{KEY_NAMESPACE}content-version:{event_id}"


def cache_is_shared() -> bool:
    """True if the cache is shared by every server process (Redis), not a cache per process."""
    return not isinstance(caches["default"], LocMemCache)


def _stored_version(event_id: int) -> int:
    return ContentVersion.objects.filter(event_id=event_id).values_list("version", flat=True).first() or 0


def content_version(event: Event | int) -> int:
    """The current public content version of ``event`` (an ``Event`` or its id).

    One cache read when the cache is shared between server processes; one indexed row read
    otherwise, or when the cached number was evicted.
    """
    event_id = _event_id(event)
    if not cache_is_shared():
        return _stored_version(event_id)
    key = version_key(event_id)
    version = cache.get(key)
    if version is None:
        version = _stored_version(event_id)
        # add, not set: a bump that committed meanwhile has written a newer number, keep it.
        cache.add(key, version, VERSION_TIMEOUT)
    return int(version)


def content_version_bump(event: Event | int) -> None:
    """Mark everything the public sees of ``event`` as changed: cached pages are not served again.

    Call it in the same transaction as the write, for every change that a public page, export
    or API answer of the event shows (the event itself, its settings and plugins, a product's
    price, a quota selling out, a talk's title, a schedule release, ...). The new number is
    stored with the transaction and published to the cache when it commits; if the
    transaction rolls back, nothing changed. Calling it several times in one transaction is
    harmless (one row update each).
    """
    event_id = _event_id(event)
    with transaction.atomic():
        updated = ContentVersion.objects.filter(event_id=event_id).update(version=F("version") + 1)
        if not updated:
            _, created = ContentVersion.objects.get_or_create(event_id=event_id, defaults={"version": 1})
            if not created:
                ContentVersion.objects.filter(event_id=event_id).update(version=F("version") + 1)
    _publish_after_commit(event_id)


def _publish_after_commit(event_id: int) -> None:
    if not cache_is_shared():
        return
    # The row stays locked by this transaction until it ends, so this is our own number.
    version = _stored_version(event_id)
    key = version_key(event_id)
    # Dropped now too: this transaction's own later reads (and a transaction that never ends
    # with a commit, as in tests) read the row; a reader elsewhere that adds the old number
    # meanwhile is overwritten by the commit.
    cache.delete(key)
    transaction.on_commit(lambda: cache.set(key, version, VERSION_TIMEOUT))


def _bump_for_row(sender: type, instance: Any, **kwargs: Any) -> None:
    event_id = getattr(instance, "event_id", None)
    if event_id is not None:
        if kwargs.get("signal") is post_delete:
            _bump_if_present(event_id)
        else:
            content_version_bump(event_id)
    elif getattr(instance, "organizer_id", None) is not None:
        # An organizer-wide value shows on the pages of all its events.
        _bump_organizer(instance.organizer_id)


def content_version_follows(
    model: type[Model], event_id_of: Callable[[Any], int | None] | None = None
) -> None:
    """Bump the event's content version whenever a row of ``model`` is saved or deleted.

    For plugin models whose rows public pages show, connected once in the app's ``ready()``,
    as a net under the explicit :func:`content_version_bump` calls: it catches every form,
    API view and admin command that saves such a row. It cannot see ``QuerySet.update()``,
    ``bulk_create()`` or raw SQL; services doing those call :func:`content_version_bump`.
    ``event_id_of(instance)`` finds the event (default: the ``event_id`` attribute).
    Many-to-many fields of ``model`` are followed too.
    """
    find = event_id_of or (lambda instance: getattr(instance, "event_id", None))

    def saved(sender: type, instance: Any, **kwargs: Any) -> None:
        if kwargs.get("raw"):
            return
        event_id = find(instance)
        if event_id is not None:
            content_version_bump(event_id)

    def deleted(sender: type, instance: Any, **kwargs: Any) -> None:
        event_id = find(instance)
        if event_id is not None:
            _bump_if_present(event_id)

    def m2m_changed_(sender: type, instance: Any, action: str, **kwargs: Any) -> None:
        if action.startswith("post_") and isinstance(instance, model):
            saved(sender, instance)

    label = model._meta.label
    post_save.connect(saved, sender=model, weak=False, dispatch_uid=f"eventyay-cache-save-{label}")
    post_delete.connect(deleted, sender=model, weak=False, dispatch_uid=f"eventyay-cache-delete-{label}")
    for field in model._meta.many_to_many:
        through = field.remote_field.through  # type: ignore[union-attr]
        m2m_changed.connect(
            m2m_changed_, sender=through, weak=False, dispatch_uid=f"eventyay-cache-m2m-{label}-{field.name}"
        )


def _bump_if_present(event_id: int) -> None:
    # A deleted row may go because its event goes: only bump a counter that still exists.
    ContentVersion.objects.filter(event_id=event_id).update(version=F("version") + 1)
    _publish_after_commit(event_id)


def _bump_for_event(sender: type, instance: Event, **kwargs: Any) -> None:
    content_version_bump(instance.pk)


def _bump_for_organizer(sender: type, instance: Organizer, **kwargs: Any) -> None:
    _bump_organizer(instance.pk)


def _bump_organizer(organizer_id: int) -> None:
    with scopes_disabled():
        event_ids = list(Event.objects.filter(organizer_id=organizer_id).values_list("pk", flat=True))
    for event_id in event_ids:
        content_version_bump(event_id)


def connect_core_bumps() -> None:
    """Bump on every save or deletion of the core rows public pages read: events, plugin states, settings.

    Receivers rather than calls in the services, because these rows are also saved by forms,
    fixtures and plugins' own code, and one forgotten call would serve a stale page. Plugin
    data is bumped explicitly by the plugins' services.
    """
    post_save.connect(_bump_for_event, sender=Event, dispatch_uid="eventyay-cache-event")
    post_save.connect(_bump_for_organizer, sender=Organizer, dispatch_uid="eventyay-cache-organizer")
    for model in (EventPlugin, Setting):
        post_save.connect(_bump_for_row, sender=model, dispatch_uid=f"eventyay-cache-{model.__name__}")
        post_delete.connect(_bump_for_row, sender=model, dispatch_uid=f"eventyay-cache-del-{model.__name__}")


# --- state built once per process ------------------------------------------------------------

#: key → the lock held by the thread of this process that builds what the key names.
_builders: dict[Hashable, threading.Lock] = {}
_builders_lock = threading.Lock()


@contextlib.contextmanager
def one_builder(key: Hashable, *, reads: type[Model]) -> Iterator[None]:
    """Let one thread of the process at a time build the per-process state named by ``key``.

    For memos that many threads miss at the same moment (a sale opening, sockets connecting
    after a deploy): the first thread builds, the others wait and then find its result, instead
    of each running the same queries. Check the memo again inside the block.

    The thread takes its database connection (of the database ``reads`` is read from) before
    the lock, never while holding it: the threads waiting for the lock may hold connections of
    the pool already, and a builder waiting for one of them would stand still until the pool's
    wait runs out, with every waiter answering 503.
    """
    with _builders_lock:
        lock = _builders.setdefault(key, threading.Lock())
    connections[router.db_for_read(reads)].ensure_connection()
    with lock:
        yield


# --- API lists ---------------------------------------------------------------------------------

#: Seconds a kept API list page lives; a content version bump makes it stale at once.
API_LIST_TIMEOUT = 300


def api_list_key(name: str, event: Event, *, permissions: Iterable[str], url: str) -> str:
    """Cache key of one page of an event's API list ``name``, under its current content version.

    ``permissions`` are the caller's on the event (an answer is only shared by callers who
    may see the same), ``url`` the absolute URL with its query (filters, ordering, page; the
    pagination links in the answer are absolute too).
    """
    version = getattr(event, "_content_version", None)
    if version is None:
        version = content_version(event)
    digest = hashlib.blake2b("\x00".join([url, *sorted(permissions)]).encode(), digest_size=16).hexdigest()
    return f"{KEY_NAMESPACE}api:{name}:{event.pk}:{version}:{digest}"


# --- the tenant of a request ------------------------------------------------------------------

#: Seconds a cached event object is kept; a new content version is a new key, so old copies
#: are never read again and just expire.
TENANT_TIMEOUT = 3600


#: Event ids by URL, per process: a URL's event only changes with a slug, and every use checks
#: the slugs of the event found, so a stale entry costs one more lookup, never a wrong event.
_event_ids: dict[tuple[str, str, str], int] = {}

#: The content version each event had when this process last read it: only a guess, checked
#: against the cached number read in the same round trip.
_event_versions: dict[int, int] = {}


def _tenant_keys(event_id: int, version: int, request: HttpRequest | None) -> tuple[str, str | None]:
    """Cache keys of the event object and, for an anonymous visitor, of the requested page."""
    page_key = (
        _page_key(event_id, version, request) if request is not None and page_is_shared(request) else None
    )
    return f"{KEY_NAMESPACE}tenant-event:{event_id}:{version}", page_key


def tenant_event(
    organizer_slug: str, event_slug: str, *, request: HttpRequest | None = None, _retry: bool = True
) -> Event | None:
    """The event of ``/<organizer_slug>/<event_slug>/``, with its organizer and enabled plugins loaded.

    Served from the cache under the event's content version, so a saved event, organizer or
    plugin switch is seen by the next request; with a warm cache this reads no database row
    (a shared cache) or only the version row (a local-memory cache), in one cache round trip
    (two when the version changed since this process last read it).
    Given the ``request`` of an anonymous visitor, the cached page of that request is fetched
    in the same round trip, for :func:`serve_cached_page`. ``None`` if there is no such event.
    Reads without a tenant scope: the caller opens the scope of the result.
    """
    memo_key = (KEY_NAMESPACE, organizer_slug, event_slug)
    event_id = _event_ids.get(memo_key)
    row: Event | None = None
    found: dict[str, Any] = {}
    if event_id is None:
        # First request of this process for the URL: the event, its organizer and its version
        # in one statement (one snapshot, so the row is exactly as new as the number).
        with scopes_disabled():
            row = (
                Event.objects.select_related("organizer")
                .filter(organizer__slug=organizer_slug, slug=event_slug)
                .annotate(
                    stored_version=Subquery(
                        ContentVersion.objects.filter(event_id=OuterRef("pk")).values("version")[:1]
                    )
                )
                .first()
            )
        if row is None:
            return None
        event_id = int(row.pk)
        if len(_event_ids) > 10000:
            _event_ids.clear()
            _event_versions.clear()
        _event_ids[memo_key] = event_id
        version = int(row.stored_version or 0)  # type: ignore[attr-defined]
        if cache_is_shared():
            cache.add(version_key(event_id), version, VERSION_TIMEOUT)
    elif cache_is_shared() and (guess := _event_versions.get(event_id)) is not None:
        # The version this process saw last is most likely still current: the number and the
        # objects kept under it come in one round trip (MGET reads them in one snapshot), and
        # a changed number costs the second round trip below.
        object_key, page_key = _tenant_keys(event_id, guess, request)
        found = cache.get_many([version_key(event_id), object_key, *([page_key] if page_key else [])])
        stored = found.get(version_key(event_id))
        version = int(stored) if stored is not None else content_version(event_id)
        if version != guess:
            found = {}
    else:
        # The version is read before the row: a bump committed in between leaves newer data
        # under the older number, never older data under the newer one.
        version = content_version(event_id)
    if not found:
        object_key, page_key = _tenant_keys(event_id, version, request)
        found = cache.get_many([object_key, page_key] if page_key else [object_key])
    _event_versions[event_id] = version
    event: Event | None = found.get(object_key)
    if event is None:
        if row is None:
            with scopes_disabled():
                row = Event.objects.select_related("organizer").filter(pk=event_id).first()
        event = row
        if event is not None:
            with scopes_disabled():
                event.enabled_plugin_names  # noqa: B018 - loaded now, so the cached copy carries it
            cache.set(object_key, event, TENANT_TIMEOUT)
    if event is None or event.slug != event_slug or event.organizer.slug != organizer_slug:
        # Renamed or deleted since the id was remembered: look the URL up again, once.
        _event_ids.pop(memo_key, None)
        cache.delete(object_key)
        return tenant_event(organizer_slug, event_slug, request=request, _retry=False) if _retry else None
    # The page cache of this request keys on the same number (and need not read it again).
    event._content_version = version  # type: ignore[attr-defined]
    if request is not None and page_key is not None:
        setattr(request, _PREFETCHED_ATTR, (page_key, found.get(page_key)))
    return event


# --- cached pages ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CachedPage:
    content: bytes
    content_type: str
    #: Hash of ``content``; the ETag adds the visitor's CSRF secret when the page holds tokens.
    digest: str
    headers: tuple[tuple[str, str], ...]
    #: Whether ``content`` holds :data:`CSRF_PLACEHOLDER` where the page had CSRF tokens.
    has_csrf: bool


#: Response headers a cached page keeps; everything else (cookies above all) is per visitor.
_KEPT_HEADERS = ("Content-Language", "Content-Security-Policy", "Access-Control-Allow-Origin", "Link")

#: Stands for the visitor's CSRF token in a stored page; each answer fills in a token of its own.
CSRF_PLACEHOLDER = b"\x00eventyay-csrf\x00"
_TOKEN = re.compile(rb"(?<![A-Za-z0-9])[A-Za-z0-9]{%d}(?![A-Za-z0-9])" % CSRF_TOKEN_LENGTH)


#: Query parameters a public page notes in the visitor's session (where a visit came from, for
#: campaign attribution): a request carrying one gets the live page, which can note it.
VISIT_PARAMETERS = ("utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term")


def page_is_shared(request: HttpRequest) -> bool:
    """True if ``request`` may be answered with (and its answer stored as) a shared cached page."""
    return (
        request.method in ("GET", "HEAD")
        and visitor_is_anonymous(request)
        and not any(name in request.GET for name in VISIT_PARAMETERS)
    )


def visitor_is_anonymous(request: HttpRequest) -> bool:
    """True if nothing of the page can depend on who asks: no session, hence no user, no cart.

    Decided from the cookie alone, so that serving a cached page never loads a session. A
    visitor who logged in, holds a cart or has any other session state sends the session
    cookie and gets the live page.
    """
    return settings.SESSION_COOKIE_NAME not in request.COOKIES


def _variant(request: HttpRequest) -> str:
    """What of the request's headers public views answer differently to (besides the language)."""
    accept = request.headers.get("Accept", "")
    kind = (
        "html" if "text/html" in accept else "json" if "json" in accept else "xml" if "xml" in accept else ""
    )
    # HTMX asks for a part of the page; a history restore wants the whole page again.
    htmx = request.headers.get("HX-Request", "") + request.headers.get("HX-History-Restore-Request", "")
    return f"{kind}:{htmx}"


def _page_key(event_id: int, version: int, request: HttpRequest) -> str:
    path = hashlib.sha256(f"{_variant(request)}|{request.get_full_path()}".encode()).hexdigest()[:32]
    return f"{KEY_NAMESPACE}page:{event_id}:{version}:{get_language()}:{path}"


def page_etag(digest: str, has_csrf: bool, csrf_secret: str | None) -> str:
    """The ETag of a cached page of content hash ``digest`` for a visitor with ``csrf_secret``."""
    if not has_csrf:
        return f'"{digest}"'
    if not csrf_secret:
        return ""
    # The browser's copy holds tokens of this secret: it is only current while the secret is.
    salt = hashlib.blake2b(csrf_secret.encode(), digest_size=4).hexdigest()
    return f'"{digest}-{salt}"'


def _etag(page: CachedPage, csrf_secret: str | None) -> str | None:
    return page_etag(page.digest, page.has_csrf, csrf_secret) or None


#: ASGI scope key under which a view notes that its answer is the same for every anonymous
#: visitor: ``(event id, content version, CachedPage or None)``; read by
#: :mod:`eventyay.base.services.fast_pages`, which then answers such requests itself.
SHARED_RESPONSE_SCOPE_KEY = "eventyay.shared_response"


def share_response(request: HttpRequest, event: Event, page: CachedPage | None = None) -> None:
    """Note that the answer to ``request`` may be served to every anonymous visitor as it is.

    Only for answers that depend on nothing but the URL, the variant and language headers and
    the event's content data (so a content version bump makes them stale): cached pages (with
    ``page``, whose body carries the CSRF placeholder) and stored exports (the body as sent).
    Has no effect outside an ASGI server or for a request that is not :func:`page_is_shared`.
    """
    scope = getattr(request, "scope", None)
    if not isinstance(scope, dict) or not page_is_shared(request):
        return
    version = getattr(event, "_content_version", None)
    if version is None:
        version = content_version(event)
    scope[SHARED_RESPONSE_SCOPE_KEY] = (int(event.pk), int(version), page)


def _etag_matches(request: HttpRequest, etag: str | None) -> bool:
    header = request.META.get("HTTP_IF_NONE_MATCH", "")
    if not header or etag is None:
        return False
    candidates = {part.strip().removeprefix("W/") for part in header.split(",")}
    return etag in candidates or "*" in candidates


def _unmask_csrf_token(token: str) -> str:
    """The secret a masked CSRF token stands for (the inverse of Django's masking)."""
    mask, cipher = token[:CSRF_SECRET_LENGTH], token[CSRF_SECRET_LENGTH:]
    chars = CSRF_ALLOWED_CHARS
    return "".join(chars[chars.index(x) - chars.index(y)] for x, y in zip(cipher, mask, strict=True))


def _without_csrf_tokens(request: HttpRequest, content: bytes) -> tuple[bytes, bool]:
    """``content`` with each CSRF token of this request replaced by :data:`CSRF_PLACEHOLDER`."""
    if not request.META.get("CSRF_COOKIE_NEEDS_UPDATE"):
        return content, False
    secret = request.META.get("CSRF_COOKIE", "")
    found = False

    def replace(match: re.Match[bytes]) -> bytes:
        nonlocal found
        if _unmask_csrf_token(match.group().decode()) != secret:
            return match.group()
        found = True
        return CSRF_PLACEHOLDER

    content = _TOKEN.sub(replace, content)
    return content, found


def _response_is_cacheable(response: HttpResponseBase) -> bool:
    if response.status_code != 200 or response.streaming or response.cookies:
        return False
    cache_control = response.get("Cache-Control", "")
    return "private" not in cache_control and "no-store" not in cache_control


def _answer(request: HttpRequest, page: CachedPage) -> HttpResponse:
    # The secret of the cookie the browser sent, before a new one is made for a first visit.
    etag = _etag(page, request.META.get("CSRF_COOKIE"))
    response: HttpResponse
    if _etag_matches(request, etag):
        response = HttpResponseNotModified()
    else:
        content = page.content
        if page.has_csrf:
            content = content.replace(CSRF_PLACEHOLDER, get_token(request).encode())
            etag = _etag(page, request.META.get("CSRF_COOKIE"))
        response = HttpResponse(content, content_type=page.content_type)
        for name, value in page.headers:
            response[name] = value
    if etag:
        response["ETag"] = etag
    # Browsers may keep the page but ask again each time; the ETag makes asking cheap.
    response["Cache-Control"] = "no-cache"
    patch_vary_headers(response, ("Cookie", "Accept-Language", "Accept", "HX-Request"))
    return response


def serve_cached_page(request: HttpRequest, event: Event, render: Callable[[], R]) -> R | HttpResponse:
    """``render()``'s response for ``request``, from the page cache when the visitor is anonymous.

    The key is the event, its content version, the active language and the full path with
    query string. Only complete ``200`` answers without cookies or a private ``Cache-Control``
    are stored; everything else is passed through as it is. CSRF tokens in the page (the
    layout carries one for HTMX) are stored as a placeholder and filled in per answer.
    """
    if not page_is_shared(request):
        return render()
    version = getattr(event, "_content_version", None)
    if version is None:
        version = content_version(event)
    key = _page_key(int(event.pk), version, request)
    prefetched_key, page = getattr(request, _PREFETCHED_ATTR, (None, None))
    if prefetched_key != key:
        page = cache.get(key)
    if page is not None:
        setattr(request, PAGE_CACHE_ATTR, "hit")
        _share(request, event, version, page)
        return _answer(request, page)
    setattr(request, PAGE_CACHE_ATTR, "miss")
    response = render()
    if not _response_is_cacheable(response):
        return response
    if hasattr(response, "render") and callable(response.render):
        response.render()
    content, has_csrf = _without_csrf_tokens(request, response.content)  # type: ignore[attr-defined]
    page = CachedPage(
        content=content,
        content_type=response.get("Content-Type", "text/html; charset=utf-8"),
        digest=hashlib.blake2b(content, digest_size=16).hexdigest(),
        headers=tuple((name, response[name]) for name in _KEPT_HEADERS if name in response),
        has_csrf=has_csrf,
    )
    cache.set(key, page, PAGE_TIMEOUT)
    _share(request, event, version, page)
    return _answer(request, page)


def _share(request: HttpRequest, event: Event, version: int, page: CachedPage) -> None:
    scope = getattr(request, "scope", None)
    if isinstance(scope, dict):
        scope[SHARED_RESPONSE_SCOPE_KEY] = (int(event.pk), int(version), page)


def cache_public_page(view: Callable[P, HttpResponse]) -> Callable[P, HttpResponse]:
    """Decorate a public event view whose page is the same for every anonymous visitor.

    The view runs under the tenant middleware (``request.event`` is set); its first argument
    is the request. See :func:`serve_cached_page` for what is stored; the page may show
    per-visitor content only to visitors with a session (logged in, holding a cart).
    """

    @wraps(view)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> HttpResponse:
        request = args[0]
        event = getattr(request, "event", None)
        if not isinstance(request, HttpRequest) or event is None:
            return view(*args, **kwargs)
        return serve_cached_page(request, event, lambda: view(*args, **kwargs))

    return wrapped
