"""Django's cache on a real Redis server, and counting requests per window."""

from __future__ import annotations

import time
import uuid

import pytest
import redis
from django.core.cache.backends.base import BaseCache
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache

from kit.cache import RedisCache as ClientKeepingRedisCache
from kit.cache import count_in_window
from tests.services import REDIS_URL

pytestmark = pytest.mark.redis


class TestRedisCache:
    def test_a_value_round_trips_through_redis(self) -> None:
        cache = RedisCache(REDIS_URL, {})
        key = f"test:{uuid.uuid4().hex}"

        cache.set(key, {"amount_minor": 1050, "currency": "RUB"}, timeout=30)

        assert cache.get(key) == {"amount_minor": 1050, "currency": "RUB"}
        assert redis.Redis.from_url(REDIS_URL).ttl(f":1:{key}") > 0


class TestClientKeepingRedisCache:
    """The project's backend (`kit.cache`): Django's, keeping its clients."""

    def test_a_value_round_trips_through_redis(self) -> None:
        cache = ClientKeepingRedisCache(REDIS_URL, {})
        key = f"test:{uuid.uuid4().hex}"

        cache.set(key, [1.5, 2.5], timeout=30)

        assert cache.get(key) == [1.5, 2.5]
        assert cache.delete(key) is True
        assert cache.get(key) is None

    def test_uses_one_client_for_reads_and_writes(self) -> None:
        cache = ClientKeepingRedisCache(REDIS_URL, {})

        clients = {id(cache._cache.get_client(write=write)) for write in (True, False)}

        assert len(clients) == 1


class TestCountInWindow:
    """Counting the throttles' requests, on Redis and on the other caches."""

    @pytest.fixture(params=["redis", "local memory"])
    def cache(self, request: pytest.FixtureRequest) -> BaseCache:
        if request.param == "redis":
            return ClientKeepingRedisCache(REDIS_URL, {})
        return LocMemCache(f"counting-{uuid.uuid4().hex}", {})

    def test_counts_each_event_of_a_window(self, cache: BaseCache) -> None:
        key = f"test:{uuid.uuid4().hex}"

        counts = [count_in_window(cache, key, 60)[0] for _ in range(3)]

        assert counts == [1, 2, 3]

    def test_tells_how_long_the_window_has_left(self, cache: BaseCache) -> None:
        key = f"test:{uuid.uuid4().hex}"
        count_in_window(cache, key, 60)

        _, left = count_in_window(cache, key, 60)

        assert 55 < left <= 60

    def test_a_new_window_starts_counting_again(self, cache: BaseCache) -> None:
        key = f"test:{uuid.uuid4().hex}"
        count_in_window(cache, key, 1)
        count_in_window(cache, key, 1)
        time.sleep(1.1)

        count, left = count_in_window(cache, key, 1)

        assert count == 1
        assert 0 < left <= 1

    def test_keys_count_apart(self, cache: BaseCache) -> None:
        first, second = f"test:{uuid.uuid4().hex}", f"test:{uuid.uuid4().hex}"
        count_in_window(cache, first, 60)

        assert count_in_window(cache, second, 60)[0] == 1

    def test_redis_counts_in_one_key_that_expires(self) -> None:
        cache = ClientKeepingRedisCache(REDIS_URL, {})
        key = f"test:{uuid.uuid4().hex}"

        count_in_window(cache, key, 60)

        assert 0 < redis.Redis.from_url(REDIS_URL).pttl(f":1:{key}") <= 60_000
