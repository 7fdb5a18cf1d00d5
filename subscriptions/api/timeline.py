"""The payer timeline over the support API: what happened to a payer, across
subscriptions, invoices, payments, refunds, events and gateway messages, newest
first (`subscriptions.timeline`)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from kit.api.errors import error_responses
from kit.api.pagination import ListPagination
from kit.api.paths import path_parameter, path_uuid
from kit.api.permissions import IsSupportStaff
from payments.api.views import PayerNotFound
from payments.selectors import payer_get
from subscriptions.timeline import KINDS, MAX_OFFSET, payer_timeline


class TimelineEntryOutput(serializers.Serializer[Any]):
    at = serializers.DateTimeField()
    kind = serializers.ChoiceField(choices=KINDS)
    id = serializers.CharField(help_text="The id of the row in its kind.")
    summary = serializers.CharField()
    details = serializers.DictField(
        source="data", help_text="The row's facts; secrets masked."
    )


class TimelineFilters(serializers.Serializer[Any]):
    kind = serializers.MultipleChoiceField(
        choices=KINDS, required=False, help_text="Only these kinds (repeatable)."
    )


class PayerTimelineApi(APIView):
    """A payer's timeline, newest first, paginated (limit/offset)."""

    permission_classes = [IsSupportStaff]
    pagination_class = ListPagination

    @extend_schema(
        operation_id="payers_timeline",
        tags=["payers"],
        summary="A payer's timeline",
        description=(
            "Subscriptions, invoices, payments, refunds, billing events and the "
            "gateway messages stored about the payer's payments, newest first. "
            f"`offset` reaches at most {MAX_OFFSET}; narrow with `kind`."
        ),
        parameters=[path_parameter("payer_id"), TimelineFilters],
        responses={
            200: TimelineEntryOutput(many=True),
            **error_responses(400, 403, 404),
        },
    )
    def get(self, request: Request, payer_id: str) -> Response:
        parsed = path_uuid(payer_id, "payer_id")
        filters = TimelineFilters(data={"kind": request.query_params.getlist("kind")})
        filters.is_valid(raise_exception=True)
        if payer_get(payer_id=parsed) is None:
            raise PayerNotFound(extra={"payer": str(parsed)})
        paginator = ListPagination()
        paginator.request = request
        paginator.limit = paginator.get_limit(request) or paginator.default_limit
        paginator.offset = paginator.get_offset(request)
        if paginator.offset > MAX_OFFSET:
            raise serializers.ValidationError(
                {"offset": [f"At most {MAX_OFFSET}: narrow the timeline with `kind`."]}
            )
        paginator.count, entries = payer_timeline(
            payer_id=parsed,
            offset=paginator.offset,
            limit=paginator.limit,
            kinds=filters.validated_data.get("kind") or KINDS,
        )
        data = TimelineEntryOutput(entries, many=True).data
        return paginator.get_paginated_response(data)
