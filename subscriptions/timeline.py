"""A payer's timeline for the support desk: subscriptions, invoices, payments,
refunds, billing events and the gateway messages stored about the payer's
payments, newest first.

Each source is read newest first, as many rows as the page reaches, and the
sources are merged in Python: a page costs a query per source whatever the
payer's history, and the offset is bounded (`MAX_OFFSET`) so that no page reads
more than that many rows a source. Gateway messages are stored without their
secrets; they are masked again on the way out (`kit.redaction.redact`).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Final

from django.db.models import Model, QuerySet

from billing.models import BillingEvent, Invoice
from kit.redaction import redact
from payments.models import GatewayEventRecord, Payment, Refund
from subscriptions.models import Subscription

MAX_OFFSET: Final = 10_000


@dataclass(frozen=True)
class TimelineEntry:
    at: dt.datetime
    kind: str
    id: str
    summary: str
    data: dict[str, Any]


@dataclass(frozen=True)
class _Source:
    kind: str
    rows: Callable[[uuid.UUID], QuerySet[Any]]
    at: str
    entry: Callable[[Any], tuple[str, dict[str, Any]]]


def _subscription(row: Subscription) -> tuple[str, dict[str, Any]]:
    return f"Subscription to {row.plan.code}, {row.status.lower()}", {
        "status": row.status,
        "plan": row.plan.code,
        "gateway": row.gateway,
        "current_period_ends_at": row.current_period_ends_at.isoformat(),
    }


def _invoice(row: Invoice) -> tuple[str, dict[str, Any]]:
    number = f"Invoice {row.number}" if row.number else f"Draft invoice {row.id}"
    return f"{number}: {row.total.format()}, {row.status.lower()}", {
        "number": row.number,
        "status": row.status,
        "total": row.total.format(),
        "amount_due": row.amount_due.format(),
        "billing_reason": row.billing_reason,
    }


def _payment(row: Payment) -> tuple[str, dict[str, Any]]:
    return f"Payment of {row.amount.format()}, {row.status.lower()}", {
        "status": row.status,
        "kind": row.kind,
        "amount": row.amount.format(),
        "gateway": row.gateway,
        "gateway_reference": row.gateway_reference,
        "pays": row.pays,
    }


def _refund(row: Refund) -> tuple[str, dict[str, Any]]:
    return f"Refund of {row.amount.format()}, {row.status.lower()}", {
        "status": row.status,
        "amount": row.amount.format(),
        "reason": row.reason,
        "payment_id": str(row.payment_id),
    }


def _event(row: BillingEvent) -> tuple[str, dict[str, Any]]:
    return row.type, {"cursor": row.cursor, "payload": redact(row.payload)}


def _gateway_message(row: GatewayEventRecord) -> tuple[str, dict[str, Any]]:
    return f"{row.gateway} {row.kind}", {
        "status": row.status,
        "payment_id": str(row.payment_id),
        "payload": redact(row.payload),
    }


SOURCES: Final = (
    _Source(
        "subscription",
        lambda payer: Subscription.objects.select_related("plan").filter(
            payer_id=payer
        ),
        "created_at",
        _subscription,
    ),
    _Source(
        "invoice",
        lambda payer: Invoice.objects.filter(payer_id=payer),
        "created_at",
        _invoice,
    ),
    _Source(
        "payment",
        lambda payer: Payment.objects.filter(payer_id=payer),
        "created_at",
        _payment,
    ),
    _Source(
        "refund",
        lambda payer: Refund.objects.filter(payment__payer_id=payer),
        "created_at",
        _refund,
    ),
    _Source(
        "event",
        lambda payer: BillingEvent.objects.filter(payer_id=payer),
        "occurred_at",
        _event,
    ),
    _Source(
        "gateway_message",
        lambda payer: GatewayEventRecord.objects.filter(payment__payer_id=payer),
        "received_at",
        _gateway_message,
    ),
)
KINDS: Final = tuple(source.kind for source in SOURCES)


def payer_timeline(
    *,
    payer_id: uuid.UUID,
    offset: int,
    limit: int,
    kinds: Iterable[str] = KINDS,
) -> tuple[int, list[TimelineEntry]]:
    """How many entries the payer's timeline has (of `kinds`), and those from
    `offset` (at most `MAX_OFFSET`), `limit` of them, newest first."""
    chosen = [source for source in SOURCES if source.kind in set(kinds)]
    reach = min(offset, MAX_OFFSET) + limit
    total = sum(source.rows(payer_id).count() for source in chosen)
    entries = [
        _entry(source, row)
        for source in chosen
        for row in source.rows(payer_id).order_by(f"-{source.at}", "-pk")[:reach]
    ]
    entries.sort(key=lambda entry: (entry.at, entry.kind, entry.id), reverse=True)
    start = min(offset, MAX_OFFSET)
    return total, entries[start : start + limit]


def _entry(source: _Source, row: Model) -> TimelineEntry:
    summary, data = source.entry(row)
    return TimelineEntry(
        at=getattr(row, source.at),
        kind=source.kind,
        id=str(row.pk),
        summary=summary,
        data=data,
    )
