"""BillingService RPCs of plans."""

from __future__ import annotations

import grpc

from grpc_api.converters.plans import plan_message
from grpc_api.generated.billing.v1 import billing_pb2
from subscriptions.selectors import active_plan_list


class PlanRpcs:
    def ListPlans(
        self, request: billing_pb2.ListPlansRequest, context: grpc.ServicerContext
    ) -> billing_pb2.ListPlansResponse:
        return billing_pb2.ListPlansResponse(
            plans=[plan_message(plan) for plan in active_plan_list()]
        )
