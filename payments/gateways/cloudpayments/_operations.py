"""A day's transactions from `v2/payments/list`, a page at a time (GATEWAYS.md A3).

Pages hold 100 transactions, oldest first; the cursor is the next page's number.
Refunds are transactions of their own that name the refunded one in
`OriginalTransactionId`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, Final

from payments.gateways.base import GatewayError
from payments.gateways.cloudpayments import _mapping
from payments.gateways.operations import OperationsPage, RefundSnapshot, day_bounds

PAGE_SIZE: Final = 100
# The last instant `CreatedDateLte` (inclusive) takes within the day.
_LAST_MICROSECOND: Final = dt.timedelta(microseconds=1)

ListPage = Callable[[str, str, int], Sequence[Mapping[str, Any]]]


def day_operations(
    list_page: ListPage, day: dt.date, cursor: str | None
) -> Iterator[OperationsPage]:
    """:raises Unavailable, OutcomeUnknown, GatewayError:"""
    number = _page_number(cursor)
    start, end = day_bounds(day)
    gte, lte = _iso(start), _iso(end - _LAST_MICROSECOND)
    while True:
        with _mapping.sdk_errors("v2/payments/list"):
            models = list_page(gte, lte, number)
        if not models:
            return
        more = len(models) >= PAGE_SIZE
        payments = [model for model in models if _mapping.is_payment(model)]
        refunds = [model for model in models if not _mapping.is_payment(model)]
        yield OperationsPage(
            payments=[_mapping.snapshot(model) for model in payments],
            refunds=[_refund(model) for model in refunds],
            next_cursor=str(number + 1) if more else None,
        )
        if not more:
            return
        number += 1


def _refund(model: Mapping[str, Any]) -> RefundSnapshot:
    snapshot = _mapping.snapshot(model)
    original = model.get("OriginalTransactionId")
    if original is None:
        raise GatewayError(
            f"CloudPayments refund {snapshot.gateway_reference} names no transaction"
        )
    return RefundSnapshot(
        gateway_reference=snapshot.gateway_reference,
        payment_reference=str(original),
        amount=snapshot.amount,
        succeeded=model.get("Status") == "Completed",
        created_at=snapshot.created_at,
    )


def _page_number(cursor: str | None) -> int:
    if not cursor:
        return 1
    if not cursor.isdigit() or int(cursor) < 1:
        raise GatewayError(f"not a CloudPayments page number: {cursor!r}")
    return int(cursor)


def _iso(moment: dt.datetime) -> str:
    return moment.replace(tzinfo=None).isoformat(timespec="microseconds")
