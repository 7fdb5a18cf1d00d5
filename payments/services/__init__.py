"""Use cases of the payments app (STYLE 3.2): one public function per use case."""

from payments.services._card_payloads import (
    CardNumberRefused,
    CardPayloadRefused,
    check_card_payload,
)
from payments.services._charges import (
    PaymentInProgress,
    SavedCardCharge,
    charge_prepared_payment,
    charge_saved_card,
    complete_3ds,
    prepare_saved_card_payments,
    start_card_payment,
)
from payments.services._checkout_attempts import (
    finish_checkout_after_3ds,
    pay_checkout_session,
)
from payments.services._checkout_sessions import (
    CHECKOUT_SESSION_SETTLES_WITHIN,
    CHECKOUT_SESSION_TTL,
    CheckoutNotAwaiting3ds,
    CheckoutReferenceTaken,
    CheckoutSessionExpired,
    CheckoutSessionNotFound,
    CheckoutSessionUsed,
    InvalidCheckoutSession,
    ThreeDsMismatch,
    create_checkout_session,
)
from payments.services._checkout_sync import (
    expire_checkout_sessions,
    expire_unused_checkout_session,
    sync_checkout_session,
    sync_checkout_session_card_setup,
)
from payments.services._client_checkouts import open_hold_checkout
from payments.services._discrepancies import (
    DiscrepancyAlreadyResolved,
    DiscrepancyNotFound,
    ResolutionNoteRequired,
    resolve_discrepancy,
)
from payments.services._forgetting import retire_payer_cards, revoke_payer_cards
from payments.services._janitor import (
    expire_stale_payments,
    settle_unknown_payment,
    settle_unknown_payments,
)
from payments.services._lookup import PaymentNotFound, get_payment
from payments.services._methods import NoUsablePaymentMethod, default_payment_method
from payments.services._one_off_payments import (
    RESERVED_REFERENCE_KINDS,
    InvalidOneOffPayment,
    RefundFailed,
    capture_one_off,
    check_client_reference,
    refund_one_off,
    take_one_off,
    void_one_off,
)
from payments.services._payment_notices import (
    send_card_expired_notice,
    send_payment_receipt,
)
from payments.services._payment_outcomes import GatewayAnswer, gateway_reference_of
from payments.services._payment_outcomes import (
    apply_payment_answer as apply_gateway_answer,
)
from payments.services._pipeline import (
    CRYPTOGRAM_TTL,
    AmountNotPositive,
    CardMissing,
    GatewayNotConfigured,
    InvalidCardAttempt,
)
from payments.services._reconciliation import (
    ReconciliationInProgress,
    gateway_fees,
    gateway_money,
    reconcile,
    request_reconciliation,
)
from payments.services._refund_requests import (
    DecisionNoteRequired,
    OwnRefundRequest,
    RefundDeskForbidden,
    RefundDeskOutcome,
    RefundRequestNotFound,
    RefundRequestOpen,
    approve_refund_request,
    file_refund_request,
    needs_second_approver,
    refund_or_request,
    reject_refund_request,
)
from payments.services._refund_settlement import (
    settle_unknown_refund,
    settle_unknown_refunds,
)
from payments.services._refunds import (
    RefundExceedsCaptured,
    checked_refund_amount,
    refund_payment,
    refundable_minor,
)
from payments.services._setups import (
    CardSetupNotFound,
    InvalidCardSetup,
    complete_card_setup_3ds,
    start_card_setup,
)
from payments.services._two_step import (
    CaptureExceedsAuthorization,
    GatewayRefused,
    GatewayUnavailable,
    capture_payment,
    void_payment,
)
from payments.services._webhook_drains import DrainScheduler
from payments.services._webhook_edge_intake import EdgeIntake
from payments.services._webhook_handlers import RefundNotYetRecorded
from payments.services._webhook_intake import (
    CheckAnswer,
    InvalidWebhookSignature,
    MalformedWebhook,
    ReceivedEvent,
    VerifiedEvent,
    answer_cloudpayments_check,
    receive_gateway_event,
    store_verified_event,
    verify_gateway_event,
)
from payments.services._webhook_processing import (
    drain_gateway_events,
    gateway_events_to_retry,
    process_gateway_event,
)

__all__ = [
    "CHECKOUT_SESSION_SETTLES_WITHIN",
    "CHECKOUT_SESSION_TTL",
    "CRYPTOGRAM_TTL",
    "RESERVED_REFERENCE_KINDS",
    "AmountNotPositive",
    "CaptureExceedsAuthorization",
    "CardMissing",
    "CardNumberRefused",
    "CardPayloadRefused",
    "CardSetupNotFound",
    "CheckAnswer",
    "CheckoutNotAwaiting3ds",
    "CheckoutReferenceTaken",
    "CheckoutSessionExpired",
    "CheckoutSessionNotFound",
    "CheckoutSessionUsed",
    "DecisionNoteRequired",
    "DiscrepancyAlreadyResolved",
    "DiscrepancyNotFound",
    "DrainScheduler",
    "EdgeIntake",
    "GatewayAnswer",
    "GatewayNotConfigured",
    "GatewayRefused",
    "GatewayUnavailable",
    "InvalidCardAttempt",
    "InvalidCardSetup",
    "InvalidCheckoutSession",
    "InvalidOneOffPayment",
    "InvalidWebhookSignature",
    "MalformedWebhook",
    "NoUsablePaymentMethod",
    "OwnRefundRequest",
    "PaymentInProgress",
    "PaymentNotFound",
    "ReceivedEvent",
    "ReconciliationInProgress",
    "RefundDeskForbidden",
    "RefundDeskOutcome",
    "RefundExceedsCaptured",
    "RefundFailed",
    "RefundNotYetRecorded",
    "RefundRequestNotFound",
    "RefundRequestOpen",
    "ResolutionNoteRequired",
    "SavedCardCharge",
    "ThreeDsMismatch",
    "VerifiedEvent",
    "answer_cloudpayments_check",
    "apply_gateway_answer",
    "approve_refund_request",
    "capture_one_off",
    "capture_payment",
    "charge_prepared_payment",
    "charge_saved_card",
    "check_card_payload",
    "check_client_reference",
    "checked_refund_amount",
    "complete_3ds",
    "complete_card_setup_3ds",
    "create_checkout_session",
    "default_payment_method",
    "drain_gateway_events",
    "expire_checkout_sessions",
    "expire_stale_payments",
    "expire_unused_checkout_session",
    "file_refund_request",
    "finish_checkout_after_3ds",
    "gateway_events_to_retry",
    "gateway_fees",
    "gateway_money",
    "gateway_reference_of",
    "get_payment",
    "needs_second_approver",
    "open_hold_checkout",
    "pay_checkout_session",
    "prepare_saved_card_payments",
    "process_gateway_event",
    "receive_gateway_event",
    "reconcile",
    "refund_one_off",
    "refund_or_request",
    "refund_payment",
    "refundable_minor",
    "reject_refund_request",
    "request_reconciliation",
    "resolve_discrepancy",
    "retire_payer_cards",
    "revoke_payer_cards",
    "send_card_expired_notice",
    "send_payment_receipt",
    "settle_unknown_payment",
    "settle_unknown_payments",
    "settle_unknown_refund",
    "settle_unknown_refunds",
    "start_card_payment",
    "start_card_setup",
    "store_verified_event",
    "sync_checkout_session",
    "sync_checkout_session_card_setup",
    "take_one_off",
    "verify_gateway_event",
    "void_one_off",
    "void_payment",
]
