"""Billing: payers, invoices, the ledger, the events outbox and the audit trail."""

from billing.models._client_requests import ClientRequest
from billing.models._history import AppendOnlyError, BillingEvent, StatusChange
from billing.models._invoices import (
    ALLOWED_INVOICE_TRANSITIONS,
    PERIOD_REASONS,
    BillingReason,
    Invoice,
    InvoiceLine,
    InvoiceLineKind,
    InvoiceNumberSequence,
    InvoiceStatus,
)
from billing.models._ledger import DEBIT_NORMAL_ACCOUNTS, LedgerAccount, LedgerEntry
from billing.models._notices import NoticeKind, NoticeStatus, PayerNotice
from billing.models._payers import Payer
from billing.models._status import CURRENCY_FORMAT, StatusMachine

__all__ = [
    "ALLOWED_INVOICE_TRANSITIONS",
    "CURRENCY_FORMAT",
    "DEBIT_NORMAL_ACCOUNTS",
    "PERIOD_REASONS",
    "AppendOnlyError",
    "BillingEvent",
    "BillingReason",
    "ClientRequest",
    "Invoice",
    "InvoiceLine",
    "InvoiceLineKind",
    "InvoiceNumberSequence",
    "InvoiceStatus",
    "LedgerAccount",
    "LedgerEntry",
    "NoticeKind",
    "NoticeStatus",
    "Payer",
    "PayerNotice",
    "StatusChange",
    "StatusMachine",
]
