"""The consumer helper (`grpc_api.client`) against a real server: cursors, resuming,
reconnecting, stopping, and a consumer process killed again and again."""

from __future__ import annotations

import datetime as dt
import os
import random
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import grpc
import pytest
from django.conf import settings
from django.db import connection

from accounts.service_tokens import issue_service_token
from grpc_api.client import (
    CursorStore,
    EventConsumer,
    FileCursorStore,
    event_payload,
)
from grpc_api.client.events import Handler
from grpc_api.generated.billing.v1 import events_pb2
from grpc_api.server import GrpcServer, build_server
from tests.grpc_api.events import outbox_cursors, record_events
from tests.polling import wait_until

# The server's threads read only what the test has committed.
_SERVED = pytest.mark.django_db(transaction=True)


def events_token(*scopes: str) -> str:
    return issue_service_token(
        name="shop",
        scopes=scopes or ("billing.events.read",),
        days=1,
        now=dt.datetime.now(tz=dt.UTC),
    )


class TestFileCursorStore:
    def test_starts_at_zero_without_a_file(self, tmp_path: Path) -> None:
        """A consumer that never saved replays from the first event."""
        assert FileCursorStore(tmp_path / "cursor").load() == 0

    def test_loads_the_latest_cursor_saved(self, tmp_path: Path) -> None:
        """Each save replaces the last, leaving no temporary file behind."""
        store = FileCursorStore(tmp_path / "cursor")

        store.save(41)
        store.save(42)

        assert FileCursorStore(tmp_path / "cursor").load() == 42
        assert [path.name for path in tmp_path.iterdir()] == ["cursor"]


class TestEventPayload:
    def test_gives_whole_numbers_back_as_ints(self) -> None:
        """Struct numbers are doubles; amounts come back as the ints they were."""
        event = events_pb2.Event()
        event.payload.update(
            {"amount_minor": 129_900, "lines": [{"quantity": 2}], "currency": "RUB"}
        )

        payload = event_payload(event)

        assert payload == {
            "amount_minor": 129_900,
            "lines": [{"quantity": 2}],
            "currency": "RUB",
        }
        assert isinstance(payload["amount_minor"], int)


def shop_consumer(
    port: int, store: CursorStore, handler: Handler, **options: Any
) -> EventConsumer:
    """A consumer of the server on `port`, with a token to read the stream."""
    return EventConsumer(
        **{
            "target": f"127.0.0.1:{port}",
            "token": events_token(),
            "consumer": "shop",
            "handler": handler,
            "store": store,
            **options,
        }
    )


@contextmanager
def consuming(consumer: EventConsumer) -> Iterator[list[BaseException]]:
    """`consumer.run()` on a thread until the block ends; what it raised, if any."""
    raised: list[BaseException] = []

    def run() -> None:
        try:
            consumer.run()
        except BaseException as error:  # noqa: BLE001 - handed to the test
            raised.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    try:
        yield raised
    finally:
        consumer.stop()
        thread.join(timeout=10)
        assert not thread.is_alive(), "the consumer did not stop"


