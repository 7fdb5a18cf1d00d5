"""Reads of invoices and their history: lists, one invoice, its audit trail."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass
from typing import Final

from django.db.models import Prefetch, QuerySet

from billing.models import Invoice, InvoiceLine, LedgerEntry, StatusChange

# "INV-00000012", "inv-12" or "12": how people copy a number off an invoice. At most
# 18 digits, so that any match fits the database's 64-bit integers.
_INVOICE_NUMBER: Final = re.compile(r"(?:INV-)?([0-9]{1,18})", re.IGNORECASE)
_INVOICE_ID: Final = re.compile(r"[0-9]{1,18}")
# The facts an invoice posts under its own name (see billing.services._ledger).
_INVOICE_POSTINGS: Final = ("issued", "paid", "void", "uncollectible")


@dataclass(frozen=True, slots=True)
class InvoiceFilters:
    payer_id: uuid.UUID | None = None
    subscription_id: uuid.UUID | None = None
    status: str | None = None
    # The invoice number, as `parse_invoice_number` reads it.
    number: int | None = None
    # Created at or after, and before.
    created_after: dt.datetime | None = None
    created_before: dt.datetime | None = None


def parse_invoice_number(text: str) -> int | None:
    """The number in "INV-00000012", "inv-12" or "12"; None for anything else."""
    match = _INVOICE_NUMBER.fullmatch(text.strip())
    return int(match.group(1)) if match else None


def parse_invoice_id(text: str) -> int | None:
    """The invoice id written in `text` (as in a URL), or None if it is not one."""
    return int(text) if _INVOICE_ID.fullmatch(text) else None


def invoice_list(*, filters: InvoiceFilters | None = None) -> QuerySet[Invoice]:
    """Invoices matching `filters`, newest first."""
    filters = filters or InvoiceFilters()
    exact = {
        "payer_id": filters.payer_id,
        "subscription_id": filters.subscription_id,
        "status": filters.status,
        "number": filters.number,
        "created_at__gte": filters.created_after,
        "created_at__lt": filters.created_before,
    }
    return Invoice.objects.filter(
        **{lookup: value for lookup, value in exact.items() if value is not None}
    ).order_by("-created_at", "-id")


def invoice_get(*, invoice_id: int) -> Invoice | None:
    """One invoice with its lines (in the order they were written), or None."""
    lines = InvoiceLine.objects.order_by("id")
    return (
        Invoice.objects.prefetch_related(Prefetch("lines", queryset=lines))
        .filter(id=invoice_id)
        .first()
    )


def audit_trail(*, object_type: str, object_id: object) -> QuerySet[StatusChange]:
    """Every status change of one object ("invoice", 12), oldest first."""
    return StatusChange.objects.filter(
        object_type=object_type, object_id=str(object_id)
    ).order_by("at", "id")


def invoice_ledger_entries(*, invoice: Invoice) -> QuerySet[LedgerEntry]:
    """What the invoice put on the books under its own name, in posting order."""
    postings = [f"invoice:{invoice.id}:{fact}" for fact in _INVOICE_POSTINGS]
    return LedgerEntry.objects.filter(posting__in=postings).order_by("at", "id")
