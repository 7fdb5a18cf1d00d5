"""Writing billing facts to the events outbox."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any

from django.db import transaction

from billing import outbox
from billing.models import BillingEvent, Payer


class EventOutsideTransaction(RuntimeError):
    """An event must be written in the transaction of the change it describes."""


def record_event(
    *,
    type: str,
    occurred_at: dt.datetime,
    payload: Mapping[str, Any],
    payer: Payer | None = None,
    payer_id: uuid.UUID | None = None,
    payload_version: int = 1,
) -> BillingEvent:
    """Append an event to the outbox within the caller's transaction.

    Inside `billing.outbox.atomic()` the event is written at the end of that block
    (its `cursor` is set then); elsewhere at once.

    Cursors commit in ascending order: on PostgreSQL a trigger on the table takes a
    transaction-level advisory lock before each insert (migration
    `billing.0002_invoices_and_ledger`), so a transaction that took cursor 10 cannot
    commit after one that took 11 and a consumer that has read 11 never misses 10.
    SQLite serialises writers anyway.

    :raises EventOutsideTransaction: when no transaction is open.
    """
    if not transaction.get_connection().in_atomic_block:
        raise EventOutsideTransaction(type)
    event = BillingEvent(
        type=type,
        payer_id=payer.id if payer is not None else payer_id,
        occurred_at=occurred_at,
        payload=dict(payload),
        payload_version=payload_version,
    )
    if not outbox.hold_event(event):
        event.save(force_insert=True)
    return event
