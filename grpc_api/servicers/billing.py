"""`billing.v1.BillingService`: each RPC is one selector or service call.

The RPCs are grouped by area in the modules below and joined here; an RPC no area
defines is inherited from the generated base and answers UNIMPLEMENTED.
"""

from __future__ import annotations

from grpc_api.generated.billing.v1 import billing_pb2_grpc
from grpc_api.servicers._checkout_sessions import CheckoutSessionRpcs
from grpc_api.servicers._one_off_payments import OneOffPaymentRpcs
from grpc_api.servicers._plans import PlanRpcs
from grpc_api.servicers._subscription_start import SubscriptionStartRpcs
from grpc_api.servicers._subscriptions import SubscriptionRpcs


class BillingServicer(
    PlanRpcs,
    SubscriptionRpcs,
    SubscriptionStartRpcs,
    OneOffPaymentRpcs,
    CheckoutSessionRpcs,
    billing_pb2_grpc.BillingServiceServicer,
):
    """The whole BillingService."""
