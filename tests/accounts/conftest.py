"""Fixtures shared by the sign-in tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.cache import cache
from pytest_django.fixtures import Settings


@pytest.fixture
def three_failures(settings: Settings) -> Iterator[None]:
    """Three failed sign-ins lock out for ten minutes; counts start from nothing."""
    settings.LOGIN_LOCKOUT_FAILURES = 3
    settings.LOGIN_LOCKOUT_COOLOFF_SECONDS = 600
    cache.clear()
    yield
    cache.clear()
