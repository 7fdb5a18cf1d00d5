"""Plans as proto messages."""

from __future__ import annotations

from grpc_api.converters.values import enum_value
from grpc_api.generated.billing.v1 import billing_pb2
from subscriptions.models import Plan


def plan_message(plan: Plan) -> billing_pb2.Plan:
    """A plan on offer with its current price (`active_plan_list` loads it)."""
    price = plan.current_price
    assert price is not None, "only plans with a current price are on offer"
    return billing_pb2.Plan(
        code=plan.code,
        name=plan.name,
        description=plan.description,
        amount_minor=price.amount_minor,
        currency=price.currency,
        interval=billing_pb2.Interval.ValueType(
            enum_value(billing_pb2.Interval.DESCRIPTOR, "INTERVAL", plan.interval)
        ),
        interval_count=plan.interval_count,
        trial_days=plan.trial_days,
        gateway=billing_pb2.Gateway.ValueType(
            enum_value(billing_pb2.Gateway.DESCRIPTOR, "GATEWAY", plan.gateway)
        ),
    )
