"""Rate limits per API client: one bucket per team token, OAuth token, user, or else IP address.

A sliding window estimated from two fixed-window counters (this minute's and the previous
one's, weighted by how much of the previous window still overlaps the last minute): one
Redis round trip and two small integers per request, whatever the rate. DRF's own
``SimpleRateThrottle`` keeps every request time of the window in one cached list that it reads
and writes back whole, which at the default 1200/min is a pickled list of up to 1200 floats
per request of a busy integration.
"""

from __future__ import annotations

import math
from typing import Any

from django.core.cache import cache as default_cache
from django.utils.connection import ConnectionProxy
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from eventyay.api.permissions import is_oauth_token
from eventyay.base.models import TeamAPIToken
from eventyay.config.redis_cache import RedisCache


def _backend(cache: Any) -> Any:
    """The cache backend behind ``django.core.cache.cache``, which is a proxy of another class."""
    if isinstance(cache, ConnectionProxy):
        return cache._connections[cache._alias]
    return cache


def _count(cache: Any, current: str, previous: str, timeout: int) -> tuple[int, int]:
    """Add one to the ``current`` counter; return it and the ``previous`` counter."""
    cache = _backend(cache)
    if isinstance(cache, RedisCache):
        current_key, previous_key = (
            cache.make_and_validate_key(current),
            cache.make_and_validate_key(previous),
        )
        pipe = cache._cache.get_client(current_key, write=True).pipeline(transaction=False)
        pipe.incr(current_key)
        pipe.expire(current_key, timeout)
        pipe.get(previous_key)
        counted, _expiry, before = pipe.execute()
        return int(counted), int(before or 0)
    cache.add(current, 0, timeout)
    try:
        counted = cache.incr(current)
    except ValueError:  # expired between the two calls
        cache.set(current, 1, timeout)
        counted = 1
    return int(counted), int(cache.get(previous) or 0)


class ClientRateThrottle(SimpleRateThrottle):
    """``DEFAULT_THROTTLE_RATES["api"]`` requests per client; answers 429 with ``Retry-After``."""

    scope = "api"
    cache = default_cache

    def get_rate(self) -> str | None:
        # Read at call time, so a changed setting applies without a restart of the class.
        rate = api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)
        return None if rate is None else str(rate)

    def allow_request(self, request: Any, view: Any) -> bool:
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        if self.num_requests is None or self.duration is None:
            return True
        key = self.get_cache_key(request, view)
        now = self.timer()
        window, self.elapsed = divmod(now / self.duration, 1)
        self.current, self.previous = _count(
            self.cache, f"{key}:{int(window)}", f"{key}:{int(window) - 1}", 2 * self.duration
        )
        if self.previous * (1 - self.elapsed) + self.current <= self.num_requests:
            return True
        # A refused request does not count: a client that waits as told gets through.
        cache = _backend(self.cache)
        if isinstance(cache, RedisCache):
            counter = cache.make_and_validate_key(f"{key}:{int(window)}")
            cache._cache.get_client(counter, write=True).decr(counter)
        else:
            cache.decr(f"{key}:{int(window)}")
        self.current -= 1
        return False

    def wait(self) -> float:
        """Seconds until the estimate has room for one more request."""
        limit, duration = int(self.num_requests or 0), int(self.duration or 0)
        room = limit - 1 - self.current
        if room < 0 or not self.previous:
            # Only the next window frees this window's requests.
            return max(1.0, (1 - self.elapsed) * duration)
        # previous * (1 - e) <= room  <=>  e >= 1 - room / previous
        needed = 1 - room / self.previous
        return max(1.0, math.ceil((needed - self.elapsed) * duration))

    def get_cache_key(self, request: Any, view: Any) -> str:
        auth = request.auth
        if isinstance(auth, TeamAPIToken):
            ident = f"token-{auth.pk}"
        elif is_oauth_token(auth):
            ident = f"oauth-{auth.pk}"
        elif request.user is not None and getattr(request.user, "pk", None):
            ident = f"user-{request.user.pk}"
        else:
            ident = f"ip-{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
