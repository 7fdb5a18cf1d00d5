"""Payers, saved cards and payments as proto messages."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from billing.models import Payer
from grpc_api.converters.values import enum_value, timestamp
from grpc_api.generated.billing.v1 import billing_pb2
from payments.models import Payment, PaymentKind, PaymentMethod, PaymentStatus

# Kinds whose `pays` is the caller's own reference (`order:<uuid>`); the others pay
# an invoice of ours.
_CLIENT_REFERENCED_KINDS = frozenset({PaymentKind.ONE_OFF, PaymentKind.ORDER})


def gateway_value(gateway: str) -> billing_pb2.Gateway.ValueType:
    return billing_pb2.Gateway.ValueType(
        enum_value(billing_pb2.Gateway.DESCRIPTOR, "GATEWAY", gateway)
    )


def payment_method_message(method: PaymentMethod) -> billing_pb2.PaymentMethod:
    """A saved card as it may be shown: brand, last four digits and expiry."""
    return billing_pb2.PaymentMethod(
        id=str(method.id),
        gateway=gateway_value(method.gateway),
        brand=method.brand,
        last4=method.last4,
        exp_month=method.exp_month or 0,
        exp_year=method.exp_year or 0,
    )


def payer_message(
    payer: Payer, payment_methods: Iterable[PaymentMethod]
) -> billing_pb2.Payer:
    return billing_pb2.Payer(
        id=str(payer.id),
        payment_methods=[payment_method_message(m) for m in payment_methods],
        created_at=timestamp(payer.created_at),
    )


def three_ds_message(payment: Payment) -> billing_pb2.ThreeDsChallenge | None:
    """The 3-D Secure step of a payment waiting for it; None otherwise."""
    action = payment.action
    if payment.status != PaymentStatus.REQUIRES_ACTION or not action:
        return None
    return billing_pb2.ThreeDsChallenge(
        payment_id=str(payment.id),
        acs_url=str(action.get("url", "")),
        form_fields={
            str(name): str(value)
            for name, value in (action.get("form_fields") or {}).items()
        },
    )


def payment_message(
    payment: Payment, *, subscription_id: uuid.UUID | None = None
) -> billing_pb2.Payment:
    """A payment; `subscription_id` names the subscription it pays, if any."""
    return billing_pb2.Payment(
        id=str(payment.id),
        payer_id=str(payment.payer_id),
        kind=billing_pb2.PaymentKind.ValueType(
            enum_value(billing_pb2.PaymentKind.DESCRIPTOR, "PAYMENT_KIND", payment.kind)
        ),
        status=billing_pb2.PaymentStatus.ValueType(
            enum_value(
                billing_pb2.PaymentStatus.DESCRIPTOR, "PAYMENT_STATUS", payment.status
            )
        ),
        amount_minor=payment.amount_minor,
        currency=payment.currency,
        refunded_amount_minor=payment.refunded_minor,
        client_reference=(
            payment.pays if payment.kind in _CLIENT_REFERENCED_KINDS else ""
        ),
        subscription_id=str(subscription_id) if subscription_id else "",
        failure_message=(
            payment.failure_message if payment.status == PaymentStatus.FAILED else ""
        ),
        created_at=timestamp(payment.created_at),
        three_ds=three_ds_message(payment),
    )
