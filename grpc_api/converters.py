"""Domain objects to proto messages and back (STYLE 3.9).

Enums map by name: the domain's `"month"` or `"stripe"` becomes `INTERVAL_MONTH` or
`GATEWAY_STRIPE`; a value the contract does not name becomes the `_UNSPECIFIED` zero.
"""

from __future__ import annotations

import uuid

from google.protobuf.descriptor import EnumDescriptor

from accounts.selectors import UserContact
from grpc_api.generated.auth.v1 import auth_pb2
from grpc_api.generated.billing.v1 import billing_pb2
from subscriptions.models import Plan


def enum_value(enum: EnumDescriptor, prefix: str, value: str) -> int:
    """`value` as a member of `enum` named `<prefix>_<VALUE>`, or 0 when none is."""
    member = enum.values_by_name.get(f"{prefix}_{value.upper()}")
    return member.number if member is not None else 0


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


def parsed_uuid(text: str) -> uuid.UUID | None:
    """`text` as a UUID in its canonical or compact form; None when it is not one."""
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


def user_message(contact: UserContact) -> auth_pb2.GetUserResponse:
    return auth_pb2.GetUserResponse(
        email=contact.email, name=contact.name, locale=contact.locale
    )
