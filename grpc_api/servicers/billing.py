"""`billing.v1.BillingService`: each RPC is one selector or service call.

RPCs not defined here are inherited from the generated base and answer
UNIMPLEMENTED until they are built.
"""

from __future__ import annotations

import grpc

from grpc_api.converters import plan_message
from grpc_api.generated.billing.v1 import billing_pb2, billing_pb2_grpc
from subscriptions.selectors import active_plan_list


class BillingServicer(billing_pb2_grpc.BillingServiceServicer):
    def ListPlans(
        self, request: billing_pb2.ListPlansRequest, context: grpc.ServicerContext
    ) -> billing_pb2.ListPlansResponse:
        return billing_pb2.ListPlansResponse(
            plans=[plan_message(plan) for plan in active_plan_list()]
        )
