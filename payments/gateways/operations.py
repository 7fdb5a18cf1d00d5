"""A gateway's operations of a day, read page by page for reconciliation.

A day can hold hundreds of thousands of operations: adapters yield them a page at a
time (the gateway's own paging), each page naming where the next one starts, so a
reconciliation holds one page in memory and can resume after the last page it
finished.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from billing.money import Money

if TYPE_CHECKING:
    from payments.gateways.base import PaymentSnapshot


@dataclass(frozen=True, slots=True)
class RefundSnapshot:
    """The gateway's record of a refund: its own id and the refunded transaction's."""

    gateway_reference: str
    payment_reference: str
    amount: Money
    # False for a refund the gateway refused or has not finished.
    succeeded: bool
    created_at: dt.datetime


@dataclass(frozen=True, slots=True)
class OperationsPage:
    """One page of a day's operations: payments and refunds created that day."""

    payments: Sequence[PaymentSnapshot]
    refunds: Sequence[RefundSnapshot]
    # Where the next page starts (opaque to the caller); None after the last page.
    next_cursor: str | None


def day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The UTC day `day` as [start, end)."""
    start = dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)
    return start, start + dt.timedelta(days=1)
