"""A day's PaymentIntents and Refunds, a page at a time (GATEWAYS.md C1).

Stripe lists newest first, 100 a page at most, and pages on with `starting_after`,
the last id of the page before: the protocol of the SDK's `auto_paging_iter()`,
driven here one page at a time so that each page can name where the next one
starts. PaymentIntents come first, then Refunds; the cursor says which list and
after which id (`payment_intents:pi_…`, `refunds:` for the first refund page).

The pages are read with the SDK's `raw_request` and mapped from their JSON: building
the SDK's objects for a page of 100 expanded PaymentIntents takes about 100 ms of
CPU, most of a day's reconciliation, for fields the mapping reads once. Nothing is
expanded either: a comparison needs no card, refunds are read as their own list, and
a payment of ours to settle is asked about by itself (`find_payment`), whole.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from typing import Any, Final

import stripe

from payments.gateways.base import GatewayError
from payments.gateways.operations import OperationsPage, RefundSnapshot, day_bounds
from payments.gateways.stripe import _mapping
from payments.gateways.stripe._amounts import from_stripe
from payments.gateways.stripe._errors import stripe_errors

PAGE_SIZE: Final = 100
Json = Mapping[str, Any]
_INTENTS, _REFUNDS = "payment_intents", "refunds"


def day_operations(
    client: stripe.StripeClient, day: dt.date, cursor: str | None
) -> Iterator[OperationsPage]:
    """:raises Unavailable, OutcomeUnknown, GatewayError:"""
    collection, after = _parse(cursor)
    start, end = day_bounds(day)
    created = {"gte": int(start.timestamp()), "lt": int(end.timestamp())}
    if collection == _INTENTS:
        params = {"created": created, "limit": PAGE_SIZE}
        for items, more in _pages(client, "/v1/payment_intents", params, after):
            payments = [_mapping.snapshot(i, expanded=False) for i in items]
            cursor = f"{_INTENTS}:{items[-1]['id']}" if more else f"{_REFUNDS}:"
            yield OperationsPage(payments=payments, refunds=(), next_cursor=cursor)
        after = None
    params = {"created": created, "limit": PAGE_SIZE}
    for items, more in _pages(client, "/v1/refunds", params, after):
        refunds = [_refund(refund) for refund in items]
        cursor = f"{_REFUNDS}:{items[-1]['id']}" if more else None
        yield OperationsPage(payments=(), refunds=refunds, next_cursor=cursor)


def _pages(
    client: stripe.StripeClient, url: str, params: dict[str, Any], after: str | None
) -> Iterator[tuple[list[Json], bool]]:
    """Each non-empty page of a list, as JSON, and whether more follow."""
    while True:
        query = {**params, "starting_after": after} if after else params
        with stripe_errors("a list"):
            body = client.raw_request("get", url, **query).data
        items = body.get("data") if isinstance(body, dict) else None
        if not isinstance(items, list):
            raise GatewayError(f"Stripe {url}: not a list")
        if not items:
            return
        more = bool(body.get("has_more"))
        yield items, more
        if not more:
            return
        after = str(items[-1]["id"])


def _refund(refund: Json) -> RefundSnapshot:
    intent = refund.get("payment_intent")
    if isinstance(intent, dict):
        intent = intent.get("id")
    if not intent:
        raise GatewayError(f"Stripe refund {refund.get('id')} names no PaymentIntent")
    return RefundSnapshot(
        gateway_reference=str(refund["id"]),
        payment_reference=str(intent),
        amount=from_stripe(refund.get("amount"), refund.get("currency")),
        succeeded=refund.get("status") == "succeeded",
        created_at=dt.datetime.fromtimestamp(refund["created"], tz=dt.UTC),
    )


def _parse(cursor: str | None) -> tuple[str, str | None]:
    if not cursor:
        return _INTENTS, None
    collection, _, after = cursor.partition(":")
    if collection not in (_INTENTS, _REFUNDS):
        raise GatewayError(f"not a Stripe list cursor: {cursor!r}")
    return collection, after or None
