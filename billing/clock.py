"""The service's notion of now, for scheduled work.

Domain code takes `now` as an argument; only entry points (tasks, views, commands)
ask this module. Outside production an offset can be added (the test clock), so a
person can watch a month of renewals in a minute.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.cache import cache

OFFSET_CACHE_KEY = "billing:clock:offset_seconds"


def billing_now() -> dt.datetime:
    """Wall-clock UTC time, plus the test clock's offset where that is allowed."""
    now = dt.datetime.now(dt.UTC)
    if not getattr(settings, "BILLING_TEST_CLOCK_ENABLED", False):
        return now
    offset = cache.get(OFFSET_CACHE_KEY) or 0
    return now + dt.timedelta(seconds=float(offset))
