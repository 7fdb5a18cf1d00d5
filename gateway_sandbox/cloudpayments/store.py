"""The terminal's transactions, indexed for lookups that stay cheap at 100,000."""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Sequence
from typing import overload

from gateway_sandbox.cloudpayments.transactions import (
    Status,
    Transaction,
    TransactionType,
)


def _creation_key(transaction: Transaction) -> tuple[dt.datetime, int]:
    return transaction.created_at, transaction.id


# Statuses a transaction can still leave; it can only enter them when it is created.
_OPEN = frozenset({Status.AWAITING_AUTHENTICATION, Status.AUTHORIZED})


class TransactionStore:
    """Transactions by id, with the indexes that keep lookups cheap at 100,000.

    `_created` holds every transaction in creation order (time, then id) for the
    period lists, which bisect into it instead of scanning. `_open` holds those that
    were created awaiting authentication or authorized: the only ones that can be
    (or become) Authorized, so the 7-day void never walks the whole store.
    """

    def __init__(self) -> None:
        self._by_id: dict[int, Transaction] = {}
        self._created: list[Transaction] = []
        self._open: dict[int, Transaction] = {}
        self._by_invoice: dict[str, list[Transaction]] = {}

    def add(self, transaction: Transaction) -> None:
        if transaction.id in self._by_id:
            return
        self._index(transaction)
        key = _creation_key(transaction)
        if not self._created or _creation_key(self._created[-1]) <= key:
            self._created.append(transaction)
        else:
            bisect.insort(self._created, transaction, key=_creation_key)

    def add_many(self, transactions: list[Transaction]) -> None:
        """Add new transactions in a batch: one sort, not one insertion each."""
        for transaction in transactions:
            self._index(transaction)
        self._created.extend(transactions)
        self._created.sort(key=_creation_key)

    def _index(self, transaction: Transaction) -> None:
        self._by_id[transaction.id] = transaction
        if transaction.status in _OPEN:
            self._open[transaction.id] = transaction
        if transaction.invoice_id is not None:
            self._by_invoice.setdefault(transaction.invoice_id, []).append(transaction)

    def remove(self, transaction: Transaction) -> None:
        """Forget `transaction` entirely (the gateway lost it)."""
        if self._by_id.pop(transaction.id, None) is None:
            return
        index = bisect.bisect_left(
            self._created, _creation_key(transaction), key=_creation_key
        )
        del self._created[index]
        self._open.pop(transaction.id, None)
        if transaction.invoice_id is not None:
            same = self._by_invoice[transaction.invoice_id]
            same.remove(transaction)
            if not same:
                del self._by_invoice[transaction.invoice_id]

    def get(self, transaction_id: int) -> Transaction | None:
        return self._by_id.get(transaction_id)

    def all(self) -> list[Transaction]:
        return list(self._by_id.values())

    def in_status(self, status: Status) -> list[Transaction]:
        if status not in _OPEN:
            return [t for t in self._by_id.values() if t.status is status]
        for settled in [t for t in self._open.values() if t.status not in _OPEN]:
            del self._open[settled.id]
        return [t for t in self._open.values() if t.status is status]

    def latest_for_invoice(
        self, invoice_id: str, *, include_refunds: bool
    ) -> Transaction | None:
        matches = [
            t
            for t in self._by_invoice.get(invoice_id, [])
            if include_refunds or t.type is TransactionType.PAYMENT
        ]
        return max(matches, key=lambda t: t.id, default=None)

    def refunds_of(self, payment: Transaction) -> list[Transaction]:
        """The refund transactions of `payment` (they share its InvoiceId)."""
        candidates = (
            self._by_invoice.get(payment.invoice_id, [])
            if payment.invoice_id is not None
            else self._by_id.values()
        )
        return [t for t in candidates if t.original_transaction_id == payment.id]

    def created_between(
        self, start: dt.datetime, end: dt.datetime
    ) -> Sequence[Transaction]:
        """Transactions created in `[start, end)`, oldest first (a view, not a copy)."""
        low = bisect.bisect_left(self._created, start, key=_created_at)
        high = bisect.bisect_left(self._created, end, key=_created_at)
        return _Slice(self._created, low, high)

    def reset(self) -> None:
        self._by_id.clear()
        self._created.clear()
        self._open.clear()
        self._by_invoice.clear()


def _created_at(transaction: Transaction) -> dt.datetime:
    return transaction.created_at


class _Slice(Sequence[Transaction]):
    """`items[low:high]` without copying it: a period may hold 100,000."""

    def __init__(self, items: list[Transaction], low: int, high: int) -> None:
        self._items = items
        self._low = low
        self._length = max(0, high - low)

    def __len__(self) -> int:
        return self._length

    @overload
    def __getitem__(self, index: int) -> Transaction: ...

    @overload
    def __getitem__(self, index: slice) -> list[Transaction]: ...

    def __getitem__(self, index: int | slice) -> Transaction | list[Transaction]:
        if isinstance(index, slice):
            start, stop, step = index.indices(self._length)
            return self._items[self._low + start : self._low + stop : step]
        if not -self._length <= index < self._length:
            raise IndexError(index)
        return self._items[self._low + index % self._length]
