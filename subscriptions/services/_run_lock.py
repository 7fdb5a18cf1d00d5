"""One holder at a time for a named run, across every process of the service."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection

_process_locks: dict[str, threading.Lock] = {}
_process_locks_guard = threading.Lock()


@contextmanager
def exclusive_run(name: str) -> Iterator[bool]:
    """Hold the lock `name` for the block; yield False when someone else holds it.

    On PostgreSQL this is a session-level advisory lock on the thread's connection:
    released at the end of the block, and by the server as soon as the holder's
    process dies, so a killed worker never leaves the lock behind. Other databases
    serve a single machine (SQLite in development): a lock of this process.
    """
    if connection.vendor == "postgresql":
        key = _lock_key(name)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
            row = cursor.fetchone()
        acquired = bool(row and row[0])
        try:
            yield acquired
        finally:
            if acquired:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
        return
    with _process_locks_guard:
        lock = _process_locks.setdefault(name, threading.Lock())
    acquired = lock.acquire(blocking=False)
    try:
        yield acquired
    finally:
        if acquired:
            lock.release()


def _lock_key(name: str) -> int:
    """A stable signed 64-bit key for `name` (advisory locks are keyed by bigint)."""
    digest = hashlib.sha256(f"run:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)
