"""`EventService.Subscribe` over a real channel: replay, filters, live delivery,
flow control, cancel and shutdown."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import grpc
import pytest
from django.db import connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.signals import connection_created
from pytest_django.fixtures import Settings

from grpc_api.generated.billing.v1 import events_pb2, events_pb2_grpc
from grpc_api.server import GrpcServer
from grpc_api.servicers.events import SHUTDOWN_MESSAGE
from tests.billing.factories import PayerFactory
from tests.grpc_api.events import (
    outbox_cursors,
    record_events,
    serving,
    subscribe,
    take,
)
from tests.grpc_api.tokens import Metadata, service_metadata, user_metadata
from tests.polling import wait_until

# The server's threads read only what the test has committed.
pytestmark = pytest.mark.django_db(transaction=True)


class TestReplay:
    def test_sends_every_event_from_the_first_in_cursor_order(
        self, channel: grpc.Channel
    ) -> None:
        """After cursor 0 the stream replays the whole outbox, oldest first."""
        payer = PayerFactory.create()
        record_events(3, payer=payer)
        record_events(2, type="invoice.paid")

        events = take(subscribe(channel), 5)

        assert [event.cursor for event in events] == outbox_cursors()
        first = events[0]
        assert first.type == "payment.succeeded"
        assert first.payer_id == str(payer.id)
        assert first.payload_version == 1
        assert first.occurred_at.ToDatetime().year == 2026
        assert dict(first.payload) == {
            "n": 0,
            "amount_minor": 129_900,
            "currency": "RUB",
        }
        assert events[-1].payer_id == ""

    def test_resumes_after_a_cursor_in_the_middle(self, channel: grpc.Channel) -> None:
        """A consumer that handled up to cursor c gets c+1 … and nothing before."""
        cursors = record_events(6)

        events = take(subscribe(channel, after_cursor=cursors[2]), 3)

        assert [event.cursor for event in events] == cursors[3:]

    def test_sends_only_the_types_asked_for(self, channel: grpc.Channel) -> None:
        """With types the stream skips every other event, in order across types."""
        for _ in range(2):
            record_events(2, type="payment.succeeded")
            record_events(1, type="invoice.paid")
            record_events(3, type="payment.failed")
        wanted = ("invoice.paid", "payment.succeeded")

        events = take(subscribe(channel, types=wanted), 6)

        assert [event.cursor for event in events] == outbox_cursors(*wanted)

    def test_replays_in_batches_without_skipping_at_their_edges(
        self, settings: Settings
    ) -> None:
        """Events on both sides of each batch boundary arrive once each, in order."""
        settings.GRPC_EVENTS_BATCH_SIZE = 4
        for _ in range(5):
            record_events(2, type="payment.succeeded")
            record_events(1, type="invoice.paid")
            record_events(1, type="payment.failed")
        two = ("invoice.paid", "payment.succeeded")

        with (
            serving() as server,
            grpc.insecure_channel(f"127.0.0.1:{server.port}") as opened,
        ):
            every = take(subscribe(opened), 20)
            paid = take(subscribe(opened, types=("invoice.paid",)), 5)
            either = take(subscribe(opened, types=two), 15)

        assert [event.cursor for event in every] == outbox_cursors()
        assert [event.cursor for event in paid] == outbox_cursors("invoice.paid")
        assert [event.cursor for event in either] == outbox_cursors(*two)


class TestBadInput:
    @pytest.mark.parametrize(
        ("after_cursor", "types", "named"),
        [
            (-1, (), "after_cursor"),
            (0, ("payment.succeeded", "payment.teleported"), "payment.teleported"),
            (0, ("",), "Unknown event types"),
        ],
    )
    def test_answers_invalid_argument(
        self,
        channel: grpc.Channel,
        after_cursor: int,
        types: tuple[str, ...],
        named: str,
    ) -> None:
        """A negative cursor or a type billing never records is refused at once."""
        call = subscribe(channel, after_cursor=after_cursor, types=types)

        with pytest.raises(grpc.RpcError) as raised:
            next(call)

        assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert named in (raised.value.details() or "")


class TestAccess:
    @pytest.mark.parametrize(
        ("metadata", "code"),
        [
            (lambda: (), grpc.StatusCode.UNAUTHENTICATED),
            (lambda: user_metadata(uuid.uuid4()), grpc.StatusCode.PERMISSION_DENIED),
            (
                lambda: service_metadata("billing.read", "billing.payments.write"),
                grpc.StatusCode.PERMISSION_DENIED,
            ),
        ],
        ids=["no-token", "user-token", "service-without-the-scope"],
    )
    def test_refuses_callers_without_the_events_read_scope(
        self,
        channel: grpc.Channel,
        metadata: Callable[[], Metadata],
        code: grpc.StatusCode,
    ) -> None:
        """Only a service granted `billing.events.read` may read every payer's facts."""
        record_events(1)
        stub = events_pb2_grpc.EventServiceStub(channel)

        call = stub.Subscribe(
            events_pb2.SubscribeRequest(), timeout=10, metadata=metadata()
        )

        with pytest.raises(grpc.RpcError) as raised:
            next(call)
        assert raised.value.code() == code


