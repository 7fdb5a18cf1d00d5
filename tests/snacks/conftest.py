"""Fixtures of the snack shop's tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis
from django.conf import LazySettings

from accounts.models import User
from tests.accounts.factories import UserFactory
from tests.services import REDIS_URL
from tests.snacks.fakes import BILLING, FakeBilling


@pytest.fixture
def reaction_redis(settings: LazySettings) -> Iterator[redis.Redis]:
    """The test Redis, empty, counting the shop's reactions (marker `redis`)."""
    settings.SNACKS_REDIS_URL = REDIS_URL
    client = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


@pytest.fixture(autouse=True)
def billing(settings: LazySettings) -> Iterator[FakeBilling]:
    """The shop asks a stand-in billing (tests/snacks/fakes.py), reset per test."""
    settings.SHOP_BILLING_CALLS = "tests.snacks.fakes.FakeBillingCalls"
    BILLING.reset()
    yield BILLING
    BILLING.reset()


@pytest.fixture
def eager_retries() -> Iterator[None]:
    """Eager tasks that retry, as a worker would (at once): Celery re-runs a retried
    eager task only when its failures do not propagate to the caller."""
    from config.celery import app

    propagates = app.conf.task_eager_propagates
    app.conf.task_eager_propagates = False
    yield
    app.conf.task_eager_propagates = propagates


@pytest.fixture
def member() -> User:
    """A shop member."""
    return UserFactory.create()


@pytest.fixture
def admin() -> User:
    """A shop admin."""
    return UserFactory.create(shop_admin=True)
