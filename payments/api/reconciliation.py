"""Reconciliation in the support API: runs and discrepancies for everyone on staff;
accounting queues a day's run and resolves discrepancies (SPEC §8, §9)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from billing import selectors as billing_selectors
from billing.clock import billing_now
from kit.actors import staff_actor
from kit.api.errors import error_responses
from kit.api.pagination import ListPagination, paginated_response
from kit.api.paths import path_parameter
from kit.api.permissions import IsAccountingStaff, IsSupportStaff
from payments import selectors
from payments.api.reconciliation_serializers import (
    DiscrepancyDetailOutput,
    DiscrepancyOutput,
    ReconciliationRunOutput,
)
from payments.models import (
    Discrepancy,
    DiscrepancyKind,
    Gateway,
    ReconciliationStatus,
)
from payments.services import (
    DiscrepancyNotFound,
    request_reconciliation,
    resolve_discrepancy,
)

_ERRORS = error_responses(400, 403, 404, 409, 422)
_TAGS = ["reconciliation"]


class DayRangeFilter(serializers.Serializer[Any]):
    day_from = serializers.DateField(required=False, help_text="From this day (UTC).")
    day_to = serializers.DateField(required=False, help_text="To this day, included.")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        first, last = attrs.get("day_from"), attrs.get("day_to")
        if first and last and first > last:
            raise serializers.ValidationError(
                {"day_to": ["Must not be before day_from."]}
            )
        return attrs


class ReconcileDayInput(serializers.Serializer[Any]):
    """A gateway's day to reconcile."""

    gateway = serializers.ChoiceField(choices=())
    day = serializers.DateField(help_text="The day (UTC) to reconcile.")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        gateway = self.fields["gateway"]
        assert isinstance(gateway, serializers.ChoiceField)
        gateway.choices = sorted(settings.PAYMENT_GATEWAYS)

    def validate_day(self, day: Any) -> Any:
        if day > billing_now().date():
            raise serializers.ValidationError("That day has not begun yet.")
        return day


class ReconciliationRunListApi(APIView):
    """Each gateway's reconciled days with their reports, the latest first; accounting
    queues a day's reconciliation (202), which a worker then runs."""

    pagination_class = ListPagination

    class FilterSerializer(DayRangeFilter):
        gateway = serializers.ChoiceField(choices=Gateway.choices, required=False)
        status = serializers.ChoiceField(
            choices=ReconciliationStatus.choices, required=False
        )

    def get_permissions(self) -> list[Any]:
        accounting = self.request.method == "POST"
        return [IsAccountingStaff() if accounting else IsSupportStaff()]

    @extend_schema(
        operation_id="reconciliation_runs_list",
        tags=_TAGS,
        parameters=[FilterSerializer],
        responses={200: ReconciliationRunOutput(many=True), **_ERRORS},
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        runs = selectors.reconciliation_run_list(**filters.validated_data)
        return paginated_response(
            queryset=runs, output=ReconciliationRunOutput, request=request, view=self
        )

    @extend_schema(
        operation_id="reconciliation_runs_create",
        tags=_TAGS,
        request=ReconcileDayInput,
        responses={202: ReconcileDayInput, **_ERRORS},
    )
    def post(self, request: Request) -> Response:
        serializer = ReconcileDayInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        request_reconciliation(
            gateway=data["gateway"], day=data["day"], actor=staff_actor(request)
        )
        return Response(serializer.data, status=status.HTTP_202_ACCEPTED)


class DiscrepancyListApi(APIView):
    """Discrepancies reconciliation found, the latest days first (limit/offset)."""

    permission_classes = [IsSupportStaff]
    pagination_class = ListPagination

    class FilterSerializer(DayRangeFilter):
        kind = serializers.ChoiceField(choices=DiscrepancyKind.choices, required=False)
        gateway = serializers.ChoiceField(choices=Gateway.choices, required=False)
        currency = serializers.CharField(required=False, min_length=3, max_length=3)
        state = serializers.ChoiceField(choices=["open", "resolved"], required=False)
        search = serializers.CharField(
            required=False,
            help_text="A payment, refund or payer id, or the gateway's reference.",
        )

    @extend_schema(
        operation_id="discrepancies_list",
        tags=_TAGS,
        parameters=[FilterSerializer],
        responses={200: DiscrepancyOutput(many=True), **_ERRORS},
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        data = filters.validated_data
        state = data.get("state")
        rows = selectors.discrepancy_list(
            filters=selectors.DiscrepancyFilters(
                kind=data.get("kind"),
                gateway=data.get("gateway"),
                currency=data.get("currency"),
                open=None if state is None else state == "open",
                day_from=data.get("day_from"),
                day_to=data.get("day_to"),
                search=data.get("search"),
            )
        )
        return paginated_response(
            queryset=rows, output=DiscrepancyOutput, request=request, view=self
        )


def _discrepancy(discrepancy_id: str) -> Discrepancy:
    if not discrepancy_id.isdigit():
        raise serializers.ValidationError(
            {"discrepancy_id": ["Must be a whole number."]}
        )
    found = selectors.discrepancy_get(discrepancy_id=int(discrepancy_id))
    if found is None:
        raise DiscrepancyNotFound(extra={"discrepancy": discrepancy_id})
    return found


def _detail(discrepancy: Discrepancy) -> Response:
    trail = billing_selectors.audit_trail(
        object_type="discrepancy", object_id=discrepancy.id
    )
    output = DiscrepancyDetailOutput(discrepancy, context={"audit_trail": trail})
    return Response(output.data)


_DISCREPANCY_ID = path_parameter("discrepancy_id", OpenApiTypes.INT)


class DiscrepancyDetailApi(APIView):
    """One discrepancy with both sides' facts and its resolution."""

    permission_classes = [IsSupportStaff]

    @extend_schema(
        operation_id="discrepancies_retrieve",
        tags=_TAGS,
        parameters=[_DISCREPANCY_ID],
        responses={200: DiscrepancyDetailOutput, **_ERRORS},
    )
    def get(self, request: Request, discrepancy_id: str) -> Response:
        return _detail(_discrepancy(discrepancy_id))


class ResolveInput(serializers.Serializer[Any]):
    note = serializers.CharField(help_text="What was found and done.")


class DiscrepancyResolveApi(APIView):
    """Resolve a discrepancy with a note saying what was done. Accounting."""

    permission_classes = [IsAccountingStaff]

    @extend_schema(
        operation_id="discrepancies_resolve",
        tags=_TAGS,
        parameters=[_DISCREPANCY_ID],
        request=ResolveInput,
        responses={200: DiscrepancyDetailOutput, **_ERRORS},
    )
    def post(self, request: Request, discrepancy_id: str) -> Response:
        discrepancy = _discrepancy(discrepancy_id)
        serializer = ResolveInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        resolved = resolve_discrepancy(
            discrepancy.id,
            note=serializer.validated_data["note"],
            actor=staff_actor(request),
            now=billing_now(),
        )
        return _detail(resolved)
