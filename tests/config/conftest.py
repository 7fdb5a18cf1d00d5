"""Fixtures for the wiring commands: a test clock that starts (and ends) on the wall
clock."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from billing.clock import reset_clock


@pytest.fixture
def wall_clock() -> Iterator[None]:
    """The test clock at the wall clock; moved back after the test (the cache is
    shared by the whole test run)."""
    reset_clock()
    yield
    reset_clock()
