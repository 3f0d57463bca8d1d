"""Django's Redis cache backend, with one Redis client per connection pool instead of one per call.

Django's ``RedisCacheClient.get_client`` builds a new ``redis.Redis`` object for every cache
operation. With redis-py 6 and later that constructor copies the table of some 170 response
callbacks into a new case-insensitive dict, which cost about as much CPU as the network round
trip it wraps; a request of the order path makes half a dozen cache calls. A ``redis.Redis``
client is safe to share between threads (each command takes a connection from the pool), and
the pool itself notices a fork and reconnects, so one client per pool is kept for the process.

Django also builds a new cache backend object, and with it new connection pools, for every
request served under ASGI (``caches`` holds one backend per asyncio context), so each request
opened a fresh TCP connection to Redis (``HELLO``, ``CLIENT SETINFO``, the package metadata
read for the library version) and dropped it again: some 2 ms of CPU per API order. The
clients and their pools are therefore kept per process and configuration, shared by every
backend object of the same cache.
"""

from __future__ import annotations

import threading
from typing import Any

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient as DjangoRedisCacheClient
from django.utils.functional import cached_property


class RedisCacheClient(DjangoRedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        base: Any = self  # Django's private helpers carry no type hints
        index = base._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            client = self._clients[index] = base._client(connection_pool=base._get_connection_pool(write))
        return client


#: One client object (with its connection pools) per process and cache configuration.
_shared_clients: dict[str, RedisCacheClient] = {}
_shared_clients_lock = threading.Lock()


class RedisCache(DjangoRedisCache):
    """``django.core.cache.backends.redis.RedisCache`` reusing its Redis clients (see the module)."""

    @cached_property
    def _cache(self) -> RedisCacheClient:
        base: Any = self
        configuration = repr((base._servers, sorted(base._options.items())))
        with _shared_clients_lock:
            client = _shared_clients.get(configuration)
            if client is None:
                client = _shared_clients[configuration] = RedisCacheClient(base._servers, **base._options)
        return client