@_SERVED
class TestEventConsumer:
    def test_handles_events_after_the_stored_cursor_and_saves_each(
        self, server: GrpcServer, tmp_path: Path
    ) -> None:
        """A restarted consumer resumes after its cursor and keeps up with new ones."""
        cursors = record_events(4)
        store = FileCursorStore(tmp_path / "cursor")
        store.save(cursors[1])
        handled: list[int] = []
        consumer = shop_consumer(
            server.port, store, lambda event: handled.append(event.cursor)
        )

        with consuming(consumer) as raised:
            wait_until(lambda: len(handled) == 2, message="stored events handled")
            later = record_events(2)
            wait_until(lambda: len(handled) == 4, message="new events handled")

        assert not raised
        assert handled == [*cursors[2:], *later]
        assert store.load() == later[-1]

    def test_saves_the_cursor_inside_the_atomic_block_of_the_handler(
        self, server: GrpcServer, tmp_path: Path
    ) -> None:
        """With `atomic`, the handler's effects and the cursor commit as one."""
        (cursor,) = record_events(1)
        store = FileCursorStore(tmp_path / "cursor")
        steps: list[str] = []

        @contextmanager
        def atomic() -> Iterator[None]:
            steps.append("begin")
            yield
            steps.append(f"commit at {store.load()}")

        consumer = shop_consumer(
            server.port,
            store,
            lambda event: steps.append(f"handle {event.cursor}"),
            atomic=atomic,
        )

        with consuming(consumer):
            wait_until(lambda: len(steps) == 3, message="event handled")

        assert steps == ["begin", f"handle {cursor}", f"commit at {cursor}"]

    def test_reconnects_when_the_server_restarts(self, tmp_path: Path) -> None:
        """UNAVAILABLE from a stopping server: the consumer backs off, reconnects to
        the server back on the same address, and misses nothing in between."""
        first = build_server(host="127.0.0.1", port=0)
        first.start()
        port = first.port
        cursors = record_events(2)
        handled: list[int] = []
        consumer = shop_consumer(
            port,
            FileCursorStore(tmp_path / "cursor"),
            lambda event: handled.append(event.cursor),
            backoff_seconds=0.05,
            max_backoff_seconds=0.2,
        )

        with consuming(consumer) as raised:
            wait_until(lambda: len(handled) == 2, message="first events handled")
            first.stop(grace=5)
            cursors += record_events(3)
            second = build_server(host="127.0.0.1", port=port)
            second.start()
            try:
                wait_until(lambda: len(handled) == 5, message="handled after restart")
            finally:
                consumer.stop()
                second.stop(grace=0)

        assert not raised
        assert handled == cursors

    def test_gives_up_on_a_token_that_does_not_grant_the_stream(
        self, server: GrpcServer, tmp_path: Path
    ) -> None:
        """Reconnecting cannot cure PERMISSION_DENIED: `run()` raises it."""
        consumer = shop_consumer(
            server.port,
            FileCursorStore(tmp_path / "cursor"),
            lambda event: None,
            token=events_token("billing.read"),
        )

        with pytest.raises(grpc.RpcError) as raised:
            consumer.run()

        assert raised.value.code() == grpc.StatusCode.PERMISSION_DENIED


TOTAL_EVENTS = 10_000
KILLS = 20
# How far the writer may run ahead of the consumer, so that writes go on while the
# consumer is killed and restarted instead of all landing before its first start.
LEAD = 1_500


def handled_cursors(log: Path) -> list[int]:
    return [int(line) for line in log.read_text().splitlines()] if log.exists() else []


def has_handled(log: Path, count: int) -> Callable[[], bool]:
    """Whether the consumer has handled at least `count` events, asked on each call."""
    return lambda: len(handled_cursors(log)) >= count


def start_consumer(port: int, token: str, log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.grpc_api.consumer_process",
            f"127.0.0.1:{port}",
            token,
            str(log),
        ],
        cwd=settings.BASE_DIR,
        env={**os.environ, "PYTHONPATH": str(settings.BASE_DIR)},
    )


@_SERVED
class TestConsumerKilledAndRestarted:
    def test_handles_every_event_once_and_in_order(
        self, server: GrpcServer, tmp_path: Path
    ) -> None:
        """10,000 events, written while a consumer process is SIGKILLed at 20 random
        points and restarted: the events it handled are the outbox, once each, in
        order.

        The consumer's store and its record of handled events are one append-only
        file (`consumer_process.HandledLog`): a cursor is saved exactly when its
        event is recorded, so at-least-once delivery shows up here as exactly-once.
        A gap, a duplicate or a reordering would each break the equality.
        """
        rng = random.Random(20261207)
        kill_points = sorted(rng.sample(range(1, TOTAL_EVENTS), KILLS))
        log = tmp_path / "handled.log"
        token = events_token()
        writer_failed: list[BaseException] = []

        def write() -> None:
            written = 0
            try:
                while written < TOTAL_EVENTS:
                    wait_until(
                        has_handled(log, written - LEAD + 1),
                        timeout=30,
                        message="the consumer keeps up",
                    )
                    count = min(rng.randint(1, 60), TOTAL_EVENTS - written)
                    written += len(record_events(count))
            except BaseException as error:  # noqa: BLE001 - handed to the test
                writer_failed.append(error)
            finally:
                connection.close()

        writer = threading.Thread(target=write)
        writer.start()
        try:
            for point in kill_points:
                process = start_consumer(server.port, token, log)
                wait_until(
                    has_handled(log, point),
                    timeout=30,
                    message=f"the consumer handled {point} events",
                )
                process.send_signal(signal.SIGKILL)
                process.wait(timeout=10)
            ready = Path(f"{log}.ready")
            ready.unlink(missing_ok=True)
            process = start_consumer(server.port, token, log)
            wait_until(ready.exists, timeout=30, message="the last consumer started")
            writer.join(timeout=60)
            wait_until(
                has_handled(log, TOTAL_EVENTS),
                timeout=30,
                message="the consumer handled every event",
            )
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=10) == 0
        finally:
            writer.join(timeout=60)

        assert not writer_failed
        assert handled_cursors(log) == outbox_cursors()
        assert len(outbox_cursors()) == TOTAL_EVENTS
