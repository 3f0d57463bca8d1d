"""Django's ASGI handler with its sync middleware chain run in one hop on a reused thread.

Every eventyay view and middleware is synchronous. Django's own ``ASGIHandler`` builds the
middleware chain for async and adapts it: each request goes to a thread for the sync
middleware, back onto the event loop for the URL resolution and then to the thread again for
the view, and the thread is a new one per request (``ThreadSensitiveContext`` makes an
executor for each request and joins its thread at the end), with a new database connection
object on it. Here the chain is built synchronous (Django's WSGI path), a request's sync
code runs in a single hop, and the threads are kept: each request borrows one of a fixed set
of single-thread executors for its whole life (so all of its sync code, the signals' database
clean-up included, runs on one thread as before). A request that finds every thread busy waits
for one, as it would for a gunicorn thread; there are as many as the database pool has
connections, so a thread never waits for a connection either. The URL the tenant middleware
resolved is not resolved a second time for the view.

A streaming response with a synchronous iterator (a ``FileResponse`` of a private file or an
export, a generated CSV) is read a batch of chunks at a time on the request's thread while it
is sent. Django's handler reads such an iterator whole into memory before sending the first
byte, so a large download cost its whole size in memory and started late.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import django
from asgiref.sync import AsyncToSync, SyncToAsync, ThreadSensitiveContext
from django.conf import settings
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.http import FileResponse, HttpRequest, HttpResponseBase
from django.urls import ResolverMatch, set_script_prefix

#: Threads per process when the database has no connection pool (SQLite).
DEFAULT_THREADS = 8

#: Bytes of a synchronous streaming response read per hop to the request's thread (a file
#: response's chunks are 4 KiB: one hop each would cost more than the reading).
STREAM_BATCH_BYTES = 256 * 1024

#: Request attribute with ``(path_info, ResolverMatch)`` of a URL already resolved by the
#: tenant middleware; the handler uses it instead of resolving the same path again.
EARLY_MATCH_ATTR = "eventyay_early_resolver_match"


class SyncChainASGIHandler(ASGIHandler):
    def __init__(self, threads: int | None = None) -> None:
        self.threads = threads or int(getattr(settings, "DB_POOL_SIZE", 0) or DEFAULT_THREADS)
        self._threads = [
            ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"django-{number}")
            for number in range(self.threads)
        ]
        # The free ones, per event loop: an asyncio queue belongs to the loop it first waited
        # in (tests run the application in a loop per test).
        self._executors: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, asyncio.Queue[ThreadPoolExecutor]
        ] = weakref.WeakKeyDictionary()
        super().__init__()

    def load_middleware(self, is_async: bool = False) -> None:
        super().load_middleware(is_async=False)

    def resolve_request(self, request: HttpRequest) -> ResolverMatch:
        early = getattr(request, EARLY_MATCH_ATTR, None)
        if early is not None and early[0] == request.path_info and not hasattr(request, "urlconf"):
            request.resolver_match = early[1]
            return early[1]
        return super().resolve_request(request)

    async def handle(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        set_script_prefix(get_script_prefix(scope))
        try:
            respond: Any = SyncToAsync(self._respond, thread_sensitive=True)
            response = await respond(scope, body_file)
            try:
                await self.send_response(response, send)
            finally:
                if response.streaming:
                    close: Any = SyncToAsync(response.close, thread_sensitive=True)
                    await close()
        finally:
            body_file.close()

    def _respond(self, scope: dict[str, Any], body_file: Any) -> HttpResponseBase:
        """On the request's thread: the started signal, the response, and closing it unless it
        streams (a streaming response is closed after it was sent)."""
        signals.request_started.send(sender=self.__class__, scope=scope)
        request, response = self.create_request(scope, body_file)
        if request is not None:
            response = self.get_response(request)
            response._handler_class = self.__class__  # type: ignore[attr-defined]
            if isinstance(response, FileResponse):
                response.block_size = self.chunk_size
        assert response is not None
        if not response.streaming:
            response.close()
        return response

    async def send_response(self, response: HttpResponseBase, send: Any) -> None:
        if getattr(response, "streaming", False) and not getattr(response, "is_async", False):
            response.streaming_content = _read_in_batches(iter(response.streaming_content))  # type: ignore[attr-defined]
        await super().send_response(response, send)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        if getattr(AsyncToSync.executors, "current", None) is not None:
            # Called from sync code through async_to_sync (the test clients): its sync parts run
            # on that calling thread, as under Django's handler, so they share its database
            # connection and transaction.
            async with ThreadSensitiveContext():
                await self.handle(scope, receive, send)
            return
        loop = asyncio.get_running_loop()
        executors = self._executors.get(loop)
        if executors is None:
            executors = self._executors[loop] = asyncio.Queue()
            for executor in self._threads:
                executors.put_nowait(executor)
        executor = await executors.get()
        try:
            async with ThreadSensitiveContext(executor=executor):
                await self.handle(scope, receive, send)
        finally:
            executors.put_nowait(executor)


def _next_batch(parts: Iterator[bytes]) -> list[bytes]:
    """Up to :data:`STREAM_BATCH_BYTES` of ``parts`` (at least one part unless they are done)."""
    batch: list[bytes] = []
    size = 0
    for part in parts:
        batch.append(part)
        size += len(part)
        if size >= STREAM_BATCH_BYTES:
            break
    return batch


async def _read_in_batches(parts: Iterator[bytes]) -> AsyncIterator[bytes]:
    # Thread-sensitive: the parts are read on the request's thread, where the view opened them.
    next_batch = SyncToAsync(_next_batch, thread_sensitive=True)
    while batch := await next_batch(parts):
        for part in batch:
            yield part


def get_asgi_application() -> SyncChainASGIHandler:
    """Like ``django.core.asgi.get_asgi_application``, with :class:`SyncChainASGIHandler`."""
    django.setup(set_prefix=False)
    return SyncChainASGIHandler()
