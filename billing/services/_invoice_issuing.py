"""Issuing invoices: numbers, lines, postings and events together.

Every function here runs inside the caller's transaction, so an invoice, its ledger
postings and its events commit or vanish together. Invoices are issued in batches
(the renewal run issues a claimed batch at once): numbers, invoices, lines, postings
and events cost one statement each per batch, not per invoice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db import connection, transaction

from billing.errors import DomainError
from billing.events import record_event
from billing.models import (
    Invoice,
    InvoiceLine,
    InvoiceNumberSequence,
    InvoiceStatus,
    LedgerAccount,
)
from billing.money import CurrencyMismatch
from billing.services._audit import record_status_change
from billing.services._invoice_drafts import InvoiceDraft, LineDraft
from billing.services._invoice_payload import invoice_payload
from billing.services._ledger import Leg, Posting, post_to_ledger


class NegativeInvoiceTotal(DomainError):
    """An invoice's credits exceed its charges; carry the difference instead."""

    code = "negative_invoice_total"


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
        if invoice.status == InvoiceStatus.PAID:
            record_status_change(
                object_type="invoice",
                object_id=str(invoice.id),
                from_status=InvoiceStatus.OPEN,
                to_status=InvoiceStatus.PAID,
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
        status=InvoiceStatus.OPEN if total else InvoiceStatus.PAID,
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
            Leg(LedgerAccount.RECEIVABLE, invoice.total, debit=True),
            Leg(LedgerAccount.CUSTOMER_CREDIT, credit_used, debit=True),
            Leg(LedgerAccount.REVENUE, invoice.total + credit_used, debit=False),
        ),
        at=invoice.created_at,
        payer_id=invoice.payer_id,
        memo=f"{invoice.display_number} issued",
    )
