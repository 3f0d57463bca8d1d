"""Keeping test processes that run at the same time apart on shared services.

Such processes are pytest-xdist workers, or whole sessions that ``make test`` runs side by side.
"""

from urllib.parse import urlsplit, urlunsplit


def redis_url_for_process(url: str, index: int) -> str:
    """``url`` with its database number moved up by the test process's index (gw1: +1).

    Tests clear the cache (Redis ``FLUSHDB``); on a database of its own, one process cannot
    wipe another's cache entries, channel groups or queued tasks.
    """
    parts = urlsplit(url)
    database = int(parts.path.strip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{database + index}"))
