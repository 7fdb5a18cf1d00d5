"""Storing verified webhooks in batches: one statement and one commit for many.

The ASGI edge's store on PostgreSQL (group commit). The notifications that arrive
while a batch is being written wait for the next one, so under load each
statement stores many of them and their senders share one commit, while a lone
notification is written at once. Every sender is answered after the commit that
holds its row, never before.

The statement inserts the batch unless stored (`ON CONFLICT … DO NOTHING` on the
unique constraint (gateway, external id, type)) and, in the same round trip,
finds the rows of the repeated deliveries: a duplicate is told so by the
database, as the WSGI views' store is (`_webhook_intake_store`).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from django.db import IntegrityError, connection
from django.db.models import Field

from payments.models import GatewayEventRecord
from payments.services._webhook_intake import VerifiedEvent

if TYPE_CHECKING:
    from psycopg import AsyncConnection
    from psycopg_pool import AsyncConnectionPool

logger = logging.getLogger(__name__)

# The columns that differ between notifications, and what each takes from one as a
# JSON value; the other columns get the model's defaults (RECEIVED, no error, no
# attempt yet).
_COLUMNS_OF_EVENT: Final[dict[str, Callable[[VerifiedEvent, dt.datetime], Any]]] = {
    "gateway": lambda verified, now: verified.gateway,
    "kind": lambda verified, now: verified.event.type,
    "external_id": lambda verified, now: verified.event.external_id,
    "gateway_reference": lambda verified, now: verified.event.gateway_reference or "",
    "payload": lambda verified, now: verified.payload,
    "received_at": lambda verified, now: now.isoformat(),
}
# A batch's statement is sent again on a new connection after one of these; it
# stores each row at most once, so sending it twice is harmless.
_TRIES: Final = 2

Key = tuple[str, str, str]


def event_key(verified: VerifiedEvent) -> Key:
    """What makes a gateway's message the same message: the unique constraint."""
    return (verified.gateway, verified.event.external_id, verified.event.type)


@dataclass(slots=True)
class _Waiting:
    """A notification waiting for its batch: its row, and its sender's future."""

    key: Key
    row: dict[str, Any]
    answer: asyncio.Future[tuple[int, bool]]


@dataclass(slots=True)
class _Written:
    """What a batch's statement found: each key's row id and whether it inserted it."""

    rows: dict[Key, tuple[int, bool]] = field(default_factory=dict)
    # The statement was sent again: its first try may have stored rows and lost
    # the reply, so their processing is asked for whatever the rows say.
    resent: bool = False


class BatchedEventStore:
    """Stores verified webhooks through a pool of async psycopg connections, a batch
    per statement, one statement in flight per process at a time.

    `on_stored` is called (on the event loop) after each batch that inserted a row
    or was sent again, once its rows have committed: the caller asks for their
    processing there.
    """

    def __init__(
        self,
        pool: AsyncConnectionPool[AsyncConnection[Any]],
        *,
        on_stored: Callable[[], None],
        max_batch: int = 200,
    ) -> None:
        self._pool = pool
        self._on_stored = on_stored
        self._max_batch = max_batch
        self._statements = _BatchStatements.of_model()
        self._waiting: list[_Waiting] = []
        self._writer: asyncio.Task[None] | None = None

    async def open(self) -> None:
        await self._pool.open(wait=True)

    async def close(self) -> None:
        if self._writer is not None:
            await self._writer
        await self._pool.close()

    async def store(
        self, verified: VerifiedEvent, *, now: dt.datetime
    ) -> tuple[int, bool]:
        """Store `verified` once: its row id, and whether this batch inserted it.

        :raises psycopg.Error: when the database refused the batch, twice.
        """
        loop = asyncio.get_running_loop()
        waiting = _Waiting(
            key=event_key(verified),
            row=self._statements.row_of(verified, now),
            answer=loop.create_future(),
        )
        self._waiting.append(waiting)
        if self._writer is None:
            self._writer = loop.create_task(self._write_while_waiting())
        # The writer answers every future it takes; a sender that went away while
        # waiting leaves its row to be written all the same.
        return await asyncio.shield(waiting.answer)

    async def _write_while_waiting(self) -> None:
        """Write batches until nothing waits: each takes whatever arrived meanwhile."""
        try:
            # One turn of the loop first, so that the requests already read join.
            await asyncio.sleep(0)
            while self._waiting:
                batch = self._waiting[: self._max_batch]
                del self._waiting[: self._max_batch]
                await self._write(batch)
        finally:
            self._writer = None

    async def _write(self, batch: list[_Waiting]) -> None:
        try:
            written = await self._written(batch)
        except Exception as error:  # noqa: BLE001 - each sender gets it, and a 500
            for waiting in batch:
                _answer(waiting.answer, error=error)
            return
        if written.resent or any(is_new for _, is_new in written.rows.values()):
            self._on_stored()
        for waiting in batch:
            found = written.rows.get(waiting.key)
            if found is None:
                # The row that conflicted is gone again: nothing of ours removes these.
                _answer(waiting.answer, error=IntegrityError("gateway_event_once"))
                continue
            _answer(waiting.answer, result=found)
            # A second sender of the same message in this batch finds it stored.
            written.rows[waiting.key] = (found[0], False)

    async def _written(self, batch: list[_Waiting]) -> _Written:
        """Insert the batch's rows unless stored, on a new connection after a
        connection failure or a deadlock."""
        import psycopg

        # Rows sorted by key: two batches that hold the same messages then wait for
        # each other's rows in one order, never in a circle.
        rows = sorted({waiting.key: waiting.row for waiting in batch}.items())
        for attempt in range(1, _TRIES + 1):
            try:
                async with self._pool.connection() as conn:
                    found = await self._insert(conn, [row for _, row in rows])
                    missing = [key for key, _ in rows if key not in found]
                    if missing:
                        found.update(await self._find(conn, missing))
                return _Written(rows=found, resent=attempt > 1)
            except (psycopg.OperationalError, psycopg.errors.DeadlockDetected):
                if attempt == _TRIES:
                    raise
                logger.warning(
                    "payments.webhook.batch_resent", extra={"rows": len(rows)}
                )
        raise AssertionError("unreachable")

    async def _insert(
        self, conn: AsyncConnection[Any], rows: list[dict[str, Any]]
    ) -> dict[Key, tuple[int, bool]]:
        # The batch travels as one JSON document: encoding it is one call to the
        # json module's C encoder, where arrays of values were dumped one by one.
        cursor = await conn.execute(
            self._statements.store, [json.dumps(rows), *self._statements.defaults]
        )
        return {
            (gateway, external_id, kind): (int(record_id), bool(inserted))
            for record_id, gateway, external_id, kind, inserted in (
                await cursor.fetchall()
            )
        }

    async def _find(
        self, conn: AsyncConnection[Any], keys: list[Key]
    ) -> dict[Key, tuple[int, bool]]:
        """Rows another process committed while this batch waited for them on the
        unique index: too new for the statement's snapshot, read by a second one."""
        gateways, external_ids, kinds = (
            list(column) for column in zip(*keys, strict=True)
        )
        cursor = await conn.execute(
            self._statements.find, [gateways, external_ids, kinds]
        )
        return {
            (gateway, external_id, kind): (int(record_id), False)
            for record_id, gateway, external_id, kind in await cursor.fetchall()
        }


