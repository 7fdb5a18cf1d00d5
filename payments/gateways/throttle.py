"""Keeping a gateway's limits: requests in flight and requests per second.

CloudPayments refuses more than 5 requests in flight on a test terminal (30 on a
live one) and Stripe more than 25 requests a second in test mode (100 live), both
with HTTP 429. Bulk work (the renewal run) goes through a `GatewayThrottle` sized
below those limits, so that the gateway never has to refuse it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager


class GatewayThrottle:
    """At most `max_in_flight` calls at once and `per_second` calls a second.

    Thread-safe; one throttle is shared by every thread calling one gateway. The
    rate is kept by spacing calls `1 / per_second` apart (no bursts), which is what
    a gateway counting requests per second sees as within the limit.
    """

    def __init__(
        self,
        *,
        max_in_flight: int,
        per_second: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if max_in_flight < 1:
            raise ValueError("max_in_flight must be at least 1")
        if per_second is not None and per_second <= 0:
            raise ValueError("per_second must be positive")
        self._slots = threading.BoundedSemaphore(max_in_flight)
        self._spacing = 1.0 / per_second if per_second else 0.0
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next_start = 0.0

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Wait for a free slot (and a free moment); hold it for the call."""
        with self._slots:
            self._wait_for_turn()
            yield

    def _wait_for_turn(self) -> None:
        if not self._spacing:
            return
        with self._lock:
            now = self._clock()
            start = max(now, self._next_start)
            self._next_start = start + self._spacing
        if start > now:
            self._sleep(start - now)
