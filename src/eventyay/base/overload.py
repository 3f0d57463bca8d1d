"""A busy server answers 503 with ``Retry-After``, not 500.

With PostgreSQL each process hands out database connections from a small pool
(``EVENTYAY_DB_POOL_SIZE``). When every connection stays taken longer than the pool's wait (the
database stalls on a slow disk, a lock is held, the machine is overloaded), a request gets no
connection. That is load, not a bug: the request changed nothing, and the same request a moment
later will probably succeed. Clients (and nginx, and load balancers) understand 503 with
``Retry-After`` as exactly that; a 500 would tell them the request itself is broken.
"""

from __future__ import annotations

import logging
from typing import Any

from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

#: Seconds a client is asked to wait before trying again.
RETRY_AFTER = 2


def database_busy(exc: BaseException | None) -> bool:
    """Whether ``exc`` is (or was caused by) the connection pool's wait running out."""
    try:
        from psycopg_pool import PoolTimeout
    except ImportError:  # pragma: no cover - psycopg is a dependency; SQLite has no pool
        return False
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, PoolTimeout):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False


def log_pool_figures() -> None:
    """Log what the default database's pool holds, after a request got no connection from it.

    The figures tell an administrator whether the pool is too small for the process's threads
    (``requests_waiting`` high, ``pool_size`` at its maximum) or the database refuses or drops
    connections (``connections_errors``, ``connections_lost``).
    """
    from django.db import connections

    pool: Any = getattr(connections["default"], "pool", None)
    if pool is not None:
        logger.warning("No database connection within the pool's wait: %s", pool.get_stats())


def busy_message() -> str:
    return _("The server is busy. Please try again in a moment.")
