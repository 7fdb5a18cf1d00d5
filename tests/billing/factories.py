"""Invoices issued (and settled) through the billing services, for admin, PDF and API
tests of billing records."""

from __future__ import annotations

import datetime as dt
import uuid

from django.db import transaction

from billing.models import BillingReason, Invoice, InvoiceLineKind
from billing.money import Money
from billing.services import (
    InvoiceDraft,
    LineDraft,
    ensure_payer,
    issue_invoice,
    record_invoice_payment,
)

NOW = dt.datetime(2026, 1, 31, 9, 0, tzinfo=dt.UTC)
PERIOD_END = dt.datetime(2026, 2, 28, 9, 0, tzinfo=dt.UTC)
ACTOR = "system:test"


def line(amount: Money, description: str = "Monthly") -> LineDraft:
    """A plan line (a credit when negative) for the period NOW to PERIOD_END."""
    kind = InvoiceLineKind.PLAN if amount.amount_minor >= 0 else InvoiceLineKind.CREDIT
    return LineDraft(
        kind=kind,
        description=description,
        amount=amount,
        period_starts_at=NOW,
        period_ends_at=PERIOD_END,
    )


def issue(
    payer_id: uuid.UUID,
    *lines: LineDraft,
    currency: str = "RUB",
    subscription_id: uuid.UUID | None = None,
    reason: BillingReason = BillingReason.SUBSCRIPTION_CYCLE,
    description: str = "Renewal of Monthly",
) -> Invoice:
    """An OPEN invoice (PAID if it totals zero) for the period NOW to PERIOD_END."""
    with transaction.atomic():
        ensure_payer(payer_id=payer_id)
        return issue_invoice(
            InvoiceDraft(
                payer_id=payer_id,
                currency=currency,
                billing_reason=reason,
                lines=lines or (line(Money(99_900, currency)),),
                description=description,
                subscription_id=subscription_id,
                period_starts_at=NOW,
                period_ends_at=PERIOD_END,
            ),
            now=NOW,
            actor=ACTOR,
        )


def pay(invoice: Invoice, *, at: dt.datetime = NOW, gateway: str = "fake") -> Invoice:
    """Record the gateway's capture of everything the invoice owes."""
    with transaction.atomic():
        record_invoice_payment(
            invoice_id=invoice.id,
            payer_id=invoice.payer_id,
            amount=invoice.amount_due,
            gateway=gateway,
            payment_reference=f"payment:{uuid.uuid4()}",
            at=at,
            actor=ACTOR,
        )
    invoice.refresh_from_db()
    return invoice
