"""Waking this process's event streams when new events commit.

On PostgreSQL every insert into the outbox queues `NOTIFY billing_events` (migration
`billing.0005_event_notify`), delivered at commit. One listener thread per process
holds one dedicated connection that LISTENs and, on each notification, wakes every
waiting stream: a thousand open streams cost one database connection, not a
thousand. When that connection drops the thread reconnects, and wakes every stream
once it listens again, since events may have committed while it was deaf.

SQLite has no NOTIFY: there the streams wake by polling every
`GRPC_EVENTS_POLL_SECONDS`. Either way a stream also re-reads on its own after a
longer timeout, so a lost wake-up delays it but never stalls it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections

logger = logging.getLogger(__name__)

CHANNEL = "billing_events"
# How long the listener waits for a notification before it checks whether it
# should stop; bounds how long `EventWakeups.stop()` takes.
_LISTEN_SLICE_SECONDS = 0.25


class Waiter:
    """One stream's wake-up flag: set by a notification, a shutdown or a cancel."""

    def __init__(self) -> None:
        self._flag = threading.Event()

    def wake(self) -> None:
        self._flag.set()

    def clear(self) -> None:
        """Forget past wake-ups; call it before reading, so none is lost after."""
        self._flag.clear()

    def wait(self, timeout: float) -> bool:
        """Block until woken or `timeout` seconds pass; True when woken."""
        return self._flag.wait(timeout)


class EventWakeups:
    """The process's registry of waiting streams and, on PostgreSQL, its listener."""

    def __init__(
        self, *, alias: str = DEFAULT_DB_ALIAS, reconnect_seconds: float = 1.0
    ):
        self._alias = alias
        self._reconnect_seconds = reconnect_seconds
        self._waiters: set[Waiter] = set()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._backend_pid: int | None = None

    @property
    def listens(self) -> bool:
        """Whether notifications wake the streams (PostgreSQL) or they must poll."""
        return connections[self._alias].vendor == "postgresql"

    @property
    def backend_pid(self) -> int | None:
        """The listening connection's server process id; None while not listening."""
        return self._backend_pid

    def start(self) -> None:
        if not self.listens or self._thread is not None:
            return
        self._stopping.clear()
        self._thread = threading.Thread(
            target=self._listen, name="billing-event-listener", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop listening, close the connection and wake every stream."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        self.wake_all()

    @contextmanager
    def waiter(self) -> Iterator[Waiter]:
        """A waiter woken with every other until the block ends."""
        waiter = Waiter()
        with self._lock:
            self._waiters.add(waiter)
        try:
            yield waiter
        finally:
            with self._lock:
                self._waiters.discard(waiter)

    def wake_all(self) -> None:
        with self._lock:
            waiters = list(self._waiters)
        for waiter in waiters:
            waiter.wake()

    def _listen(self) -> None:
        while not self._stopping.is_set():
            try:
                self._listen_on(self._connect())
            except Exception:
                logger.warning(
                    "Event listener lost its database connection; reconnecting",
                    exc_info=True,
                )
            finally:
                self._backend_pid = None
            self._stopping.wait(self._reconnect_seconds)

    def _connect(self) -> Any:
        # A connection of its own, outside Django's per-thread handling, with
        # Django's settings for the alias; psycopg is imported only on PostgreSQL.
        import psycopg

        wrapper = connections.create_connection(self._alias)
        return psycopg.connect(**wrapper.get_connection_params(), autocommit=True)

    def _listen_on(self, connection: Any) -> None:
        with connection:
            connection.execute(f"LISTEN {CHANNEL}")
            self._backend_pid = connection.info.backend_pid
            self.wake_all()
            while not self._stopping.is_set():
                notified = list(
                    connection.notifies(timeout=_LISTEN_SLICE_SECONDS, stop_after=1)
                )
                if notified:
                    self.wake_all()
