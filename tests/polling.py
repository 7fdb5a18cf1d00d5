"""Waiting, with a deadline, for what another thread or process does."""

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
    """Return as soon as `condition()` is true; fail with `message` after `timeout`.

    :raises AssertionError: when the condition is still false at the deadline.
    """
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() >= deadline:
            raise AssertionError(f"{message} (still not so after {timeout:g} s)")
        time.sleep(interval)
