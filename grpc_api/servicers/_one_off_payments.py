"""BillingService RPCs of payments: list, authorize, capture, void, charge, refund.

The writes run under the caller's idempotency key (`grpc_api.idempotency`); the
domain keeps it with the row it makes, so a retry after a lost reply or an expired
deadline answers what the first call committed.
"""

from __future__ import annotations

import grpc

from billing.clock import billing_now
from grpc_api.auth import caller_actor, parse_uuid, payer_of_request
from grpc_api.converters.one_off_payments import (
    one_off_amount,
    optional_amount,
    page_size,
    page_token,
    payment_position,
    refund_reason,
)
from grpc_api.converters.payments import payment_message
from grpc_api.generated.billing.v1 import billing_pb2
from grpc_api.idempotency import request_key
from payments.models import Payment
from payments.selectors import payer_payment_page
from payments.services import (
    capture_one_off,
    refund_one_off,
    take_one_off,
    void_one_off,
)


class OneOffPaymentRpcs:
    def ListPayments(
        self, request: billing_pb2.ListPaymentsRequest, context: grpc.ServicerContext
    ) -> billing_pb2.ListPaymentsResponse:
        page = payer_payment_page(
            payer_id=payer_of_request(request.payer_id),
            after=payment_position(request.page_token),
            size=page_size(request.page_size),
        )
        return billing_pb2.ListPaymentsResponse(
            payments=[payment_message(payment) for payment in page.payments],
            next_page_token=page_token(page.next_after),
        )

    def AuthorizePayment(
        self,
        request: billing_pb2.AuthorizePaymentRequest,
        context: grpc.ServicerContext,
    ) -> billing_pb2.AuthorizePaymentResponse:
        payment = _take_one_off(request, operation="authorize_payment", hold_only=True)
        return billing_pb2.AuthorizePaymentResponse(payment=payment_message(payment))

    def ChargePayment(
        self, request: billing_pb2.ChargePaymentRequest, context: grpc.ServicerContext
    ) -> billing_pb2.ChargePaymentResponse:
        payment = _take_one_off(request, operation="charge_payment", hold_only=False)
        return billing_pb2.ChargePaymentResponse(payment=payment_message(payment))

    def CapturePayment(
        self, request: billing_pb2.CapturePaymentRequest, context: grpc.ServicerContext
    ) -> billing_pb2.CapturePaymentResponse:
        payment = capture_one_off(
            payment_id=parse_uuid(request.payment_id, "payment_id"),
            amount_minor=optional_amount(request.amount_minor),
            request=request_key(request, operation="capture_payment"),
            now=billing_now(),
            actor=caller_actor(),
        )
        return billing_pb2.CapturePaymentResponse(payment=payment_message(payment))

    def VoidPayment(
        self, request: billing_pb2.VoidPaymentRequest, context: grpc.ServicerContext
    ) -> billing_pb2.VoidPaymentResponse:
        payment = void_one_off(
            payment_id=parse_uuid(request.payment_id, "payment_id"),
            request=request_key(request, operation="void_payment"),
            now=billing_now(),
            actor=caller_actor(),
        )
        return billing_pb2.VoidPaymentResponse(payment=payment_message(payment))

    def RefundPayment(
        self, request: billing_pb2.RefundPaymentRequest, context: grpc.ServicerContext
    ) -> billing_pb2.RefundPaymentResponse:
        refund = refund_one_off(
            payment_id=parse_uuid(request.payment_id, "payment_id"),
            amount_minor=optional_amount(request.amount_minor),
            reason=refund_reason(request.reason, request.note),
            note=request.note,
            request=request_key(request, operation="refund_payment"),
            requested_by=caller_actor(),
            now=billing_now(),
        )
        return billing_pb2.RefundPaymentResponse(
            payment=payment_message(refund.payment), refund_id=str(refund.id)
        )


def _take_one_off(
    request: billing_pb2.AuthorizePaymentRequest | billing_pb2.ChargePaymentRequest,
    *,
    operation: str,
    hold_only: bool,
) -> Payment:
    """The one service call of AuthorizePayment and ChargePayment."""
    wanted = request.payment
    return take_one_off(
        payer_id=payer_of_request(wanted.payer_id, "payment.payer_id"),
        amount=one_off_amount(wanted),
        client_reference=wanted.client_reference,
        description=wanted.description,
        hold_only=hold_only,
        request=request_key(request, operation=operation),
        now=billing_now(),
        actor=caller_actor(),
    )
