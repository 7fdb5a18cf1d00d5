"""The refund desk of the support API: refund a payment, file and decide refund
requests.

Accounting refunds a payment (201 with the refund, or 202 with the request filed
when the refund reaches the approval threshold); support and accounting file
requests; only accounting approves or rejects them, never the requester.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from drf_spectacular.utils import (
    extend_schema,
    extend_schema_serializer,
    extend_schema_view,
)
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from billing import selectors as billing_selectors
from billing.clock import billing_now
from billing.money import Money
from kit.api.errors import error_responses
from kit.api.fields import StrictPositiveIntegerField
from kit.api.filters import CreatedRangeFilter
from kit.api.pagination import ListPagination, paginated_response
from kit.api.paths import path_parameter, path_uuid
from kit.api.permissions import IsSupportStaff, MovesMoney
from payments import selectors
from payments.api.serializers import (
    RefundOutput,
    RefundRequestDetailOutput,
    RefundRequestOutput,
)
from payments.models import Gateway, RefundReason, RefundRequest, RefundRequestStatus
from payments.services import (
    RefundRequestNotFound,
    approve_refund_request,
    file_refund_request,
    refund_or_request,
    reject_refund_request,
)

_ERRORS = error_responses(400, 403, 404, 409, 422)
_TAGS = ["refund desk"]


class RefundInput(serializers.Serializer[Any]):
    """What to refund of a payment: all that is left unless an amount is given."""

    amount_minor = StrictPositiveIntegerField(
        required=False, help_text="In minor units; omit it to refund what is left."
    )
    currency = serializers.CharField(
        required=False,
        min_length=3,
        max_length=3,
        help_text="The payment's currency; required with `amount_minor`.",
    )
    reason = serializers.ChoiceField(choices=RefundReason.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "amount_minor" not in attrs:
            attrs["amount"] = None
        elif "currency" not in attrs:
            raise serializers.ValidationError(
                {"currency": ["Required with amount_minor."]}
            )
        else:
            attrs["amount"] = Money(attrs["amount_minor"], attrs["currency"])
        return attrs


class DecisionInput(serializers.Serializer[Any]):
    note = serializers.CharField(required=False, allow_blank=True, default="")


def _request_detail(row: RefundRequest, *, code: int = 200) -> Response:
    trail = billing_selectors.audit_trail(
        object_type="refund_request", object_id=row.id
    )
    output = RefundRequestDetailOutput(row, context={"audit_trail": trail})
    return Response(output.data, status=code)


def _get(request_id: str) -> RefundRequest:
    parsed = path_uuid(request_id, "refund_request_id")
    row = selectors.refund_request_list(ids=parsed).filter(id=parsed).first()
    if row is None:
        raise RefundRequestNotFound(extra={"refund_request": str(parsed)})
    return row


class PaymentRefundApi(APIView):
    """Refund a payment now, or file a request when the refund reaches the
    approval threshold of its currency. Accounting only."""

    permission_classes = [MovesMoney]

    @extend_schema(
        operation_id="payments_refund",
        tags=_TAGS,
        parameters=[path_parameter("payment_id")],
        request=RefundInput,
        responses={201: RefundOutput, 202: RefundRequestDetailOutput, **_ERRORS},
    )
    def post(self, request: Request, payment_id: str) -> Response:
        parsed = path_uuid(payment_id, "payment_id")
        serializer = RefundInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        outcome = refund_or_request(
            payment_id=parsed,
            amount=data["amount"],
            reason=data["reason"],
            note=data["note"],
            user=request.user,
            now=billing_now(),
        )
        if outcome.refund_request is not None:
            return _request_detail(outcome.refund_request, code=202)
        return Response(RefundOutput(outcome.refund).data, status=201)


class RefundRequestListApi(APIView):
    """Refund requests, newest first (limit/offset); support and accounting file
    one for any amount."""

    permission_classes = [IsSupportStaff]
    pagination_class = ListPagination

    class FilterSerializer(CreatedRangeFilter):
        """`created_after` and `created_before` bound when a request was filed."""

        status = serializers.ChoiceField(
            choices=RefundRequestStatus.choices, required=False
        )
        gateway = serializers.ChoiceField(choices=Gateway.choices, required=False)
        currency = serializers.CharField(required=False, max_length=3)
        search = serializers.UUIDField(
            required=False, help_text="A request, payment or payer id (exact)."
        )

    @extend_schema_serializer(component_name="RefundRequestCreateInput")
    class InputSerializer(RefundInput):
        payment = serializers.UUIDField(help_text="The payment to refund.")

    @extend_schema(
        operation_id="refund_requests_list",
        tags=_TAGS,
        parameters=[FilterSerializer],
        responses={200: RefundRequestOutput(many=True), **_ERRORS},
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        data = filters.validated_data
        rows = selectors.refund_request_list(
            status=data.get("status"),
            currency=data.get("currency"),
            ids=data.get("search"),
            gateway=data.get("gateway"),
            requested_after=data.get("created_after"),
            requested_before=data.get("created_before"),
        )
        return paginated_response(
            queryset=rows, output=RefundRequestOutput, request=request, view=self
        )

    @extend_schema(
        operation_id="refund_requests_create",
        tags=_TAGS,
        request=InputSerializer,
        responses={201: RefundRequestDetailOutput, **_ERRORS},
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        row = file_refund_request(
            payment_id=data["payment"],
            amount=data["amount"],
            reason=data["reason"],
            note=data["note"],
            user=request.user,
            now=billing_now(),
        )
        return _request_detail(row, code=status.HTTP_201_CREATED)


class RefundRequestDetailApi(APIView):
    """A refund request with its refund and audit trail."""

    permission_classes = [IsSupportStaff]

    @extend_schema(
        operation_id="refund_requests_retrieve",
        tags=_TAGS,
        parameters=[path_parameter("refund_request_id")],
        responses={200: RefundRequestDetailOutput, **_ERRORS},
    )
    def get(self, request: Request, refund_request_id: str) -> Response:
        return _request_detail(_get(refund_request_id))


class _RefundRequestDecisionApi(APIView):
    """One decision on a pending request: its service, called with the note."""

    permission_classes = [MovesMoney]
    InputSerializer: ClassVar[type[serializers.Serializer[Any]]] = DecisionInput
    decide: ClassVar[Callable[..., RefundRequest]]

    def post(self, request: Request, refund_request_id: str) -> Response:
        row = _get(refund_request_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        decided = type(self).decide(
            request_id=row.id,
            user=request.user,
            note=serializer.validated_data["note"],
            now=billing_now(),
        )
        return _request_detail(decided)


def _decision_schema(operation_id: str, request: type[Any]) -> Any:
    return extend_schema(
        operation_id=operation_id,
        tags=_TAGS,
        parameters=[path_parameter("refund_request_id")],
        request=request,
        responses={200: RefundRequestDetailOutput, **_ERRORS},
    )


@extend_schema_view(post=_decision_schema("refund_requests_approve", DecisionInput))
class RefundRequestApproveApi(_RefundRequestDecisionApi):
    """Approve a pending request and run its refund. Accounting, never the
    requester."""

    decide = approve_refund_request


class RejectInput(serializers.Serializer[Any]):
    note = serializers.CharField(help_text="Why the request is rejected.")


@extend_schema_view(post=_decision_schema("refund_requests_reject", RejectInput))
class RefundRequestRejectApi(_RefundRequestDecisionApi):
    """Reject a pending request, saying why. Accounting, never the requester."""

    InputSerializer = RejectInput
    decide = reject_refund_request
