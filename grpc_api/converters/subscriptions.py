"""Subscriptions as proto messages."""

from __future__ import annotations

from grpc_api.converters.values import enum_value, timestamp
from grpc_api.generated.billing.v1 import billing_pb2
from subscriptions.models import Subscription


def subscription_message(
    subscription: Subscription, *, latest_invoice_status: str | None = None
) -> billing_pb2.Subscription:
    """A subscription (its `plan` and `price` loaded), with the status of its latest
    invoice when the caller knows it (UNSPECIFIED before the first)."""
    return billing_pb2.Subscription(
        id=str(subscription.id),
        payer_id=str(subscription.payer_id),
        plan_code=subscription.plan.code,
        status=billing_pb2.SubscriptionStatus.ValueType(
            enum_value(
                billing_pb2.SubscriptionStatus.DESCRIPTOR,
                "SUBSCRIPTION_STATUS",
                subscription.status,
            )
        ),
        current_period_start=timestamp(subscription.current_period_starts_at),
        current_period_end=timestamp(subscription.current_period_ends_at),
        trial_end=timestamp(subscription.trial_ends_at),
        cancel_at_period_end=subscription.cancel_at is not None,
        canceled_at=timestamp(subscription.canceled_at),
        amount_minor=subscription.price.amount_minor,
        currency=subscription.price.currency,
        latest_invoice_status=billing_pb2.InvoiceStatus.ValueType(
            enum_value(
                billing_pb2.InvoiceStatus.DESCRIPTOR,
                "INVOICE_STATUS",
                latest_invoice_status or "",
            )
        ),
    )
