"""Django's Redis cache, keeping one Redis client per server for the process.

Django's `RedisCacheClient` builds a new `redis.Redis` for every operation, and
building one costs about as much CPU as the GET it then sends (redis-py fills its
table of reply parsers each time). The API's throttles count in the cache on every
request. A client holds no connection of its own: it takes one from its
server's pool for each command, which is what lets the threads of a process share
it.

`count_in_window` counts events (the throttles' requests) per window of time: one
round trip to Redis, where reading and writing a history would take two.
"""

from __future__ import annotations

import time
from typing import Any, Final

from django.core.cache.backends.base import BaseCache
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


# KEYS: the counter. ARGV: the window in milliseconds. The first event opens the
# window, which ends when the counter expires. Answers {count, milliseconds left}.
_COUNT_IN_WINDOW: Final = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return {count, redis.call('PTTL', KEYS[1])}
"""


class RedisCache(DjangoRedisCache):
    """`django.core.cache.backends.redis.RedisCache` with its clients kept."""

    def __init__(self, server: str | list[str], params: dict[str, Any]) -> None:
        super().__init__(server, params)
        # Django sets the client class here, not on the class.
        self._class = ClientKeepingRedisCacheClient

    def count_in_window(self, key: str, seconds: int) -> tuple[int, float]:
        """`count_in_window` in one script run by Redis."""
        key = self.make_and_validate_key(key)
        client = self._cache.get_client(key, write=True)
        count, left_ms = client.eval(_COUNT_IN_WINDOW, 1, key, seconds * 1000)
        # PTTL answers -1 or -2 for a counter without expiry or gone: no wait.
        return int(count), max(int(left_ms), 0) / 1000


def count_in_window(cache: BaseCache, key: str, seconds: int) -> tuple[int, float]:
    """Count one more event under `key` in its window of `seconds`, opened by the
    window's first event: the events counted in the window so far, and the
    seconds until it ends.

    On this module's Redis cache the count is atomic; on other caches (local
    memory, files: development and tests) two processes may race to count.
    """
    if isinstance(cache, RedisCache):
        return cache.count_in_window(key, seconds)
    now = time.time()
    ends, count = cache.get(key) or (now + seconds, 0)
    if ends <= now:
        ends, count = now + seconds, 0
    cache.set(key, (ends, count + 1), ends - now)
    return count + 1, ends - now
