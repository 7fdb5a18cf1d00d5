"""Django's cache on a real Redis server."""

from __future__ import annotations

import uuid

import pytest
import redis
from django.core.cache.backends.redis import RedisCache

from kit.cache import RedisCache as ClientKeepingRedisCache
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
