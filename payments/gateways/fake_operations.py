"""The fake gateway's day of operations, paged as the real adapters page theirs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from typing import Final

from payments.gateways.base import PaymentSnapshot
from payments.gateways.operations import OperationsPage, RefundSnapshot

PAGE_SIZE: Final = 100


def day_pages(
    payments: Iterable[PaymentSnapshot],
    refunds: Iterable[RefundSnapshot],
    *,
    day: dt.date,
    cursor: str | None,
    before_page: Callable[[], None],
) -> Iterator[OperationsPage]:
    """Payments, then refunds, created on `day`; the cursor is an offset.

    `before_page` runs before each page is read: where a scripted error is raised.
    """
    operations = [
        *(p for p in payments if p.created_at.date() == day),
        *(r for r in refunds if r.created_at.date() == day),
    ]
    offset = int(cursor or 0)
    while offset < len(operations):
        before_page()
        page = operations[offset : offset + PAGE_SIZE]
        offset += len(page)
        yield OperationsPage(
            payments=[p for p in page if isinstance(p, PaymentSnapshot)],
            refunds=[r for r in page if isinstance(r, RefundSnapshot)],
            next_cursor=str(offset) if offset < len(operations) else None,
        )
