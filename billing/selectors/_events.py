"""Reads of the events outbox in cursor order, one bounded batch at a time."""

from __future__ import annotations

from collections.abc import Collection

from django.db import connection

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
