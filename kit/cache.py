"""Django's Redis cache, keeping one Redis client per server for the process.

Django's `RedisCacheClient` builds a new `redis.Redis` for every operation, and
building one costs about as much CPU as the GET it then sends (redis-py fills its
table of reply parsers each time). The API's throttles read and write the cache on
every request. A client holds no connection of its own: it takes one from its
server's pool for each command, which is what lets the threads of a process share
it.
"""

from __future__ import annotations

from typing import Any

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient
from redis import Redis


class ClientKeepingRedisCacheClient(RedisCacheClient):
    """Django's client, answering each server's pool with the same `Redis`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Redis] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        # Django's pool for the server (private: not in django-stubs).
        pool = self._get_connection_pool(write)  # type: ignore[attr-defined]
        client = self._clients.get(id(pool))
        if client is None:
            # Two threads may both build one here; either serves.
            client = self._clients.setdefault(id(pool), Redis(connection_pool=pool))
        return client


class RedisCache(DjangoRedisCache):
    """`django.core.cache.backends.redis.RedisCache` with its clients kept."""

    def __init__(self, server: str | list[str], params: dict[str, Any]) -> None:
        super().__init__(server, params)
        # Django sets the client class here, not on the class.
        self._class = ClientKeepingRedisCacheClient
