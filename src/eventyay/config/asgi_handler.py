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
"""

from __future__ import annotations

import asyncio
import weakref
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import django
from asgiref.sync import AsyncToSync, SyncToAsync, ThreadSensitiveContext
from django.conf import settings
from django.core.handlers.asgi import ASGIHandler
from django.http import HttpRequest, HttpResponseBase
from django.urls import ResolverMatch

#: Threads per process when the database has no connection pool (SQLite).
DEFAULT_THREADS = 8

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

    async def get_response_async(self, request: HttpRequest) -> HttpResponseBase:
        sync_get_response: Any = SyncToAsync(self.get_response, thread_sensitive=True)
        return await sync_get_response(request)

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


def get_asgi_application() -> SyncChainASGIHandler:
    """Like ``django.core.asgi.get_asgi_application``, with :class:`SyncChainASGIHandler`."""
    django.setup(set_prefix=False)
    return SyncChainASGIHandler()
