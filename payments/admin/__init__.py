"""Admin for payments: inspection only, for now (SPEC §8).

Money, status and keys are never edited here; what changes goes through actions
that call the services. Card tokens and cryptograms are not
shown and not even loaded: the querysets defer them. Searches are exact matches, so
they stay fast on large tables.

Modules by concept: `_base` (the read-only admin of payments records, on the kit's
`ReadOnlyAdmin`), `_payments` (payments and refunds), `_cards_and_events` (saved cards,
gateway events, checkout sessions), `_reconciliation` (runs and discrepancies).
The display helpers come from `kit.admin`.
"""

from payments.admin._cards_and_events import (
    CheckoutSessionAdmin,
    GatewayEventRecordAdmin,
    PaymentMethodAdmin,
)
from payments.admin._payments import PaymentAdmin, RefundAdmin, RefundInline
from payments.admin._reconciliation import DiscrepancyAdmin, ReconciliationRunAdmin

__all__ = [
    "CheckoutSessionAdmin",
    "DiscrepancyAdmin",
    "GatewayEventRecordAdmin",
    "PaymentAdmin",
    "PaymentMethodAdmin",
    "ReconciliationRunAdmin",
    "RefundAdmin",
    "RefundInline",
]
