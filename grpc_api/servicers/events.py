"""`billing.v1.EventService`: the events outbox as a resumable, live server stream.

A stream replays the events after the client's cursor in batches, then waits for a
wake-up (`billing.event_wakeups`) and reads again after the last cursor it sent.

Flow control: grpcio asks a response generator for its next message only once the
transport has taken the previous one, and the transport stops taking them while the
client's HTTP/2 window is full. A slow consumer therefore parks its stream at a
`yield`: the stream holds at most one batch (`GRPC_EVENTS_BATCH_SIZE` events) and
reads no further until the consumer catches up.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import grpc
from django.db import connection

from billing.event_types import unknown_event_types
from billing.event_wakeups import EventWakeups
from billing.selectors import event_batch_after
from grpc_api.auth import InvalidArgument
from grpc_api.converters.events import event_message
from grpc_api.generated.billing.v1 import events_pb2, events_pb2_grpc

logger = logging.getLogger(__name__)

SHUTDOWN_MESSAGE = "server shutting down, reconnect with your last cursor"


class EventServicer(events_pb2_grpc.EventServiceServicer):
    """Streams the outbox; `shutdown` ends every stream with UNAVAILABLE.

    `idle_seconds` is how long a stream waits for a wake-up before it reads the
    outbox anyway: the poll interval where nothing wakes it (SQLite), the safety
    net under a lost notification where NOTIFY does (PostgreSQL).
    """

    def __init__(
        self,
        *,
        wakeups: EventWakeups,
        shutdown: threading.Event,
        batch_size: int,
        idle_seconds: float,
    ) -> None:
        self._wakeups = wakeups
        self._shutdown = shutdown
        self._batch_size = batch_size
        self._idle_seconds = idle_seconds
        self._open_streams = 0
        self._lock = threading.Lock()

    @property
    def open_streams(self) -> int:
        """Streams being served now, each holding a server thread."""
        return self._open_streams

    def Subscribe(
        self, request: events_pb2.SubscribeRequest, context: grpc.ServicerContext
    ) -> Iterator[events_pb2.SubscribeResponse]:
        types = _valid_types(request)
        after = request.after_cursor
        with self._wakeups.waiter() as waiter, self._counted(request.consumer, after):
            # Called when the RPC ends for any reason, a client's cancel included.
            context.add_callback(waiter.wake)
            while True:
                # Cleared before reading: a commit after the read wakes the wait.
                waiter.clear()
                self._abort_when_shutting_down(context)
                if not context.is_active():
                    return
                batch = event_batch_after(
                    after_cursor=after, types=types, limit=self._batch_size
                )
                for event in batch:
                    yield events_pb2.SubscribeResponse(event=event_message(event))
                    after = event.cursor
                    self._abort_when_shutting_down(context)
                if len(batch) == self._batch_size:
                    continue
                # No connection is held while the stream waits, however long:
                # idle streams would otherwise each pin one.
                connection.close()
                waiter.wait(self._idle_seconds)

    def _abort_when_shutting_down(self, context: grpc.ServicerContext) -> None:
        if self._shutdown.is_set():
            context.abort(grpc.StatusCode.UNAVAILABLE, SHUTDOWN_MESSAGE)

    @contextmanager
    def _counted(self, consumer: str, after: int) -> Iterator[None]:
        with self._lock:
            self._open_streams += 1
        logger.info(
            "Event stream opened for %s after %d",
            consumer or "-",
            after,
            extra={"consumer": consumer, "after_cursor": after},
        )
        try:
            yield
        finally:
            with self._lock:
                self._open_streams -= 1
            logger.info("Event stream closed for %s", consumer or "-")


def _valid_types(request: events_pb2.SubscribeRequest) -> list[str]:
    """The types asked for, once the request is known to be servable.

    :raises InvalidArgument: for a negative cursor or a type billing never records.
    """
    if request.after_cursor < 0:
        raise InvalidArgument("after_cursor", "after_cursor must be 0 or more.")
    unknown = unknown_event_types(request.types)
    if unknown:
        raise InvalidArgument(
            "types", f"Unknown event types: {', '.join(map(repr, unknown))}."
        )
    return list(request.types)
