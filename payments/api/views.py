"""Support API of the payments app: one view per operation (HackSoft).

Ids arrive as plain path segments and are checked here, so that a malformed UUID is
a 400 that names the bad field, not a 404 from the URL resolver.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from billing.clock import billing_now
from billing.errors import NotFound
from kit.api.errors import error_responses
from kit.api.filters import CreatedRangeFilter
from kit.api.pagination import ListPagination, paginated_response
from kit.api.paths import path_parameter, path_uuid
from kit.api.permissions import IsServiceToken, IsSupportStaff
from payments import selectors
from payments.api.serializers import (
    CheckoutSessionOutput,
    PayerOverviewOutput,
    PaymentDetailOutput,
    PaymentOutput,
    RefundListOutput,
)
from payments.models import PaymentKind, PaymentStatus, RefundReason, RefundStatus
from payments.models._common import Gateway
from payments.services import CheckoutSessionNotFound, PaymentNotFound

_ERRORS = error_responses(400, 403, 404)


class PayerNotFound(NotFound):
    """No such payer."""

    code = "payer_not_found"


class PayerDetailApi(APIView):
    """A payer: saved cards (masked), latest payments and counts."""

    permission_classes = [IsSupportStaff]

    @extend_schema(
        operation_id="payers_retrieve",
        tags=["payers"],
        parameters=[path_parameter("payer_id")],
        responses={200: PayerOverviewOutput, **_ERRORS},
    )
    def get(self, request: Request, payer_id: str) -> Response:
        parsed = path_uuid(payer_id, "payer_id")
        payer = selectors.payer_get(payer_id=parsed)
        if payer is None:
            raise PayerNotFound(extra={"payer": str(parsed)})
        overview = selectors.payer_overview(payer=payer)
        return Response(PayerOverviewOutput(overview).data)


class PaymentListApi(APIView):
    """Payments, newest first, filtered and paginated (limit/offset)."""

    permission_classes = [IsSupportStaff]
    pagination_class = ListPagination

    class FilterSerializer(CreatedRangeFilter):
        payer = serializers.UUIDField(required=False, help_text="Payer UUID.")
        status = serializers.ChoiceField(choices=PaymentStatus.choices, required=False)
        gateway = serializers.ChoiceField(choices=Gateway.choices, required=False)
        kind = serializers.ChoiceField(choices=PaymentKind.choices, required=False)
        pays = serializers.CharField(
            required=False, help_text="What the payment pays, e.g. `invoice:42`."
        )
        search = serializers.CharField(
            required=False,
            help_text="A payment id, payer id or gateway reference (exact).",
        )

    @extend_schema(
        operation_id="payments_list",
        tags=["payments"],
        parameters=[FilterSerializer],
        responses={200: PaymentOutput(many=True), **_ERRORS},
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        data = filters.validated_data
        payments = selectors.payment_list(
            filters=selectors.PaymentFilters(
                payer_id=data.get("payer"),
                status=data.get("status"),
                gateway=data.get("gateway"),
                kind=data.get("kind"),
                pays=data.get("pays"),
                created_after=data.get("created_after"),
                created_before=data.get("created_before"),
                search=data.get("search"),
            )
        )
        return paginated_response(
            queryset=payments, output=PaymentOutput, request=request, view=self
        )


class RefundListApi(APIView):
    """Refunds, newest first, filtered and paginated (limit/offset)."""

    permission_classes = [IsSupportStaff]
    pagination_class = ListPagination

    class FilterSerializer(CreatedRangeFilter):
        payer = serializers.UUIDField(required=False, help_text="Payer UUID.")
        status = serializers.ChoiceField(choices=RefundStatus.choices, required=False)
        gateway = serializers.ChoiceField(choices=Gateway.choices, required=False)
        reason = serializers.ChoiceField(choices=RefundReason.choices, required=False)
        search = serializers.CharField(
            required=False,
            help_text="A refund, payment or payer id, or a gateway reference (exact).",
        )

    @extend_schema(
        operation_id="refunds_list",
        tags=["payments"],
        parameters=[FilterSerializer],
        responses={200: RefundListOutput(many=True), **_ERRORS},
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        data = filters.validated_data
        refunds = selectors.refund_list(
            filters=selectors.RefundFilters(
                payer_id=data.get("payer"),
                status=data.get("status"),
                gateway=data.get("gateway"),
                reason=data.get("reason"),
                created_after=data.get("created_after"),
                created_before=data.get("created_before"),
                search=data.get("search"),
            )
        )
        return paginated_response(
            queryset=refunds, output=RefundListOutput, request=request, view=self
        )


class PaymentDetailApi(APIView):
    """A payment with its card, refunds and audit trail."""

    permission_classes = [IsSupportStaff]

    @extend_schema(
        operation_id="payments_retrieve",
        tags=["payments"],
        parameters=[path_parameter("payment_id")],
        responses={200: PaymentDetailOutput, **_ERRORS},
    )
    def get(self, request: Request, payment_id: str) -> Response:
        parsed = path_uuid(payment_id, "payment_id")
        payment = selectors.payment_get(payment_id=parsed)
        if payment is None:
            raise PaymentNotFound(extra={"payment": str(parsed)})
        trail = selectors.payment_audit_trail(payment=payment)
        output = PaymentDetailOutput(payment, context={"audit_trail": trail})
        return Response(output.data)


class CheckoutSessionDetailApi(APIView):
    """A checkout session and where its payment stands."""

    permission_classes = [IsSupportStaff | IsServiceToken]

    @extend_schema(
        operation_id="checkout_sessions_retrieve",
        tags=["checkout sessions"],
        parameters=[path_parameter("session_id")],
        responses={200: CheckoutSessionOutput, **_ERRORS},
    )
    def get(self, request: Request, session_id: str) -> Response:
        parsed = path_uuid(session_id, "session_id")
        session = selectors.checkout_session_get(session_id=parsed)
        if session is None:
            raise CheckoutSessionNotFound(extra={"checkout_session": str(parsed)})
        output = CheckoutSessionOutput(
            session, context={"request": request, "now": billing_now()}
        )
        return Response(output.data)
