"""Django's cache on a real Redis server."""

from __future__ import annotations

import uuid

import pytest
import redis
from django.core.cache.backends.redis import RedisCache

from tests.services import REDIS_URL

pytestmark = pytest.mark.redis


class TestRedisCache:
    def test_a_value_round_trips_through_redis(self) -> None:
        cache = RedisCache(REDIS_URL, {})
        key = f"test:{uuid.uuid4().hex}"

        cache.set(key, {"amount_minor": 1050, "currency": "RUB"}, timeout=30)

        assert cache.get(key) == {"amount_minor": 1050, "currency": "RUB"}
        assert redis.Redis.from_url(REDIS_URL).ttl(f":1:{key}") > 0
