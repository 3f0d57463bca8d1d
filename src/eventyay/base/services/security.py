"""Login throttling through the cache.

Failures are counted per client address *and* email, so someone guessing one account's
password is stopped without locking that account for its owner elsewhere, nor anyone else
behind the same address. ``settings.LOGIN_RATE_LIMIT`` is ``(failures, window_seconds)``.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    """The address a request came from (the proxy sets ``REMOTE_ADDR`` through the ASGI server)."""
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _key(*, address: str, email: str, purpose: str) -> str:
    digest = hashlib.sha256(f"{address}|{email.strip().lower()}".encode()).hexdigest()
    return f"eventyay:throttle:{purpose}:{digest}"


def _limit() -> tuple[int, int]:
    failures, window = settings.LOGIN_RATE_LIMIT
    return int(failures), int(window)


def login_blocked(*, address: str, email: str, purpose: str = "login") -> bool:
    """Whether this address has failed too often for this email within the window."""
    failures, _window = _limit()
    return int(cache.get(_key(address=address, email=email, purpose=purpose), 0)) >= failures


def login_failure_record(*, address: str, email: str, purpose: str = "login") -> int:
    """Count one failure; the window starts with the first failure. Returns the count."""
    _failures, window = _limit()
    key = _key(address=address, email=email, purpose=purpose)
    cache.add(key, 0, timeout=window)
    try:
        return cache.incr(key)
    except ValueError:
        cache.set(key, 1, timeout=window)
        return 1


def login_failures_clear(*, address: str, email: str, purpose: str = "login") -> None:
    cache.delete(_key(address=address, email=email, purpose=purpose))
