"""The shop's calls to billing over gRPC (`SHOP_BILLING_CALLS`' default).

The shop is a service with a token of its own (`SHOP_BILLING_TOKEN`); it reaches
billing through the generated stubs and `grpc_api.client` only, as a separate
process would.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from typing import TypeVar

import grpc
from django.conf import settings

from grpc_api.client import connect_billing, error_reason
from grpc_api.generated.billing.v1 import billing_pb2, billing_pb2_grpc
from snacks.billing_calls import (
    BillingRefused,
    BillingUnavailable,
    Hold,
    HoldAnswer,
    NoSavedCard,
)

_Response = TypeVar("_Response")
# Billing's codes for "this payer has no card to hold on".
_NO_CARD_REASONS = frozenset({"no_usable_payment_method"})
_UNREACHED = frozenset({grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED})


class GrpcBillingCalls:
    def __init__(self) -> None:
        self._billing = _stub(
            settings.SHOP_BILLING_GRPC_TARGET, settings.SHOP_BILLING_TOKEN
        )
        self._timeout = float(settings.SHOP_BILLING_TIMEOUT_SECONDS)

    def authorize(self, hold: Hold) -> HoldAnswer:
        response = self._call(
            self._billing.AuthorizePayment,
            billing_pb2.AuthorizePaymentRequest(
                payment=_one_off(hold), idempotency_key=hold.idempotency_key
            ),
        )
        return _answer(response.payment)

    def open_checkout(
        self, hold: Hold, *, success_url: str, failure_url: str
    ) -> HoldAnswer:
        response = self._call(
            self._billing.CreateCheckoutSession,
            billing_pb2.CreateCheckoutSessionRequest(
                payment=_one_off(hold),
                mode=billing_pb2.CHECKOUT_MODE_AUTHORIZE,
                success_url=success_url,
                failure_url=failure_url,
                idempotency_key=hold.idempotency_key,
            ),
        )
        return HoldAnswer(
            payment_id=None,
            status="REQUIRES_ACTION",
            checkout_url=response.checkout_url,
        )

    def capture(self, *, payment_id: uuid.UUID, idempotency_key: str) -> None:
        self._call(
            self._billing.CapturePayment,
            billing_pb2.CapturePaymentRequest(
                payment_id=str(payment_id), idempotency_key=idempotency_key
            ),
        )

    def void(self, *, payment_id: uuid.UUID, idempotency_key: str) -> None:
        self._call(
            self._billing.VoidPayment,
            billing_pb2.VoidPaymentRequest(
                payment_id=str(payment_id), idempotency_key=idempotency_key
            ),
        )

    def _call(self, method: Callable[..., _Response], request: object) -> _Response:
        """One call, its failures in the port's terms."""
        try:
            return method(request, timeout=self._timeout)
        except grpc.RpcError as error:
            raise _port_error(error) from None


@functools.cache
def _stub(target: str, token: str) -> billing_pb2_grpc.BillingServiceStub:
    """One channel per process: gRPC channels are thread-safe and multiplex."""
    return connect_billing(target, token=token)


def _one_off(hold: Hold) -> billing_pb2.OneOffPayment:
    return billing_pb2.OneOffPayment(
        payer_id=str(hold.payer_id),
        amount_minor=hold.amount_minor,
        currency=hold.currency,
        client_reference=hold.reference,
        description=hold.description,
    )


def _answer(payment: billing_pb2.Payment) -> HoldAnswer:
    return HoldAnswer(
        payment_id=uuid.UUID(payment.id),
        status=billing_pb2.PaymentStatus.Name(payment.status).removeprefix(
            "PAYMENT_STATUS_"
        ),
        failure=payment.failure_message,
    )


def _port_error(error: grpc.RpcError) -> Exception:
    code = error.code()
    details = error.details()
    if code in _UNREACHED:
        return BillingUnavailable(details or "Billing could not be reached.")
    reason = error_reason(error)
    if reason in _NO_CARD_REASONS:
        return NoSavedCard(details, extra={"reason": reason})
    return BillingRefused(details, extra={"reason": reason or code.name.lower()})
