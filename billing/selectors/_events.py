"""Reads of the events outbox in cursor order, one bounded batch at a time, and
how far a consumer trails it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass

from django.db import connection
from django.db.models import Max

from billing.models import BillingEvent


def event_batch_after(
    *, after_cursor: int, types: Collection[str] = (), limit: int
) -> list[BillingEvent]:
    """The first `limit` events after `after_cursor`, oldest first, of `types` if any.

    Keyset pagination: the next batch starts after the last cursor of this one, so
    every batch is an index range scan however far the outbox has grown (an OFFSET
    would re-read every row before it). With types, each type's rows are read from
    the (type, cursor) index in order and merged, instead of scanning every event
    after the cursor for the few of the wanted types.
    """
    after = BillingEvent.objects.filter(cursor__gt=after_cursor).order_by("cursor")
    wanted = sorted(set(types))
    if not wanted:
        return list(after[:limit])
    if len(wanted) == 1:
        return list(after.filter(type=wanted[0])[:limit])
    if not connection.features.supports_slicing_ordering_in_compound:
        # SQLite cannot limit the parts of a UNION; its outboxes are small.
        return list(after.filter(type__in=wanted)[:limit])
    per_type = [after.filter(type=name)[:limit] for name in wanted]
    merged = per_type[0].union(*per_type[1:], all=True)
    return list(merged.order_by("cursor")[:limit])


@dataclass(frozen=True, slots=True)
class EventBacklog:
    """The events a consumer has still to take: how many (counted up to a limit)
    and when the first of them occurred."""

    count: int
    first_occurred_at: dt.datetime | None


def latest_event_cursor() -> int:
    """The cursor of the newest event in the outbox; 0 while it is empty."""
    latest: int | None = BillingEvent.objects.aggregate(latest=Max("cursor"))["latest"]
    return latest or 0


def event_backlog_after(
    *, after_cursor: int, types: Collection[str] = (), count_limit: int
) -> EventBacklog:
    """The events after `after_cursor`, of `types` if any, that a consumer at that
    cursor has not taken yet.

    The count stops at `count_limit`, so that a consumer far behind costs a
    bounded index range, not the whole outbox.
    """
    pending = BillingEvent.objects.filter(cursor__gt=after_cursor)
    if types:
        pending = pending.filter(type__in=sorted(set(types)))
    first = event_batch_after(after_cursor=after_cursor, types=types, limit=1)
    return EventBacklog(
        count=pending.values("cursor")[:count_limit].count(),
        first_occurred_at=first[0].occurred_at if first else None,
    )