class TestLiveDelivery:
    def test_sends_events_committed_while_the_stream_is_open(
        self, channel: grpc.Channel, server: GrpcServer
    ) -> None:
        """New events arrive without the client asking again, well within a second.

        On PostgreSQL the stream waits for NOTIFY and re-reads on its own only every
        `GRPC_EVENTS_REPOLL_SECONDS` (5 s), so arriving within 1 s is the
        notification's doing; on SQLite the stream polls every 0.2 s.
        """
        (first,) = record_events(1)
        call = subscribe(channel, after_cursor=first - 1)
        take(call, 1)

        for _ in range(3):
            started = time.monotonic()
            (written,) = record_events(1)
            (event,) = take(call, 1)
            elapsed = time.monotonic() - started

            assert event.cursor == written
            assert elapsed < 1.0

    @pytest.mark.postgres
    def test_keeps_listening_after_the_listener_connection_drops(
        self, channel: grpc.Channel, server: GrpcServer
    ) -> None:
        """A killed LISTEN connection is replaced, and NOTIFY wakes streams again."""
        wait_until(lambda: server.wakeups.backend_pid, message="listener connected")
        dropped = server.wakeups.backend_pid
        call = subscribe(channel)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [dropped])
        wait_until(
            lambda: server.wakeups.backend_pid not in (None, dropped),
            message="listener reconnected",
        )

        started = time.monotonic()
        (written,) = record_events(1)
        (event,) = take(call, 1)

        assert event.cursor == written
        assert time.monotonic() - started < 1.0


class TestEnd:
    def test_client_cancel_frees_the_server_thread(
        self, channel: grpc.Channel, server: GrpcServer
    ) -> None:
        """A cancelled stream stops waiting at once and its server thread is free."""
        record_events(1)
        call = subscribe(channel)
        take(call, 1)
        wait_until(lambda: server.events.open_streams == 1, message="stream open")

        call.cancel()

        wait_until(lambda: server.events.open_streams == 0, message="stream ended")

    def test_server_shutdown_ends_open_streams_with_unavailable(self) -> None:
        """Stopping the server ends a waiting stream at once with UNAVAILABLE, so its
        client reconnects with its last cursor; the stop does not wait out the grace.
        """
        record_events(1)
        with (
            serving() as server,
            grpc.insecure_channel(f"127.0.0.1:{server.port}") as opened,
        ):
            call = subscribe(opened)
            take(call, 1)
            started = time.monotonic()

            server.stop(grace=30)

            stopped_in = time.monotonic() - started
            with pytest.raises(grpc.RpcError) as raised:
                next(call)

        assert raised.value.code() == grpc.StatusCode.UNAVAILABLE
        assert raised.value.details() == SHUTDOWN_MESSAGE
        assert stopped_in < 5
        assert server.events.open_streams == 0


@pytest.fixture
def outbox_reads() -> Iterator[list[str]]:
    """The SQL of every outbox read by a connection opened from now on."""
    reads: list[str] = []
    lock = threading.Lock()

    def record(
        execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        if '"billing_billingevent"' in sql and sql.lstrip().startswith("SELECT"):
            with lock:
                reads.append(sql)
        return execute(sql, params, many, context)

    def install(sender: object, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
        connection.execute_wrappers.append(record)

    connection_created.connect(install, weak=False)
    yield reads
    connection_created.disconnect(install)


@pytest.mark.postgres
class TestIdleStreams:
    def test_hold_no_database_connection_while_waiting(
        self, channel: grpc.Channel, server: GrpcServer
    ) -> None:
        """Streams waiting for events hold no connection of their own: a thousand
        idle consumers cost the database nothing but the one listener."""
        record_events(1)
        wait_until(lambda: server.wakeups.backend_pid, message="listener connected")
        before = _database_sessions()
        calls = [subscribe(channel) for _ in range(5)]
        for call in calls:
            take(call, 1)

        wait_until(
            lambda: _database_sessions() <= before,
            message="the waiting streams closed their connections",
        )

        assert server.events.open_streams == 5


def _database_sessions() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
        )
        (count,) = cursor.fetchone()
    return int(count)


class TestSlowConsumer:
    def test_server_reads_no_further_than_the_client_takes(
        self, settings: Settings, outbox_reads: list[str]
    ) -> None:
        """A client that stops reading parks its stream: the server has read a few
        batches (what the HTTP/2 window holds), not the whole outbox, and reads the
        rest batch by batch as the client catches up.
        """
        settings.GRPC_EVENTS_BATCH_SIZE = 50
        total = 4_000
        for _ in range(total // 500):
            record_events(500)
        # A fixed 64 KiB window: no bandwidth probing growing it while idle.
        options = [("grpc.http2.bdp_probe", 0)]

        with (
            serving() as server,
            grpc.insecure_channel(f"127.0.0.1:{server.port}", options) as opened,
        ):
            call = subscribe(opened)
            take(call, 1)
            _wait_until_steady(lambda: len(outbox_reads))
            reads_while_parked = len(outbox_reads)
            rest = take(call, total - 1)

        assert reads_while_parked * 50 < total / 2
        assert all("LIMIT 50" in sql for sql in outbox_reads)
        assert rest[-1].cursor == outbox_cursors()[-1]
        assert len(outbox_reads) >= total // 50


def _wait_until_steady(count: object) -> None:
    """Wait until `count()` is above 0 and has not changed for half a second."""
    assert callable(count)
    seen: list[tuple[float, int]] = []

    def steady() -> bool:
        now, value = time.monotonic(), count()
        if not seen or seen[-1][1] != value:
            seen.append((now, value))
        return value > 0 and now - seen[-1][0] >= 0.5

    wait_until(steady, timeout=10, message="the server stopped reading")
