"""Publishing webhook drains at most once per delay from a process (a debounce)."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable


class DrainScheduler:
    """Publishes at most one drain per `delay` from this process (a debounce).

    One task per notification cost a broker round trip in the web process and a
    task's overhead in the worker for each; a drain handles a batch per claim.

    Why an event never waits for the beat sweep: it calls `request()` after its row
    has committed. Either this publishes a drain, which starts after the commit and
    so sees the row; or a drain published earlier is due later than now, so it has
    not started yet (Celery holds a countdown task until it is due) and its first
    claim, too, runs after the commit. A drain claims until a claim comes back
    empty, so it processes the row, unless another drain claimed it first and
    processes it. An event committed after the pending drain became due finds
    `_due_at` past and publishes a new one. `margin` covers the clock difference
    between this process and the worker. A failed publish clears `_due_at`, so the
    next event publishes again; the sweep picks up the rows in between.
    """

    def __init__(
        self,
        publish: Callable[[float], None],
        *,
        delay: Callable[[], float],
        margin: float = 0.02,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._publish = publish
        self._delay = delay
        self._margin = margin
        self._clock = clock
        self._lock = threading.Lock()
        self._due_at = -math.inf

    def request(self) -> bool:
        """Make sure a drain starts after this call; True if one was published."""
        with self._lock:
            now, delay = self._clock(), self._delay()
            if now < self._due_at - self._margin:
                return False
            self._due_at = now + delay
        try:
            self._publish(delay)
        except Exception:
            with self._lock:
                self._due_at = -math.inf
            raise
        return True
