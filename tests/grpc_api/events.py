"""Writing outbox events and reading the stream, for the event stream's tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import grpc

from billing import outbox
from billing.events import record_event
from billing.models import BillingEvent, Payer
from grpc_api.generated.billing.v1 import events_pb2, events_pb2_grpc
from grpc_api.server import GrpcServer, build_server
from tests.billing.factories import NOW
from tests.grpc_api.tokens import Metadata, service_metadata

if TYPE_CHECKING:
    # The stubs' name for what a server-streaming call returns: an iterator of its
    # messages that is also the call (`cancel()`, `code()`).
    from grpc import _CallIterator

    Stream = _CallIterator[events_pb2.SubscribeResponse]


def record_events(
    count: int, *, type: str = "payment.succeeded", payer: Payer | None = None
) -> list[int]:
    """Commit `count` events of `type` in one transaction; their cursors."""
    with outbox.atomic():
        events = [
            record_event(
                type=type,
                occurred_at=NOW,
                payer=payer,
                payload={"n": index, "amount_minor": 129_900, "currency": "RUB"},
            )
            for index in range(count)
        ]
    return [event.cursor for event in events]


def outbox_cursors(*types: str) -> list[int]:
    """Every event's cursor in the outbox (of `types` if any), in order."""
    events = BillingEvent.objects.order_by("cursor")
    if types:
        events = events.filter(type__in=types)
    return list(events.values_list("cursor", flat=True))


def subscribe(
    channel: grpc.Channel,
    *,
    after_cursor: int = 0,
    types: tuple[str, ...] = (),
    metadata: Metadata = (),
) -> Stream:
    """An open `Subscribe` call: iterate it for the events, `cancel()` it to end.

    It is made with a service token granting `billing.events.read` unless
    `metadata` says otherwise.
    """
    stub = events_pb2_grpc.EventServiceStub(channel)
    request = events_pb2.SubscribeRequest(
        after_cursor=after_cursor, types=types, consumer="tests"
    )
    return stub.Subscribe(request, timeout=30, metadata=metadata or reader_metadata())


def reader_metadata() -> Metadata:
    """A service allowed to read the stream, as the shop is."""
    return service_metadata("billing.events.read", name="shop")


def take(call: Stream, count: int) -> list[events_pb2.Event]:
    """The next `count` events of an open stream."""
    return [next(call).event for _ in range(count)]


@contextmanager
def serving() -> Iterator[GrpcServer]:
    """A server built now, after the test changed the settings it reads."""
    server = build_server(host="127.0.0.1", port=0)
    server.start()
    try:
        yield server
    finally:
        server.stop(grace=0)
