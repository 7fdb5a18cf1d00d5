"""Calls of the payment RPCs as the shop makes them, and what a failed call says."""

from __future__ import annotations

import uuid
from typing import Any

import grpc
import pytest

from billing.models import Payer
from grpc_api.generated.billing.v1 import billing_pb2, billing_pb2_grpc
from payments.models import PaymentMethod
from tests.grpc_api.tokens import Metadata, service_metadata
from tests.payments.factories import PaymentMethodFactory

WRITE = "billing.payments.write"
REFUND = "billing.payments.refund"
READ = "billing.read"


def stub(channel: grpc.Channel) -> billing_pb2_grpc.BillingServiceStub:
    return billing_pb2_grpc.BillingServiceStub(channel)


def saved_card(payer: Payer | None = None, **fields: Any) -> PaymentMethod:
    """A payer's default card at the fake gateway."""
    if payer is not None:
        fields["payer"] = payer
    method: PaymentMethod = PaymentMethodFactory.create(is_default=True, **fields)
    return method


def one_off(
    payer_id: uuid.UUID | str,
    *,
    amount_minor: int = 12_500,
    currency: str = "RUB",
    client_reference: str | None = None,
    description: str = "Snacks",
) -> billing_pb2.OneOffPayment:
    return billing_pb2.OneOffPayment(
        payer_id=str(payer_id),
        amount_minor=amount_minor,
        currency=currency,
        client_reference=(
            f"order:{uuid.uuid4()}" if client_reference is None else client_reference
        ),
        description=description,
    )


def authorize(
    channel: grpc.Channel, payment: billing_pb2.OneOffPayment, **options: Any
) -> billing_pb2.Payment:
    """AuthorizePayment; options: `key` (fresh by default), `metadata`, `timeout`."""
    rpc = stub(channel).AuthorizePayment
    return _take(rpc, billing_pb2.AuthorizePaymentRequest, payment, **options)


def charge(
    channel: grpc.Channel, payment: billing_pb2.OneOffPayment, **options: Any
) -> billing_pb2.Payment:
    """ChargePayment, with the options of `authorize`."""
    rpc = stub(channel).ChargePayment
    return _take(rpc, billing_pb2.ChargePaymentRequest, payment, **options)


def open_checkout(
    channel: grpc.Channel,
    payment: billing_pb2.OneOffPayment,
    *,
    key: str = "",
    metadata: Metadata | None = None,
    **fields: Any,
) -> billing_pb2.CreateCheckoutSessionResponse:
    """CreateCheckoutSession for a hold; `fields` change the request's others."""
    request = billing_pb2.CreateCheckoutSessionRequest(
        payment=payment,
        mode=billing_pb2.CHECKOUT_MODE_AUTHORIZE,
        success_url="https://shop.example/orders/1/",
        failure_url="https://shop.example/orders/1/",
        idempotency_key=key or uuid.uuid4().hex,
    )
    for name, value in fields.items():
        setattr(request, name, value)
    response: billing_pb2.CreateCheckoutSessionResponse = stub(
        channel
    ).CreateCheckoutSession(
        request, metadata=metadata or service_metadata(WRITE), timeout=10
    )
    return response


def _take(
    rpc: Any,
    request_type: Any,
    payment: billing_pb2.OneOffPayment,
    *,
    key: str = "",
    metadata: Metadata | None = None,
    timeout: float = 10,
) -> billing_pb2.Payment:
    request = request_type(payment=payment, idempotency_key=key or uuid.uuid4().hex)
    response = rpc(
        request, metadata=metadata or service_metadata(WRITE), timeout=timeout
    )
    return response.payment


def failure(call: Any, *args: Any, **kwargs: Any) -> grpc.RpcError:
    """The error a call ends with; the test fails if it succeeds."""
    with pytest.raises(grpc.RpcError) as raised:
        call(*args, **kwargs)
    return raised.value
