"""Issuing invoices and settling them: numbers, lines, postings and events together.

Every function here runs inside the caller's transaction, so an invoice, its ledger
postings and its events commit or vanish together. Invoices are issued in batches
(the renewal run issues a claimed batch at once): numbers, invoices, lines, postings
and events cost one statement each per batch, not per invoice.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from django.db import connection, transaction

from billing.errors import DomainError, NotFound
from billing.events import record_event
from billing.models import (
    BillingReason,
    Invoice,
    InvoiceLine,
    InvoiceLineKind,
    InvoiceNumberSequence,
    InvoiceStatus,
    LedgerAccount,
)
from billing.money import CurrencyMismatch, Money
from billing.services._audit import record_status_change
from billing.services._ledger import Leg, Posting, post_to_ledger

logger = logging.getLogger(__name__)

A = LedgerAccount
S = InvoiceStatus


class InvoiceNotFound(NotFound):
    """No such invoice."""

    code = "invoice_not_found"


class NegativeInvoiceTotal(DomainError):
    """An invoice's credits exceed its charges; carry the difference instead."""

    code = "negative_invoice_total"


@dataclass(frozen=True, slots=True)
class LineDraft:
    kind: InvoiceLineKind
    description: str
    # Negative for a credit.
    amount: Money
    period_starts_at: dt.datetime | None = None
    period_ends_at: dt.datetime | None = None
    source: str = ""


@dataclass(frozen=True, slots=True)
class InvoiceDraft:
    """An invoice to issue: who owes what, for which subscription period."""

    payer_id: uuid.UUID
    currency: str
    billing_reason: BillingReason
    lines: Sequence[LineDraft]
    description: str = ""
    subscription_id: uuid.UUID | None = None
    period_starts_at: dt.datetime | None = None
    period_ends_at: dt.datetime | None = None

    @property
    def total(self) -> Money:
        return self._sum(self.lines)

    @property
    def credit_used(self) -> Money:
        """Credit owed to the payer that this invoice uses up (its CREDIT lines).

        It comes out of customer credit, not out of revenue.
        """
        credits = [line for line in self.lines if line.kind == InvoiceLineKind.CREDIT]
        return -self._sum(credits)

    def _sum(self, lines: Sequence[LineDraft]) -> Money:
        total = Money(0, self.currency)
        for line in lines:
            total += line.amount
        return total


def issue_invoices(
    drafts: Sequence[InvoiceDraft], *, now: dt.datetime, actor: str
) -> list[Invoice]:
    """Number and issue invoices (OPEN; a zero total is PAID at once).

    :raises CurrencyMismatch: when a line is in another currency than its invoice.
    :raises NegativeInvoiceTotal: when an invoice's lines add up below zero.
    :raises IntegrityError: when a subscription period is already invoiced.
    """
    if not drafts:
        return []
    for draft in drafts:
        _require_valid(draft)
    numbers = _allocate_numbers(len(drafts))
    pairs = zip(drafts, numbers, strict=True)
    invoices = Invoice.objects.bulk_create(
        [_invoice(draft, number, now=now) for draft, number in pairs]
    )
    issued = list(zip(invoices, drafts, strict=True))
    InvoiceLine.objects.bulk_create(
        [_line(invoice, line) for invoice, draft in issued for line in draft.lines]
    )
    post_to_ledger([_issue_posting(invoice, draft) for invoice, draft in issued])
    for invoice, draft in issued:
        record_event(
            type="invoice.created",
            occurred_at=now,
            payload=invoice_payload(invoice, lines=draft.lines),
            payer_id=invoice.payer_id,
        )
        if invoice.status == S.PAID:
            record_status_change(
                object_type="invoice",
                object_id=str(invoice.id),
                from_status=S.OPEN,
                to_status=S.PAID,
                actor=actor,
                reason="nothing to pay",
                at=now,
            )
            record_event(
                type="invoice.paid",
                occurred_at=now,
                payload=invoice_payload(invoice),
                payer_id=invoice.payer_id,
            )
    return invoices


