"""Admin for payments: inspection, and the refund desk (SPEC §8).

Money, status and keys are never edited here; money moves only through pages that
call the services: a payment's Refund page, and the approval or rejection of a
refund request, for accounting and superusers. Card tokens and cryptograms are not
shown and not even loaded: the querysets defer them. Searches are exact matches, so
they stay fast on large tables.

Modules by concept: `_base` (the read-only admin of payments records, on the kit's
`ReadOnlyAdmin`), `_payments` (payments and refunds), `_cards_and_events` (saved cards,
gateway events, checkout sessions), `_reconciliation` (runs and discrepancies),
`_refund_desk` (a payment's Refund page) and `_refund_requests` (refund requests
and their decisions). The display helpers and service pages come from `kit.admin`.
"""

from payments.admin._cards_and_events import (
    CheckoutSessionAdmin,
    GatewayEventRecordAdmin,
    PaymentMethodAdmin,
)
from payments.admin._payments import PaymentAdmin, RefundAdmin, RefundInline
from payments.admin._reconciliation import DiscrepancyAdmin, ReconciliationRunAdmin
from payments.admin._refund_requests import RefundRequestAdmin

__all__ = [
    "CheckoutSessionAdmin",
    "DiscrepancyAdmin",
    "GatewayEventRecordAdmin",
    "PaymentAdmin",
    "PaymentMethodAdmin",
    "ReconciliationRunAdmin",
    "RefundAdmin",
    "RefundInline",
    "RefundRequestAdmin",
]
