"""Use cases of the payments app (STYLE 3.2): one public function per use case."""

from payments.services._charges import (
    CRYPTOGRAM_TTL,
    PaymentInProgress,
    charge_saved_card,
    complete_3ds,
    gateway_reference_of,
    start_card_payment,
)
from payments.services._lookup import PaymentNotFound, get_payment
from payments.services._methods import NoUsablePaymentMethod, default_payment_method
from payments.services._refunds import RefundExceedsCaptured, refund_payment
from payments.services._settlement import (
    expire_stale_payments,
    settle_unknown_payment,
    settle_unknown_payments,
)
from payments.services._two_step import (
    CaptureExceedsAuthorization,
    GatewayRefused,
    GatewayUnavailable,
    capture_payment,
    void_payment,
)

__all__ = [
    "CRYPTOGRAM_TTL",
    "CaptureExceedsAuthorization",
    "GatewayRefused",
    "GatewayUnavailable",
    "NoUsablePaymentMethod",
    "PaymentInProgress",
    "PaymentNotFound",
    "RefundExceedsCaptured",
    "capture_payment",
    "charge_saved_card",
    "complete_3ds",
    "default_payment_method",
    "expire_stale_payments",
    "gateway_reference_of",
    "get_payment",
    "refund_payment",
    "settle_unknown_payment",
    "settle_unknown_payments",
    "start_card_payment",
    "void_payment",
]
