"""Transactions whose events and audit rows are written together at their end.

`billing.outbox.atomic()` is `transaction.atomic()` that holds back the events and
status changes recorded directly inside it and writes them with one INSERT per table
just before it commits. Two reasons:

- Every event insert takes the event-order lock (see `billing.events`), which is then
  held until commit. Written last, the events hold it for the shortest time, and
  after every other row lock of the transaction: a transaction never waits for a
  row while holding the lock that all event writers need.
- A renewal records a handful of events and transitions; one INSERT each instead of
  one per row is what keeps a renewal within its statement budget.

An event recorded inside a plain `transaction.atomic()` nested within this block is
written at once, as before: that block may roll back to its savepoint on its own,
and an event held back here would then outlive the change it describes.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import connection, transaction

from billing.models import BillingEvent, StatusChange

_local = threading.local()


@dataclass
class _Pending:
    # How many atomic blocks were open when this one began, its own included.
    depth: int
    events: list[BillingEvent] = field(default_factory=list)
    changes: list[StatusChange] = field(default_factory=list)


def _stack() -> list[_Pending]:
    stack: list[_Pending] | None = getattr(_local, "stack", None)
    if stack is None:
        stack = _local.stack = []
    return stack


@contextmanager
def atomic(*, savepoint: bool = True) -> Iterator[None]:
    """An atomic block that writes its events and status changes at its end.

    `savepoint=False` joins an enclosing transaction without a savepoint (two
    statements fewer); an error inside then rolls the whole transaction back.
    """
    stack = _stack()
    with transaction.atomic(savepoint=savepoint):
        pending = _Pending(depth=len(connection.atomic_blocks))
        stack.append(pending)
        try:
            yield
        finally:
            stack.pop()
        # Reached only without an error: a failed block's rows vanish with it. The
        # rows go up only to a block of ours directly around this one; a plain
        # atomic block in between may still roll back without them.
        if stack and stack[-1].depth == pending.depth - 1:
            stack[-1].events.extend(pending.events)
            stack[-1].changes.extend(pending.changes)
        else:
            _write(pending)


def hold_event(event: BillingEvent) -> bool:
    """Keep `event` for the enclosing `atomic()` block; False when there is none."""
    pending = _innermost()
    if pending is None:
        return False
    pending.events.append(event)
    return True


def hold_status_change(change: StatusChange) -> bool:
    """Keep `change` for the enclosing `atomic()` block; False when there is none."""
    pending = _innermost()
    if pending is None:
        return False
    pending.changes.append(change)
    return True


def _innermost() -> _Pending | None:
    """The pending rows of the innermost atomic block, if that block is ours."""
    stack = _stack()
    if stack and stack[-1].depth == len(connection.atomic_blocks):
        return stack[-1]
    return None


def _write(pending: _Pending) -> None:
    if pending.changes:
        StatusChange.objects.bulk_create(pending.changes)
    # Last: the event-order lock is held from here to the commit.
    if pending.events:
        BillingEvent.objects.bulk_create(pending.events)
