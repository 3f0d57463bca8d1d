"""Keeping parallel test processes (pytest-xdist workers) apart on shared services."""

from urllib.parse import urlsplit, urlunsplit


def redis_url_for_worker(url: str, worker: str) -> str:
    """``url`` with its database number moved up by the xdist worker's index (gw1: +1).

    Tests clear the cache (Redis ``FLUSHDB``); on a database of its own, one process cannot
    wipe another's cache entries, channel groups or queued tasks.
    """
    index = int(worker.removeprefix("gw") or 0)
    parts = urlsplit(url)
    database = int(parts.path.strip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{database + index}"))
