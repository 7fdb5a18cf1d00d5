"""Payments: saved cards, card setups, payment attempts, refunds (and requests for
them) and webhooks."""

from payments.models._card_attempts import CardAttempt
from payments.models._checkout_sessions import (
    FINAL_CHECKOUT_STATUSES,
    PAYMENT_MODES,
    CheckoutSession,
    CheckoutSessionMode,
    CheckoutSessionStatus,
)
from payments.models._common import Gateway
from payments.models._methods import PaymentMethod, PaymentMethodStatus
from payments.models._mismatches import PaymentMismatch
from payments.models._payments import (
    ALLOWED_TRANSITIONS,
    LIVE_STATUSES,
    Payment,
    PaymentKind,
    PaymentStatus,
)
from payments.models._reconciliation import (
    Discrepancy,
    DiscrepancyKind,
    ReconciliationRun,
    ReconciliationSighting,
    ReconciliationStatus,
)
from payments.models._refund_requests import (
    RefundRequest,
    RefundRequestStatus,
)
from payments.models._refunds import Refund, RefundReason, RefundStatus
from payments.models._setups import ALLOWED_TRANSITIONS as CARD_SETUP_TRANSITIONS
from payments.models._setups import CardSetup, CardSetupStatus
from payments.models._webhooks import GatewayEventRecord, GatewayEventStatus

__all__ = [
    "ALLOWED_TRANSITIONS",
    "CARD_SETUP_TRANSITIONS",
    "FINAL_CHECKOUT_STATUSES",
    "LIVE_STATUSES",
    "PAYMENT_MODES",
    "CardAttempt",
    "CardSetup",
    "CardSetupStatus",
    "CheckoutSession",
    "CheckoutSessionMode",
    "CheckoutSessionStatus",
    "Discrepancy",
    "DiscrepancyKind",
    "Gateway",
    "GatewayEventRecord",
    "GatewayEventStatus",
    "Payment",
    "PaymentKind",
    "PaymentMethod",
    "PaymentMethodStatus",
    "PaymentMismatch",
    "PaymentStatus",
    "ReconciliationRun",
    "ReconciliationSighting",
    "ReconciliationStatus",
    "Refund",
    "RefundReason",
    "RefundRequest",
    "RefundRequestStatus",
    "RefundStatus",
]
