"""Waiting for something to happen, as long as it takes and no longer."""

from __future__ import annotations

import time
from collections.abc import Callable


def wait_until(
    condition: Callable[[], object],
    *,
    timeout: float = 5.0,
    interval: float = 0.02,
    message: str,
) -> None:
    """Return as soon as `condition()` is truthy; fail with `message` once `timeout`
    seconds pass without it."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() >= deadline:
            raise AssertionError(message)
        time.sleep(interval)
