"""Reads from a PostgreSQL read replica where a slightly stale answer is fine (off by default).

With ``EVENTYAY_DB_REPLICA_URL`` set, the settings add a ``replica`` database and this router.
Reads go to the replica only inside :func:`replica_reads`, which two places open: anonymous
``GET``/``HEAD`` requests of public pages (:class:`ReplicaReadsMiddleware`: no session cookie,
so no cart and no login whose own changes must show at once) and export jobs. Everything else,
every write, and every read inside a transaction on the primary (``select_for_update``, reads
that decide a write) stays on the primary. A replica lags the primary by its replication
delay: pages and exports read from it may miss the last changes for that long.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterator
from typing import Any

from django.conf import settings
from django.db import connections, transaction
from django.http import HttpRequest, HttpResponse

PRIMARY = "default"
REPLICA = "replica"

_replica_reads: contextvars.ContextVar[bool] = contextvars.ContextVar("eventyay_replica_reads", default=False)


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


@contextlib.contextmanager
def replica_reads() -> Iterator[None]:
    """Inside the block, reads outside a transaction go to the replica (when one is configured)."""
    token = _replica_reads.set(True)
    try:
        yield
    finally:
        _replica_reads.reset(token)


def read_database() -> str:
    """The alias a read made now goes to."""
    if not _replica_reads.get() or not replica_configured():
        return PRIMARY
    if connections[PRIMARY].in_atomic_block:
        return PRIMARY
    return REPLICA


@contextlib.contextmanager
def replica_snapshot() -> Iterator[None]:
    """Read everything in the block from one repeatable-read snapshot of the replica.

    For exports: like :func:`eventyay.base.services.jobs.consistent_snapshot`, but the long
    read runs on the replica and holds no transaction open on the primary.
    """
    with replica_reads(), transaction.atomic(using=REPLICA):
        with connections[REPLICA].cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        yield


class ReplicaRouter:
    """Routes reads inside :func:`replica_reads` to the replica; writes and migrations to the primary."""

    def db_for_read(self, model: type[Any], **hints: Any) -> str:
        return read_database()

    def db_for_write(self, model: type[Any], **hints: Any) -> str:
        return PRIMARY

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        # The replica holds the same rows as the primary.
        return True

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints: Any) -> bool:
        return db == PRIMARY


#: Paths whose reads never go to the replica, whatever the visitor: the organizer backend,
#: the API, and account pages, where people see the effect of their own changes.
PRIMARY_ONLY_PREFIXES = ("/control/", "/api/", "/admin/", "/healthz")


def request_may_read_replica(request: HttpRequest) -> bool:
    """Anonymous reads of public pages: no session (no cart, no login) and a safe method."""
    if request.method not in ("GET", "HEAD"):
        return False
    if request.path.startswith(PRIMARY_ONLY_PREFIXES):
        return False
    return settings.SESSION_COOKIE_NAME not in request.COOKIES


class ReplicaReadsMiddleware:
    """Serves anonymous public page views from the replica (added only when one is configured)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request_may_read_replica(request):
            return self.get_response(request)
        with replica_reads():
            return self.get_response(request)