def _answer(
    future: asyncio.Future[tuple[int, bool]],
    *,
    result: tuple[int, bool] | None = None,
    error: BaseException | None = None,
) -> None:
    if future.done():
        return
    if error is not None:
        future.set_exception(error)
    elif result is not None:
        future.set_result(result)


@dataclass(frozen=True, slots=True)
class _BatchStatements:
    """The SQL of a batch: names and types from the model, the rows bound by the
    server as one JSON document, so that the statement's text is the same for
    every batch (and PostgreSQL plans it once per connection)."""

    store: str
    find: str
    # What each varying column takes from a notification, by column.
    values_of_event: dict[str, Callable[[VerifiedEvent, dt.datetime], Any]]
    # The model's default of each other column, in the statement's order.
    defaults: tuple[Any, ...]

    def row_of(self, verified: VerifiedEvent, now: dt.datetime) -> dict[str, Any]:
        return {
            column: value(verified, now)
            for column, value in self.values_of_event.items()
        }

    @classmethod
    def of_model(cls) -> _BatchStatements:
        meta = GatewayEventRecord._meta
        quote = connection.ops.quote_name
        table, pk = quote(meta.db_table), quote(str(meta.pk.column))
        fields: list[Field[Any, Any]] = [
            f for f in meta.concrete_fields if not f.primary_key
        ]
        varying = [f for f in fields if f.name in _COLUMNS_OF_EVENT]
        fixed = [f for f in fields if f.name not in _COLUMNS_OF_EVENT]
        record = ", ".join(
            f"{quote(str(f.column))} {f.db_type(connection)}" for f in varying
        )
        selected = ", ".join(
            [f"b.{quote(str(f.column))}" for f in varying]
            + [f"%s::{f.db_type(connection)}" for f in fixed]
        )
        identity = "(gateway, external_id, kind)"
        store = (
            "WITH b AS (SELECT * FROM jsonb_to_recordset(%s::jsonb) "  # noqa: S608
            f"AS b ({record})), "
            f"inserted AS (INSERT INTO {table} "
            f"({', '.join(quote(str(f.column)) for f in varying + fixed)}) "
            f"SELECT {selected} FROM b ON CONFLICT {identity} DO NOTHING "
            f"RETURNING {pk}, gateway, external_id, kind) "
            f"SELECT {pk}, gateway, external_id, kind, TRUE FROM inserted "
            f"UNION ALL SELECT t.{pk}, t.gateway, t.external_id, t.kind, FALSE "
            f"FROM {table} t JOIN b ON (t.gateway, t.external_id, t.kind) "
            "= (b.gateway, b.external_id, b.kind)"
        )
        find = (
            f"SELECT {pk}, gateway, external_id, kind FROM {table} "  # noqa: S608
            f"WHERE {identity} IN (SELECT * FROM unnest(%s::text[], %s::text[], "
            "%s::text[]))"
        )
        return cls(
            store=store,
            find=find,
            values_of_event={str(f.column): _COLUMNS_OF_EVENT[f.name] for f in varying},
            defaults=tuple(
                f.get_db_prep_save(f.get_default(), connection) for f in fixed
            ),
        )
