"""Settling issued invoices: paid, voided or written off, with postings and events.

Each change locks its invoice, moves its status, posts the money between ledger
accounts, records the audit trail and emits its event, all in the caller's
transaction.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from typing import Any, Final

from billing.errors import NotFound
from billing.events import record_event
from billing.models import (
    Invoice,
    InvoiceStatus,
    LedgerAccount,
)
from billing.money import Money
from billing.services._audit import record_status_change
from billing.services._invoice_payload import invoice_payload
from billing.services._ledger import Posting, post_to_ledger

logger = logging.getLogger(__name__)


class InvoiceNotFound(NotFound):
    """No such invoice."""

    code = "invoice_not_found"


def record_invoice_payment(
    *,
    invoice_id: int,
    payer_id: uuid.UUID,
    amount: Money,
    gateway: str,
    payment_reference: str,
    at: dt.datetime,
    actor: str,
) -> Invoice | None:
    """Record money the gateway captured for an invoice (in the caller's transaction).

    The expected case, money that `covers` what is due, marks the invoice PAID and
    moves the amount from receivable to cash at the gateway. Money that cannot be
    applied (no such invoice, or it is void or paid already, or the amount or its
    currency is not what is due: an invoice is never paid in part) is never
    refused, since the gateway holds it: it becomes credit owed to the payer,
    reported with an `invoice.payment_unapplied` event for accounting.
    """
    invoice = Invoice.objects.select_for_update().filter(id=invoice_id).first()
    if invoice is not None and covers(invoice, amount):
        _mark_paid(invoice, amount, gateway, payment_reference, at=at, actor=actor)
        return invoice
    logger.warning(
        "billing.invoice.payment_unapplied",
        extra={
            "invoice": invoice_id,
            "status": invoice.status if invoice else None,
            "payment": payment_reference,
        },
    )
    name = invoice.display_number if invoice else f"invoice {invoice_id}"
    state = invoice.status if invoice else "missing"
    post_to_ledger(
        [
            Posting.transfer(
                f"{payment_reference}:unapplied",
                amount,
                debit=LedgerAccount.GATEWAY_CASH,
                debit_subaccount=gateway,
                credit=LedgerAccount.CUSTOMER_CREDIT,
                at=at,
                payer_id=payer_id,
                memo=f"{name} is {state}: held as credit",
            )
        ]
    )
    record_event(
        type="invoice.payment_unapplied",
        occurred_at=at,
        payload={
            **(invoice_payload(invoice) if invoice else {"invoice_id": invoice_id}),
            "paid_by": payment_reference,
            "unapplied_minor": amount.amount_minor,
            "currency": amount.currency,
        },
        payer_id=payer_id,
    )
    return invoice


def covers(invoice: Invoice, amount: Money) -> bool:
    """Whether `amount` pays what is due on `invoice`, in its currency, exactly.

    The one test before an invoice is marked PAID (a database constraint backs
    it): less leaves it OPEN, more or another currency cannot be applied to it.
    """
    payable = invoice.status in (InvoiceStatus.OPEN, InvoiceStatus.UNCOLLECTIBLE)
    return payable and amount == invoice.amount_due


def _mark_paid(
    invoice: Invoice,
    amount: Money,
    gateway: str,
    payment_reference: str,
    *,
    at: dt.datetime,
    actor: str,
) -> None:
    written_off = invoice.status == InvoiceStatus.UNCOLLECTIBLE
    invoice.amount_paid_minor += amount.amount_minor
    _move(
        invoice,
        InvoiceStatus.PAID,
        amount=amount,
        debit=(LedgerAccount.GATEWAY_CASH, gateway),
        credit=LedgerAccount.UNCOLLECTIBLE if written_off else LedgerAccount.RECEIVABLE,
        memo=f"paid by {payment_reference}",
        at=at,
        actor=actor,
        reason=payment_reference,
        extra={"paid_by": payment_reference},
    )


def void_invoice(
    *, invoice_id: int, at: dt.datetime, actor: str, reason: str
) -> Invoice:
    """Cancel an unpaid invoice, reversing what it put on the books.

    Voiding a void invoice changes nothing.

    :raises InvoiceNotFound: for an unknown invoice.
    :raises InvalidStatusTransition: for a paid invoice.
    """
    invoice = _locked(invoice_id)
    if invoice.status == InvoiceStatus.VOID:
        return invoice
    written_off = invoice.status == InvoiceStatus.UNCOLLECTIBLE
    # A draft put nothing on the books; there is nothing to reverse.
    amount = (
        invoice.amount_due
        if invoice.status != InvoiceStatus.DRAFT
        else Money(0, invoice.currency)
    )
    _move(
        invoice,
        InvoiceStatus.VOID,
        amount=amount,
        debit=(LedgerAccount.REVENUE, ""),
        credit=LedgerAccount.UNCOLLECTIBLE if written_off else LedgerAccount.RECEIVABLE,
        memo=f"voided: {reason}",
        at=at,
        actor=actor,
        reason=reason,
    )
    return invoice


def mark_invoice_uncollectible(
    *, invoice_id: int, at: dt.datetime, actor: str, reason: str
) -> Invoice:
    """Write off an open invoice after dunning gave up; it can still be paid later.

    :raises InvoiceNotFound: for an unknown invoice.
    :raises InvalidStatusTransition: unless the invoice is open.
    """
    invoice = _locked(invoice_id)
    _move(
        invoice,
        InvoiceStatus.UNCOLLECTIBLE,
        amount=invoice.amount_due,
        debit=(LedgerAccount.UNCOLLECTIBLE, ""),
        credit=LedgerAccount.RECEIVABLE,
        memo=f"written off: {reason}",
        at=at,
        actor=actor,
        reason=reason,
    )
    return invoice


_EVENT_TYPES: Final = {
    InvoiceStatus.PAID: "invoice.paid",
    InvoiceStatus.VOID: "invoice.voided",
    InvoiceStatus.UNCOLLECTIBLE: "invoice.marked_uncollectible",
}


def _move(
    invoice: Invoice,
    status: InvoiceStatus,
    *,
    amount: Money,
    debit: tuple[LedgerAccount, str],
    credit: LedgerAccount,
    memo: str,
    at: dt.datetime,
    actor: str,
    reason: str,
    extra: dict[str, Any] | None = None,
) -> None:
    """Move a locked invoice, post `amount` from `credit` to `debit`, audit, emit."""
    previous = invoice.transition_to(status, at=at)
    invoice.save()
    post_to_ledger(
        [
            Posting.transfer(
                f"invoice:{invoice.id}:{status.lower()}",
                amount,
                debit=debit[0],
                debit_subaccount=debit[1],
                credit=credit,
                at=at,
                payer_id=invoice.payer_id,
                memo=f"{invoice.display_number} {memo}",
            )
        ]
    )
    _audit(invoice, previous, actor=actor, reason=reason, at=at)
    record_event(
        type=_EVENT_TYPES[status],
        occurred_at=at,
        payload={**invoice_payload(invoice), "reason": reason, **(extra or {})},
        payer_id=invoice.payer_id,
    )


def _locked(invoice_id: int) -> Invoice:
    invoice = Invoice.objects.select_for_update().filter(id=invoice_id).first()
    if invoice is None:
        raise InvoiceNotFound(extra={"invoice": invoice_id})
    return invoice


def _audit(
    invoice: Invoice, previous: str, *, actor: str, reason: str, at: dt.datetime
) -> None:
    record_status_change(
        object_type="invoice",
        object_id=str(invoice.id),
        from_status=previous,
        to_status=invoice.status,
        actor=actor,
        reason=reason,
        at=at,
    )
