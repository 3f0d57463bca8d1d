"""What ``/healthz`` reports: database, cache and broker reachability."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.cache import cache
from django.db import connection


def _check_database() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def _check_cache() -> str | None:
    key = f"eventyay:healthz:{uuid.uuid4().hex}"
    try:
        cache.set(key, "1", 10)
        if cache.get(key) != "1":
            return "value written to the cache could not be read back"
        cache.delete(key)
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def _broker_transport() -> str:
    from eventyay.config.celery import app

    return str(app.conf.broker_url or "").split("://", 1)[0] or "unset"


def _check_broker() -> str | None:
    """Connect to the broker the Celery app is configured with (the embedded one always is up)."""
    if _broker_transport() == "memory":
        return None
    from eventyay.config.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=1, timeout=2)
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def health_report() -> dict[str, Any]:
    checks = {"database": _check_database(), "cache": _check_cache(), "broker": _check_broker()}
    failing = sorted(name for name, error in checks.items() if error)
    return {
        "status": "ok" if not failing else "error",
        "failing": failing,
        "checks": {name: ("ok" if error is None else error) for name, error in checks.items()},
        "broker": _broker_transport(),
    }
