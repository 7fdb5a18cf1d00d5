"""Reads of the billing core (STYLE 3.2): invoices, the ledger and the events outbox."""

from billing.selectors._events import (
    EventBacklog,
    event_backlog_after,
    event_batch_after,
    latest_event_cursor,
)
from billing.selectors._invoices import (
    InvoiceFilters,
    audit_trail,
    invoice_get,
    invoice_ledger_entries,
    invoice_list,
    parse_invoice_id,
    parse_invoice_number,
)
from billing.selectors._ledger import (
    AccountBalance,
    DailyGatewayTotal,
    PostingImbalance,
    daily_gateway_totals,
    invoice_amounts_due,
    ledger_account_balances,
    ledger_unbalanced_postings,
)
from billing.selectors._ledger_checks import (
    CashHeld,
    LedgerCheck,
    amount_text,
    check_ledger,
)

__all__ = [
    "AccountBalance",
    "CashHeld",
    "DailyGatewayTotal",
    "EventBacklog",
    "InvoiceFilters",
    "LedgerCheck",
    "PostingImbalance",
    "amount_text",
    "audit_trail",
    "check_ledger",
    "daily_gateway_totals",
    "event_backlog_after",
    "event_batch_after",
    "invoice_amounts_due",
    "invoice_get",
    "invoice_ledger_entries",
    "invoice_list",
    "latest_event_cursor",
    "ledger_account_balances",
    "ledger_unbalanced_postings",
    "parse_invoice_id",
    "parse_invoice_number",
]
