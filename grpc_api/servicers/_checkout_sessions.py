"""BillingService RPCs of hosted checkout: a page for a payer without a saved card.

The write runs under the caller's idempotency key (`grpc_api.idempotency`), stored
with the session it opens.
"""

from __future__ import annotations

import grpc

from billing.clock import billing_now
from grpc_api.auth import caller_actor, payer_of_request
from grpc_api.converters.checkout_sessions import (
    checkout_gateway,
    checkout_session_response,
    require_hold_mode,
)
from grpc_api.converters.one_off_payments import one_off_amount
from grpc_api.generated.billing.v1 import billing_pb2
from grpc_api.idempotency import request_key
from payments.services import open_hold_checkout


class CheckoutSessionRpcs:
    def CreateCheckoutSession(
        self,
        request: billing_pb2.CreateCheckoutSessionRequest,
        context: grpc.ServicerContext,
    ) -> billing_pb2.CreateCheckoutSessionResponse:
        wanted = request.payment
        require_hold_mode(request.mode)
        session = open_hold_checkout(
            payer_id=payer_of_request(wanted.payer_id, "payment.payer_id"),
            amount=one_off_amount(wanted),
            client_reference=wanted.client_reference,
            description=wanted.description,
            gateway=checkout_gateway(request.gateway),
            success_url=request.success_url,
            failure_url=request.failure_url,
            request=request_key(request, operation="create_checkout_session"),
            now=billing_now(),
            actor=caller_actor(),
        )
        return checkout_session_response(session)
