"""Calls of StartSubscription and Complete3ds as the frontend makes them."""

from __future__ import annotations

import uuid

import grpc

from grpc_api.generated.billing.v1 import billing_pb2, billing_pb2_grpc
from tests.grpc_api.tokens import Metadata, service_metadata, user_metadata

SUBSCRIBE_SCOPE = "billing.subscriptions.write"
# The in-memory gateway takes the sandbox's cryptograms (test settings allow them).
CRYPTOGRAM = "sbx1:cryptogram"


def cryptogram_card(
    payload: str = CRYPTOGRAM, *, cardholder_name: str = "IVAN PETROV"
) -> billing_pb2.NewCard:
    return billing_pb2.NewCard(
        cloudpayments_cryptogram=payload, cardholder_name=cardholder_name
    )


def start_request(
    payer_id: uuid.UUID | str,
    plan_code: str,
    *,
    card: billing_pb2.NewCard | None = None,
    with_trial: bool = False,
    key: str = "start-1",
) -> billing_pb2.StartSubscriptionRequest:
    return billing_pb2.StartSubscriptionRequest(
        payer_id=str(payer_id),
        plan_code=plan_code,
        card=card if card is not None else cryptogram_card(),
        with_trial=with_trial,
        idempotency_key=key,
    )


def start(
    channel: grpc.Channel,
    request: billing_pb2.StartSubscriptionRequest,
    metadata: Metadata | None = None,
) -> billing_pb2.StartSubscriptionResponse:
    """StartSubscription as the payer of `request` (an end user's token)."""
    stub = billing_pb2_grpc.BillingServiceStub(channel)
    response: billing_pb2.StartSubscriptionResponse = stub.StartSubscription(
        request,
        metadata=metadata or user_metadata(uuid.UUID(request.payer_id)),
        timeout=30,
    )
    return response


def complete_3ds(
    channel: grpc.Channel,
    payment_id: str,
    *,
    pa_res: str = "",
    metadata: Metadata | None = None,
) -> billing_pb2.Complete3dsResponse:
    """Complete3ds as a service with the subscriptions scope, unless told otherwise."""
    stub = billing_pb2_grpc.BillingServiceStub(channel)
    response: billing_pb2.Complete3dsResponse = stub.Complete3ds(
        billing_pb2.Complete3dsRequest(payment_id=payment_id, pa_res=pa_res),
        metadata=metadata or service_metadata(SUBSCRIBE_SCOPE),
        timeout=30,
    )
    return response
