"""The service's notion of now, for scheduled work, and the test clock.

Domain code takes `now` as an argument; only entry points (tasks, views, commands)
ask this module. Outside production the clock can be moved forward (the test clock,
`manage.py billing_clock`), for the whole service or for one payer, so that a person
can watch a year of renewals in a minute. Offsets live in the cache, which every
process shares (a file cache by default, Redis in production-like setups).
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.core.cache import cache

OFFSET_CACHE_KEY = "billing:clock:offset_seconds"
# {payer UUID (text): seconds}: a payer's clock runs this far ahead of the service's.
PAYER_OFFSETS_CACHE_KEY = "billing:clock:payer_offset_seconds"


class TestClockDisabled(RuntimeError):
    """The test clock cannot be moved with these settings (production)."""


def test_clock_enabled() -> bool:
    return bool(getattr(settings, "BILLING_TEST_CLOCK_ENABLED", False))


def billing_now() -> dt.datetime:
    """Wall-clock UTC time, plus the test clock's offset where that is allowed."""
    now = dt.datetime.now(dt.UTC)
    if not test_clock_enabled():
        return now
    return now + dt.timedelta(seconds=float(cache.get(OFFSET_CACHE_KEY) or 0))


def payer_offsets() -> dict[uuid.UUID, dt.timedelta]:
    """How far each payer's own clock runs ahead of `billing_now()`."""
    if not test_clock_enabled():
        return {}
    stored: dict[str, float] = cache.get(PAYER_OFFSETS_CACHE_KEY) or {}
    return {
        uuid.UUID(payer): dt.timedelta(seconds=seconds)
        for payer, seconds in stored.items()
    }


def advance_clock(
    delta: dt.timedelta, *, payer_id: uuid.UUID | None = None
) -> dt.datetime:
    """Move the service's clock (or one payer's) forward; return the new now there.

    :raises TestClockDisabled: in production settings.
    :raises ValueError: for a step that is not forward.
    """
    if not test_clock_enabled():
        raise TestClockDisabled("the test clock is off in production settings")
    if delta <= dt.timedelta(0):
        raise ValueError("the clock only moves forward")
    if payer_id is None:
        offset = float(cache.get(OFFSET_CACHE_KEY) or 0) + delta.total_seconds()
        cache.set(OFFSET_CACHE_KEY, offset, timeout=None)
        return billing_now()
    stored: dict[str, float] = cache.get(PAYER_OFFSETS_CACHE_KEY) or {}
    key = str(payer_id)
    stored[key] = stored.get(key, 0.0) + delta.total_seconds()
    cache.set(PAYER_OFFSETS_CACHE_KEY, stored, timeout=None)
    return billing_now() + dt.timedelta(seconds=stored[key])


def reset_clock() -> None:
    """Back to the wall clock, for the service and every payer."""
    cache.delete_many([OFFSET_CACHE_KEY, PAYER_OFFSETS_CACHE_KEY])
