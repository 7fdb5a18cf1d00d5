"""The payload of the `invoice.*` events."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from billing.models import Invoice
from billing.services._invoice_drafts import LineDraft


def invoice_payload(
    invoice: Invoice, *, lines: Sequence[LineDraft] | None = None
) -> dict[str, Any]:
    """Version 1 of the `invoice.*` event payload."""
    payload: dict[str, Any] = {
        "invoice_id": invoice.id,
        "number": invoice.display_number,
        "payer_id": str(invoice.payer_id),
        "status": invoice.status,
        "billing_reason": invoice.billing_reason,
        "currency": invoice.currency,
        "total_minor": invoice.total_minor,
        "amount_paid_minor": invoice.amount_paid_minor,
        "subscription_id": _text(invoice.subscription_id),
        "period_starts_at": _text(invoice.period_starts_at),
        "period_ends_at": _text(invoice.period_ends_at),
    }
    if lines is not None:
        payload["lines"] = [
            {
                "kind": line.kind,
                "description": line.description,
                "amount_minor": line.amount.amount_minor,
            }
            for line in lines
        ]
    return payload


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return str(value)
