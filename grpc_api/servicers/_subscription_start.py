"""BillingService RPCs that start a subscription, 3-D Secure included.

The frontend posts a 3-D Secure challenge to the bank's page itself (docs/grpc.md,
"Starting a subscription"): CloudPayments' TermUrl is the frontend's own page, so
the request carries none; Stripe's redirect comes back to `GRPC_3DS_RETURN_URL`.
"""

from __future__ import annotations

import grpc
from django.conf import settings

from billing.clock import billing_now
from grpc_api.auth import (
    InvalidArgument,
    caller,
    caller_actor,
    parse_uuid,
    payer_of_request,
)
from grpc_api.converters.payments import payment_message, three_ds_message
from grpc_api.converters.subscriptions import subscription_message
from grpc_api.generated.billing.v1 import billing_pb2
from grpc_api.idempotency import request_key
from subscriptions.services import complete_3ds_step, subscribe

# The gateway whose card form makes each kind of `NewCard`.
_CARD_GATEWAYS = {
    "cloudpayments_cryptogram": "cloudpayments",
    "stripe_payment_method": "stripe",
}


class SubscriptionStartRpcs:
    def StartSubscription(
        self,
        request: billing_pb2.StartSubscriptionRequest,
        context: grpc.ServicerContext,
    ) -> billing_pb2.StartSubscriptionResponse:
        payer_id = payer_of_request(request.payer_id)
        if not request.plan_code:
            raise InvalidArgument("plan_code", "plan_code is required.")
        card_kind = request.card.WhichOneof("card")
        if card_kind is None:
            raise InvalidArgument(
                "card",
                "card needs a cloudpayments_cryptogram or a stripe_payment_method.",
            )
        started = subscribe(
            payer_id=payer_id,
            plan_code=request.plan_code,
            card_payload=getattr(request.card, card_kind),
            card_gateway=_CARD_GATEWAYS[card_kind],
            cardholder_name=request.card.cardholder_name or None,
            with_trial=request.with_trial,
            return_url=settings.GRPC_3DS_RETURN_URL or None,
            request_key=request_key(request, operation="start_subscription"),
            now=billing_now(),
            actor=caller_actor(),
        )
        step = started.pending_step
        return billing_pb2.StartSubscriptionResponse(
            subscription=subscription_message(started.subscription),
            three_ds=three_ds_message(step) if step is not None else None,
        )

    def Complete3ds(
        self, request: billing_pb2.Complete3dsRequest, context: grpc.ServicerContext
    ) -> billing_pb2.Complete3dsResponse:
        completed = complete_3ds_step(
            attempt_id=parse_uuid(request.payment_id, "payment_id"),
            # An end user finishes only their own payer's steps.
            payer_id=caller().user_id,
            authentication_result=request.pa_res or None,
            now=billing_now(),
            actor=caller_actor(),
        )
        subscription = completed.subscription
        return billing_pb2.Complete3dsResponse(
            payment=(
                payment_message(
                    completed.payment,
                    subscription_id=subscription.id if subscription else None,
                )
                if completed.payment is not None
                else None
            ),
            subscription=(subscription_message(subscription) if subscription else None),
        )
