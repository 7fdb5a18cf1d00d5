"""Admin for the billing core (SPEC §8): shown, never edited.

Invoices and ledger entries are money: they change only through the services
(issuing, payment, voiding, writing off), so the admin has no add, change or delete
for them. Searches are exact matches on indexed columns.

Modules by concept: `_payers_and_history` (payers, the events outbox, the audit trail),
`_invoices` (invoices with their lines, and their PDF), `_ledger` (ledger entries and
the trial balance).
"""

from billing.admin._invoices import InvoiceAdmin, InvoiceLineInline
from billing.admin._ledger import LedgerEntryAdmin
from billing.admin._payers_and_history import (
    BillingEventAdmin,
    PayerAdmin,
    StatusChangeAdmin,
)

__all__ = [
    "BillingEventAdmin",
    "InvoiceAdmin",
    "InvoiceLineInline",
    "LedgerEntryAdmin",
    "PayerAdmin",
    "StatusChangeAdmin",
]
