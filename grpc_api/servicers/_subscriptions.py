"""BillingService RPCs of payers and subscriptions: read, cancel, resume, move.

An end user reaches only their own payer: the services and selectors are told the
caller's payer (`caller().user_id`, None for a service token), so another payer's
subscription is not found, exactly like one that does not exist. A change is one
service call at `billing_now()` by `caller_actor()`; its answer is the subscription
read afterwards as GetSubscription reads it, as the support API's views answer.
"""

from __future__ import annotations

import uuid

import grpc

from billing.clock import billing_now
from grpc_api.auth import (
    InvalidArgument,
    PayerNotFound,
    caller,
    caller_actor,
    parse_uuid,
    payer_of_request,
)
from grpc_api.converters.payments import payer_message, unseen_payer_message
from grpc_api.converters.subscriptions import subscription_message
from grpc_api.generated.billing.v1 import billing_pb2
from payments.selectors import payer_with_usable_cards
from subscriptions.selectors import subscription_with_latest_invoice
from subscriptions.services import (
    SubscriptionNotFound,
    cancel_subscription,
    change_plan,
    undo_cancellation,
)


class SubscriptionRpcs:
    def GetPayer(
        self, request: billing_pb2.GetPayerRequest, context: grpc.ServicerContext
    ) -> billing_pb2.GetPayerResponse:
        payer_id = payer_of_request(request.payer_id)
        found = payer_with_usable_cards(payer_id=payer_id)
        if found is not None:
            payer = payer_message(found.payer, found.payment_methods)
        elif caller().user_id is not None:
            # Billing meets a payer at their first payment; until then a signed-in
            # user is a payer with no cards, not an error to handle.
            payer = unseen_payer_message(payer_id)
        else:
            raise PayerNotFound(extra={"payer": str(payer_id)})
        return billing_pb2.GetPayerResponse(payer=payer)

    def GetSubscription(
        self,
        request: billing_pb2.GetSubscriptionRequest,
        context: grpc.ServicerContext,
    ) -> billing_pb2.GetSubscriptionResponse:
        subscription_id = parse_uuid(request.subscription_id, "subscription_id")
        return billing_pb2.GetSubscriptionResponse(
            subscription=_subscription(subscription_id)
        )

    def CancelSubscription(
        self,
        request: billing_pb2.CancelSubscriptionRequest,
        context: grpc.ServicerContext,
    ) -> billing_pb2.CancelSubscriptionResponse:
        subscription_id = parse_uuid(request.subscription_id, "subscription_id")
        # Refunding the unused part of a period is accounting's decision (the
        # support API), never the caller's: a cancellation now refunds nothing.
        cancel_subscription(
            subscription_id=subscription_id,
            now=billing_now(),
            actor=caller_actor(),
            at_period_end=request.at_period_end,
            payer_id=caller().user_id,
        )
        return billing_pb2.CancelSubscriptionResponse(
            subscription=_subscription(subscription_id)
        )

    def ResumeSubscription(
        self,
        request: billing_pb2.ResumeSubscriptionRequest,
        context: grpc.ServicerContext,
    ) -> billing_pb2.ResumeSubscriptionResponse:
        subscription_id = parse_uuid(request.subscription_id, "subscription_id")
        undo_cancellation(
            subscription_id=subscription_id,
            now=billing_now(),
            actor=caller_actor(),
            payer_id=caller().user_id,
        )
        return billing_pb2.ResumeSubscriptionResponse(
            subscription=_subscription(subscription_id)
        )

    def ChangePlan(
        self, request: billing_pb2.ChangePlanRequest, context: grpc.ServicerContext
    ) -> billing_pb2.ChangePlanResponse:
        subscription_id = parse_uuid(request.subscription_id, "subscription_id")
        if not request.plan_code:
            raise InvalidArgument("plan_code", "plan_code is required.")
        change_plan(
            subscription_id=subscription_id,
            plan_code=request.plan_code,
            now=billing_now(),
            actor=caller_actor(),
            payer_id=caller().user_id,
        )
        return billing_pb2.ChangePlanResponse(
            subscription=_subscription(subscription_id)
        )


def _subscription(subscription_id: uuid.UUID) -> billing_pb2.Subscription:
    """The subscription as the caller may see it.

    :raises SubscriptionNotFound: when there is none, or it is another payer's.
    """
    found = subscription_with_latest_invoice(
        subscription_id=subscription_id, payer_id=caller().user_id
    )
    if found is None:
        raise SubscriptionNotFound(extra={"subscription": str(subscription_id)})
    return subscription_message(
        found.subscription, latest_invoice_status=found.latest_invoice_status
    )
