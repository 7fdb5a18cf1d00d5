"""Reads of the billing core (STYLE 3.2): invoices and the ledger, never writes."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Final

from django.db.models import F, Prefetch, QuerySet, Sum

from billing.models import (
    DEBIT_NORMAL_ACCOUNTS,
    Invoice,
    InvoiceLine,
    LedgerAccount,
    LedgerEntry,
    StatusChange,
)

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


# The ledger's proof, for `manage.py check_ledger` (config): per gateway as well -----


@dataclass(frozen=True, slots=True)
class AccountBalance:
    """An account in one currency and subaccount (the gateway, for cash)."""

    account: str
    # The gateway, for cash at a gateway; empty for the other accounts.
    subaccount: str
    currency: str
    debit_minor: int
    credit_minor: int

    @property
    def net_minor(self) -> int:
        """Debits minus credits: positive for a debit balance."""
        return self.debit_minor - self.credit_minor

    @property
    def is_on_normal_side(self) -> bool:
        """Whether the balance sits on the account's usual side (or is zero)."""
        if self.account in DEBIT_NORMAL_ACCOUNTS:
            return self.net_minor >= 0
        return self.net_minor <= 0


@dataclass(frozen=True, slots=True)
class PostingImbalance:
    """A posting whose debits and credits differ in one currency."""

    posting: str
    currency: str
    debit_minor: int
    credit_minor: int


def ledger_account_balances() -> list[AccountBalance]:
    """Debits and credits per account, subaccount and currency.

    Ordered by currency, then in the order of `LedgerAccount`, then by subaccount.
    """
    sums = (
        LedgerEntry.objects.order_by()
        .values("account", "subaccount", "currency")
        .annotate(debit=Sum("debit_minor"), credit=Sum("credit_minor"))
    )
    position = {account: n for n, account in enumerate(LedgerAccount.values)}
    balances = (
        AccountBalance(
            account=row["account"],
            subaccount=row["subaccount"],
            currency=row["currency"],
            debit_minor=row["debit"] or 0,
            credit_minor=row["credit"] or 0,
        )
        for row in sums
    )
    return sorted(
        balances,
        key=lambda b: (
            b.currency,
            position.get(b.account, len(position)),
            b.subaccount,
        ),
    )


def ledger_unbalanced_postings() -> list[PostingImbalance]:
    """Every posting whose debits and credits differ in a currency, by name."""
    sums = (
        LedgerEntry.objects.order_by()
        .values("posting", "currency")
        .annotate(debit=Sum("debit_minor"), credit=Sum("credit_minor"))
        .exclude(debit=F("credit"))
        .order_by("posting", "currency")
    )
    return [
        PostingImbalance(
            posting=row["posting"],
            currency=row["currency"],
            debit_minor=row["debit"] or 0,
            credit_minor=row["credit"] or 0,
        )
        for row in sums
    ]


def invoice_amounts_due(*, status: str) -> dict[str, int]:
    """What the invoices in `status` still owe, per currency, in minor units."""
    sums = (
        Invoice.objects.filter(status=status)
        .order_by()
        .values("currency")
        .annotate(due=Sum(F("total_minor") - F("amount_paid_minor")))
    )
    return {row["currency"]: row["due"] for row in sums if row["due"]}
