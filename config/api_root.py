"""The browsable API's front page: where support staff start."""

from __future__ import annotations

from urllib.parse import unquote

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView


class ApiRootApi(APIView):
    """Links to the support API's resources and its documentation."""

    @extend_schema(exclude=True)
    def get(self, request: Request) -> Response:
        return Response(
            {
                "payments": reverse("payments-api:payment-list", request=request),
                "refunds": reverse("payments-api:refund-list", request=request),
                "refund_requests": reverse(
                    "payments-api:refund-request-list", request=request
                ),
                "reconciliation_runs": reverse(
                    "payments-api:reconciliation-run-list", request=request
                ),
                "discrepancies": reverse(
                    "payments-api:discrepancy-list", request=request
                ),
                "plans": reverse("subscriptions-api:plan-list", request=request),
                "subscriptions": reverse(
                    "subscriptions-api:subscription-list", request=request
                ),
                "invoices": reverse("billing-api:invoice-list", request=request),
                "checkout_sessions": reverse(
                    "subscriptions-api:checkout-session-create", request=request
                ),
                # A template: support staff fill in the payer's UUID.
                "payer": unquote(
                    reverse(
                        "payments-api:payer-detail",
                        kwargs={"payer_id": "{payer_uuid}"},
                        request=request,
                    )
                ),
                "schema": reverse("api-schema", request=request),
                "docs": reverse("api-docs", request=request),
            }
        )
