"""A day's PaymentIntents and Refunds, a page at a time (GATEWAYS.md C1).

Stripe lists newest first, 100 a page at most, and pages on with `starting_after`,
the last id of the page before: the protocol of the SDK's `auto_paging_iter()`,
here driven one page at a time (`next_page()`) so that each page can name where the
next one starts. PaymentIntents come first, then Refunds; the cursor says which list
and after which id (`payment_intents:pi_…`, `refunds:` for the first refund page).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any, Final

import stripe

from payments.gateways.base import GatewayError
from payments.gateways.operations import OperationsPage, RefundSnapshot, day_bounds
from payments.gateways.stripe import _mapping
from payments.gateways.stripe._amounts import from_stripe
from payments.gateways.stripe._errors import stripe_errors

PAGE_SIZE: Final = 100
_INTENTS, _REFUNDS = "payment_intents", "refunds"


def day_operations(
    client: stripe.StripeClient, day: dt.date, cursor: str | None
) -> Iterator[OperationsPage]:
    """:raises Unavailable, OutcomeUnknown, GatewayError:"""
    collection, after = _parse(cursor)
    start, end = day_bounds(day)
    created = {"gte": int(start.timestamp()), "lt": int(end.timestamp())}
    if collection == _INTENTS:
        params = {
            "created": created,
            "limit": PAGE_SIZE,
            "expand": [f"data.{path}" for path in _mapping.EXPAND],
        }
        for page, more in _pages(client.v1.payment_intents.list, params, after):
            payments = [_mapping.snapshot(intent) for intent in page]
            cursor = f"{_INTENTS}:{page.data[-1].id}" if more else f"{_REFUNDS}:"
            yield OperationsPage(payments=payments, refunds=(), next_cursor=cursor)
        after = None
    params = {"created": created, "limit": PAGE_SIZE}
    for page, more in _pages(client.v1.refunds.list, params, after):
        refunds = [_refund(refund) for refund in page]
        cursor = f"{_REFUNDS}:{page.data[-1].id}" if more else None
        yield OperationsPage(payments=(), refunds=refunds, next_cursor=cursor)


def _pages(
    list_page: Callable[..., Any], params: dict[str, Any], after: str | None
) -> Iterator[tuple[Any, bool]]:
    """Each non-empty page of a list and whether more follow."""
    if after:
        params = {**params, "starting_after": after}
    with stripe_errors("a list"):
        page = list_page(params=params)
    while not page.is_empty:
        yield page, bool(page.has_more)
        if not page.has_more:
            return
        with stripe_errors("a list"):
            page = page.next_page()


def _refund(refund: stripe.Refund) -> RefundSnapshot:
    intent = refund.payment_intent
    if intent is None:
        raise GatewayError(f"Stripe refund {refund.id} names no PaymentIntent")
    return RefundSnapshot(
        gateway_reference=refund.id,
        payment_reference=intent if isinstance(intent, str) else intent.id,
        amount=from_stripe(refund.amount, refund.currency),
        succeeded=refund.status == "succeeded",
        created_at=dt.datetime.fromtimestamp(refund.created, tz=dt.UTC),
    )


def _parse(cursor: str | None) -> tuple[str, str | None]:
    if not cursor:
        return _INTENTS, None
    collection, _, after = cursor.partition(":")
    if collection not in (_INTENTS, _REFUNDS):
        raise GatewayError(f"not a Stripe list cursor: {cursor!r}")
    return collection, after or None
