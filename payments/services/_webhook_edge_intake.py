"""The webhook intake of the ASGI edge: verify on the event loop, store once, answer.

The same steps as `receive_gateway_event`, with the same code for the checks
(`verify_gateway_event`); only the waiting differs. On PostgreSQL the rows are
written in batches through a pool of async connections (`BatchedEventStore`), and
processing is asked for once per batch, from a thread, since publishing a task
blocks. On any other database (SQLite for `make run` and the tests) the WSGI
views' store runs in a thread, as it is.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Final, Protocol, TypeVar

from asgiref.sync import sync_to_async
from django.core.signals import request_finished, request_started
from django.db import connection, connections

from billing.clock import billing_now, test_clock_enabled
from payments.gateways.base import GatewayEvent
from payments.services._webhook_batches import BatchedEventStore
from payments.services._webhook_intake import (
    CheckAnswer,
    ReceivedEvent,
    VerifiedEvent,
    announce_stored_events,
    answer_cloudpayments_check,
    log_duplicate,
    store_verified_event,
    verify_gateway_event,
)

logger = logging.getLogger(__name__)
Result = TypeVar("Result")

# Connections each edge process keeps to PostgreSQL: one statement is in flight at a
# time, and a second connection takes over at once when one breaks.
POOL_SIZE: Final = 2


class EventStore(Protocol):
    async def open(self) -> None: ...

    async def close(self) -> None: ...

    async def store(
        self, verified: VerifiedEvent, *, now: dt.datetime
    ) -> ReceivedEvent: ...


class EdgeIntake:
    """Receives gateway webhooks on an event loop; `open` before, `close` after."""

    def __init__(self, store: EventStore) -> None:
        self._store = store

    @classmethod
    def for_database(cls) -> EdgeIntake:
        """The intake for the configured database: batches on PostgreSQL."""
        return cls.batched() if connection.vendor == "postgresql" else cls.threaded()

    @classmethod
    def batched(cls) -> EdgeIntake:
        """Rows written in batches through a pool of async psycopg connections."""
        return cls(_PooledStore())

    @classmethod
    def threaded(cls) -> EdgeIntake:
        """Rows written one by one through Django's connection, in a thread."""
        return cls(_ThreadedStore())

    async def open(self) -> None:
        await self._store.open()

    async def close(self) -> None:
        await self._store.close()
        # The connection Django's thread for sync code kept (CONN_MAX_AGE).
        await sync_to_async(connections.close_all, thread_sensitive=True)()

    async def receive(
        self, *, gateway: str, kind: str, body: bytes, headers: Mapping[str, str]
    ) -> ReceivedEvent:
        """Verify, parse and store a webhook once; processing is asked for after
        its row has committed.

        :raises InvalidWebhookSignature: when the signature is missing or wrong.
        :raises MalformedWebhook: when a verified body is not a gateway message.
        :raises UnknownGateway: when `gateway` is not configured.
        """
        verified = verify_gateway_event(
            gateway=gateway, kind=kind, body=body, headers=headers
        )
        return await self._store.store(verified, now=await _now())

    async def answer_check(self, event: GatewayEvent) -> CheckAnswer:
        """`answer_cloudpayments_check`, through Django's connection in a thread."""
        return await in_request(lambda: answer_cloudpayments_check(event=event))


async def in_request(call: Callable[[], Result]) -> Result:
    """Run `call` in Django's thread for sync code, between the signals of a request.

    The signals close a connection that broke or outlived `CONN_MAX_AGE`, as for
    Django's own requests; Django's test clients silence them, as for theirs.
    """

    def run() -> Result:
        request_started.send(sender=EdgeIntake)
        try:
            return call()
        finally:
            request_finished.send(sender=EdgeIntake)

    return await sync_to_async(run, thread_sensitive=True)()


async def _now() -> dt.datetime:
    # The test clock (never on in production) is read from the cache.
    if test_clock_enabled():
        return await sync_to_async(billing_now, thread_sensitive=False)()
    return billing_now()


class _ThreadedStore:
    """`store_verified_event` in Django's thread for sync code."""

    async def open(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def store(
        self, verified: VerifiedEvent, *, now: dt.datetime
    ) -> ReceivedEvent:
        return await in_request(lambda: store_verified_event(verified, now=now))


class _PooledStore:
    """Batches through a pool of async psycopg connections to Django's database,
    made when the edge starts (in its event loop, with the database's name as the
    process then has it)."""

    def __init__(self) -> None:
        self._announcer: _Announcer | None = None
        self._batches: BatchedEventStore | None = None

    async def open(self) -> None:
        from psycopg_pool import AsyncConnectionPool

        self._announcer = _Announcer()
        self._batches = BatchedEventStore(
            AsyncConnectionPool(
                kwargs=_pool_connection_parameters(),
                min_size=POOL_SIZE,
                max_size=POOL_SIZE,
                open=False,
                name="webhook-edge",
            ),
            on_stored=self._announcer.request,
        )
        await self._batches.open()

    async def close(self) -> None:
        if self._batches is not None:
            await self._batches.close()
        if self._announcer is not None:
            await asyncio.get_running_loop().run_in_executor(
                None, self._announcer.close
            )

    async def store(
        self, verified: VerifiedEvent, *, now: dt.datetime
    ) -> ReceivedEvent:
        if self._batches is None:
            raise RuntimeError("the webhook store opens with the lifespan's startup")
        record_id, is_new = await self._batches.store(verified, now=now)
        if not is_new:
            log_duplicate(verified.gateway, verified.event.type, record_id)
        return ReceivedEvent(record_id=record_id, event=verified.event, is_new=is_new)


def _pool_connection_parameters() -> dict[str, Any]:
    """Django's parameters for its database, for plain psycopg connections: each
    statement commits on its own, its values bound by the server, and a statement
    run often is prepared (the batch's text is always the same)."""
    parameters = connection.get_connection_params()
    for django_only in ("context", "cursor_factory", "prepare_threshold"):
        parameters.pop(django_only, None)
    return {**parameters, "autocommit": True}


class _Announcer:
    """Sends `gateway_events_stored` from a thread of its own, coalescing requests.

    A request made while an earlier one still waits for the thread adds nothing:
    that one is sent after this request's rows committed, which is all a drain
    needs (see `DrainScheduler`). The receivers may publish a task, which blocks,
    so the event loop never sends the signal itself.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queued = False
        self._thread = ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="webhook-announcer"
        )

    def request(self) -> None:
        with self._lock:
            if self._queued:
                return
            self._queued = True
        self._thread.submit(self._announce)

    def close(self) -> None:
        self._thread.shutdown(wait=True)

    def _announce(self) -> None:
        with self._lock:
            self._queued = False
        try:
            announce_stored_events()
        except Exception:
            # As the WSGI views' robust on-commit hook: the rows are safe, and the
            # beat sweep (`payments.retry_gateway_events`) picks them up.
            logger.exception("Unable to ask for the processing of stored webhooks")
        finally:
            # A task run eagerly (tests, `make run`'s settings) used the database.
            connections.close_all()
