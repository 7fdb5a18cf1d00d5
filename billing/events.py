"""Writing billing facts to the events outbox."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db import connection, transaction

from billing.models import BillingEvent, Payer

# Any constant works: it names the one lock that orders every event writer.
_EVENT_ORDER_LOCK = 0x62696C6C  # "bill"


class EventOutsideTransaction(RuntimeError):
    """An event must be written in the transaction of the change it describes."""


def record_event(
    *,
    type: str,
    occurred_at: dt.datetime,
    payload: Mapping[str, Any],
    payer: Payer | None = None,
    payload_version: int = 1,
) -> BillingEvent:
    """Append an event to the outbox within the caller's transaction.

    :raises EventOutsideTransaction: when no transaction is open.
    """
    if not transaction.get_connection().in_atomic_block:
        raise EventOutsideTransaction(type)
    _serialize_event_commits()
    return BillingEvent.objects.create(
        type=type,
        payer=payer,
        occurred_at=occurred_at,
        payload=dict(payload),
        payload_version=payload_version,
    )


def _serialize_event_commits() -> None:
    """Hold the event-order lock until commit, so cursors commit in ascending order.

    Without it, a transaction that took cursor 10 could commit after one that took 11,
    and a consumer that had already read 11 would never see 10. SQLite serialises
    writers anyway; PostgreSQL needs the advisory lock.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_EVENT_ORDER_LOCK])
