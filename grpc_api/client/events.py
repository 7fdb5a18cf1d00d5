"""A consumer of the billing event stream that resumes after its stored cursor.

```python
consumer = EventConsumer(
    target="billing:50051",
    token=service_token,
    consumer="shop",
    types=["payment.succeeded", "payment.refunded"],
    store=FileCursorStore("var/billing-events.cursor"),
    handler=on_billing_event,
)
consumer.run()  # until consumer.stop(), e.g. from a signal handler
```

Events reach the handler in cursor order, each once per connection. The cursor is
saved after the handler returns, so an event whose handler finished but whose
cursor was not saved (a crash between the two) is handled again after a restart:
delivery is at least once. Make the handler idempotent, or pass `atomic` (e.g.
`django.db.transaction.atomic`) with a store that writes in the same database: the
handler's effects and the cursor then commit together, and each event takes effect
exactly once.
"""

from __future__ import annotations

import contextlib
import logging
import random
import threading
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from typing import Any

import grpc
from google.protobuf.json_format import MessageToDict

from grpc_api.client.channel import bearer_metadata, open_channel
from grpc_api.client.cursors import CursorStore
from grpc_api.generated.billing.v1 import events_pb2, events_pb2_grpc

logger = logging.getLogger(__name__)

# Codes after which the consumer reconnects: the server went away or is stopping,
# the connection broke, or a deadline ran out. Any other code is a mistake in the
# request or the credentials, which reconnecting would only repeat.
RETRYABLE_CODES = frozenset(
    {
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.DEADLINE_EXCEEDED,
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        grpc.StatusCode.ABORTED,
    }
)

Handler = Callable[[events_pb2.Event], object]


class EventConsumer:
    """Subscribes after `store.load()`, hands each event to `handler`, saves its cursor.

    On a retryable error it waits a capped, jittered, exponentially growing delay
    (from `backoff_seconds` up to `max_backoff_seconds`; back to the start after an
    event arrives) and subscribes again after the last saved cursor.
    """

    def __init__(
        self,
        *,
        target: str,
        token: str,
        consumer: str,
        handler: Handler,
        store: CursorStore,
        types: Iterable[str] = (),
        atomic: Callable[[], AbstractContextManager[Any]] | None = None,
        backoff_seconds: float = 0.5,
        max_backoff_seconds: float = 30.0,
        channel_options: Sequence[tuple[str, Any]] = (),
        rng: random.Random | None = None,
    ) -> None:
        self.target = target
        self.consumer = consumer
        self.types = list(types)
        self._metadata = bearer_metadata(token)
        self._handler = handler
        self._store = store
        self._atomic = atomic or contextlib.nullcontext
        self._backoff_seconds = backoff_seconds
        self._max_backoff_seconds = max_backoff_seconds
        self._channel_options = channel_options
        self._rng = rng or random.Random()
        self._stopping = threading.Event()
        # Re-entrant: `stop()` may run in a signal handler on the thread in `run()`.
        self._lock = threading.RLock()
        self._call: Any = None
        # Whether the current connection has delivered an event.
        self._progressed = False

    def run(self) -> None:
        """Consume until `stop()`.

        :raises grpc.RpcError: on a status that reconnecting cannot cure
            (INVALID_ARGUMENT, UNAUTHENTICATED, PERMISSION_DENIED …); whatever
            the handler raises, with that event's cursor left unsaved.
        """
        failures = 0
        with open_channel(self.target, options=self._channel_options) as channel:
            stub = events_pb2_grpc.EventServiceStub(channel)
            while not self._stopping.is_set():
                self._progressed = False
                try:
                    self._consume(stub)
                except grpc.RpcError as error:
                    if self._stopping.is_set():
                        break
                    code = error.code()
                    if code not in RETRYABLE_CODES:
                        raise
                    logger.info("Event stream ended with %s; reconnecting", code.name)
                # A stream that delivered anything was a success: its end (a
                # server restart, say) starts the backoff over.
                failures = 0 if self._progressed else failures + 1
                self._stopping.wait(self._delay(failures))

    def stop(self) -> None:
        """Make `run()` return after the event in hand (if any) is handled and saved."""
        self._stopping.set()
        with self._lock:
            if self._call is not None:
                self._call.cancel()

    def _consume(self, stub: events_pb2_grpc.EventServiceStub) -> None:
        """Handle events until the stream ends, noting whether any came."""
        request = events_pb2.SubscribeRequest(
            after_cursor=self._store.load(), types=self.types, consumer=self.consumer
        )
        call = stub.Subscribe(request, metadata=self._metadata)
        with self._lock:
            self._call = call
        if self._stopping.is_set():
            call.cancel()
        try:
            for response in call:
                with self._atomic():
                    self._handler(response.event)
                    self._store.save(response.event.cursor)
                self._progressed = True
                if self._stopping.is_set():
                    call.cancel()
                    break
        finally:
            with self._lock:
                self._call = None

    def _delay(self, failures: int) -> float:
        """How long to wait after `failures` connections in a row delivered nothing."""
        ceiling = min(self._max_backoff_seconds, self._backoff_seconds * 2**failures)
        # "Equal jitter": never less than half the ceiling, so a fleet of consumers
        # spreads out without any of them hammering a recovering server.
        return ceiling / 2 + self._rng.uniform(0, ceiling / 2)


def event_payload(event: events_pb2.Event) -> dict[str, Any]:
    """The event's payload as the outbox holds it, whole numbers as ints.

    A `Struct` carries every number as a double; billing's payloads hold no
    fractions, and their integers (amounts in minor units) are exact up to 2**53.
    """
    return _ints(MessageToDict(event.payload))


def _ints(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: _ints(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_ints(item) for item in value]
    return value
