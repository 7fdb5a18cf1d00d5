"""Fixtures of the snack shop's tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis
from django.conf import LazySettings

from tests.services import REDIS_URL


@pytest.fixture
def reaction_redis(settings: LazySettings) -> Iterator[redis.Redis]:
    """The test Redis, empty, counting the shop's reactions (marker `redis`)."""
    settings.SNACKS_REDIS_URL = REDIS_URL
    client = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    client.flushdb()
    yield client
    client.flushdb()
    client.close()
