"""Payments: saved cards, payment attempts, refunds and the gateways' webhooks."""

from payments.models._checkout import (
    FINAL_CHECKOUT_STATUSES,
    CheckoutSession,
    CheckoutSessionStatus,
)
from payments.models._methods import PaymentMethod, PaymentMethodStatus
from payments.models._payments import (
    ALLOWED_TRANSITIONS,
    LIVE_STATUSES,
    Payment,
    PaymentKind,
    PaymentStatus,
)
from payments.models._refunds import Refund, RefundReason, RefundStatus
from payments.models._webhooks import GatewayEventRecord, GatewayEventStatus

__all__ = [
    "ALLOWED_TRANSITIONS",
    "FINAL_CHECKOUT_STATUSES",
    "LIVE_STATUSES",
    "CheckoutSession",
    "CheckoutSessionStatus",
    "GatewayEventRecord",
    "GatewayEventStatus",
    "Payment",
    "PaymentKind",
    "PaymentMethod",
    "PaymentMethodStatus",
    "PaymentStatus",
    "Refund",
    "RefundReason",
    "RefundStatus",
]