def issue_invoice(draft: InvoiceDraft, *, now: dt.datetime, actor: str) -> Invoice:
    """Issue one invoice; see `issue_invoices`."""
    return issue_invoices([draft], now=now, actor=actor)[0]


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

    The expected case marks the invoice PAID and moves the amount from receivable
    to cash at the gateway. Money that cannot be applied (no such invoice, or it is
    void or paid already, or the amount is not what is due) is never refused, since
    the gateway holds it: it becomes credit owed to the payer, reported with an
    `invoice.payment_unapplied` event for accounting.
    """
    invoice = Invoice.objects.select_for_update().filter(id=invoice_id).first()
    payable = invoice is not None and invoice.status in (S.OPEN, S.UNCOLLECTIBLE)
    if invoice is not None and payable and amount == invoice.amount_due:
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
                debit=A.GATEWAY_CASH,
                debit_subaccount=gateway,
                credit=A.CUSTOMER_CREDIT,
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


def _mark_paid(
    invoice: Invoice,
    amount: Money,
    gateway: str,
    payment_reference: str,
    *,
    at: dt.datetime,
    actor: str,
) -> None:
    written_off = invoice.status == S.UNCOLLECTIBLE
    invoice.amount_paid_minor = invoice.total_minor
    _move(
        invoice,
        S.PAID,
        amount=amount,
        debit=(A.GATEWAY_CASH, gateway),
        credit=A.UNCOLLECTIBLE if written_off else A.RECEIVABLE,
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
    if invoice.status == S.VOID:
        return invoice
    written_off = invoice.status == S.UNCOLLECTIBLE
    # A draft put nothing on the books; there is nothing to reverse.
    amount = (
        invoice.amount_due if invoice.status != S.DRAFT else Money(0, invoice.currency)
    )
    _move(
        invoice,
        S.VOID,
        amount=amount,
        debit=(A.REVENUE, ""),
        credit=A.UNCOLLECTIBLE if written_off else A.RECEIVABLE,
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
        S.UNCOLLECTIBLE,
        amount=invoice.amount_due,
        debit=(A.UNCOLLECTIBLE, ""),
        credit=A.RECEIVABLE,
        memo=f"written off: {reason}",
        at=at,
        actor=actor,
        reason=reason,
    )
    return invoice


_EVENT_TYPES: Final = {
    S.PAID: "invoice.paid",
    S.VOID: "invoice.voided",
    S.UNCOLLECTIBLE: "invoice.marked_uncollectible",
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


def _require_valid(draft: InvoiceDraft) -> None:
    for line in draft.lines:
        if line.amount.currency != draft.currency:
            raise CurrencyMismatch(
                f"A {line.amount.currency} line cannot go on a {draft.currency}"
                " invoice.",
                extra={"currencies": [draft.currency, line.amount.currency]},
            )
    if draft.total.amount_minor < 0:
        raise NegativeInvoiceTotal(extra={"total_minor": draft.total.amount_minor})


def _allocate_numbers(count: int) -> range:
    """Take the next `count` invoice numbers, in the caller's transaction.

    One statement: UPDATE … RETURNING (PostgreSQL, SQLite 3.35+). The row lock it
    takes is held to the commit, which is what keeps the numbers free of gaps.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("invoice numbers are taken in the issuing transaction")
    last = _advance_sequence(count)
    if last is None:
        # The row is made by a migration; a database flushed since (tests) lacks it.
        InvoiceNumberSequence.objects.bulk_create(
            [InvoiceNumberSequence(id=1, last_number=0)], ignore_conflicts=True
        )
        last = _advance_sequence(count)
    assert last is not None
    return range(last - count + 1, last + 1)


def _advance_sequence(count: int) -> int | None:
    quote = connection.ops.quote_name
    table = quote(InvoiceNumberSequence._meta.db_table)
    column = quote("last_number")
    with connection.cursor() as cursor:
        # Names come from the model; the count is a parameter.
        cursor.execute(
            f"UPDATE {table} SET {column} = {column} + %s "  # noqa: S608
            f"RETURNING {column}",
            [count],
        )
        row = cursor.fetchone()
    return None if row is None else int(row[0])


def _invoice(draft: InvoiceDraft, number: int, *, now: dt.datetime) -> Invoice:
    total = draft.total.amount_minor
    return Invoice(
        number=number,
        payer_id=draft.payer_id,
        status=S.OPEN if total else S.PAID,
        billing_reason=draft.billing_reason,
        currency=draft.currency,
        total_minor=total,
        description=draft.description[:200],
        subscription_id=draft.subscription_id,
        period_starts_at=draft.period_starts_at,
        period_ends_at=draft.period_ends_at,
        created_at=now,
        updated_at=now,
        issued_at=now,
        paid_at=None if total else now,
    )


def _line(invoice: Invoice, line: LineDraft) -> InvoiceLine:
    return InvoiceLine(
        invoice=invoice,
        kind=line.kind,
        description=line.description[:200],
        amount_minor=line.amount.amount_minor,
        currency=line.amount.currency,
        period_starts_at=line.period_starts_at,
        period_ends_at=line.period_ends_at,
        source=line.source[:80],
    )


def _issue_posting(invoice: Invoice, draft: InvoiceDraft) -> Posting:
    """Receivable (and any credit used) against revenue."""
    credit_used = draft.credit_used
    return Posting(
        key=f"invoice:{invoice.id}:issued",
        legs=(
            Leg(A.RECEIVABLE, invoice.total, debit=True),
            Leg(A.CUSTOMER_CREDIT, credit_used, debit=True),
            Leg(A.REVENUE, invoice.total + credit_used, debit=False),
        ),
        at=invoice.created_at,
        payer_id=invoice.payer_id,
        memo=f"{invoice.display_number} issued",
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
