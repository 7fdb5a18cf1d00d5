"""The order's work over HTTP: each task's state and progress, and the invoice PDF
the work makes. Members see their own orders' work, shop admins everyone's."""

from __future__ import annotations

from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.permissions import signed_in_member
from kit.api.errors import error_responses
from kit.api.paths import path_parameter, path_uuid
from snacks.api.permissions import SHOP_AUTHENTICATION, IsShopMember
from snacks.errors import InvoiceNotMade, OrderNotFound
from snacks.order_invoice import CONTENT_TYPE
from snacks.selectors import visible_orders
from snacks.task_status import order_task_status

TAGS = ["shop"]


class TaskStatusOutput(serializers.Serializer[object]):
    task_id = serializers.UUIDField()
    order_id = serializers.UUIDField()
    kind = serializers.CharField(help_text="What the task does for the order.")
    state = serializers.CharField(
        help_text="PENDING, STARTED, PROGRESS, RETRY, SUCCESS or FAILURE."
    )
    progress = serializers.DictField(
        help_text="While PROGRESS or RETRY: the step it is at (`step`)."
    )
    error = serializers.CharField(help_text="Why it failed or is retried, if so.")
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)


class TaskStatusApi(APIView):
    """The state and progress of one task of an order's work."""

    authentication_classes = SHOP_AUTHENTICATION
    permission_classes = [IsShopMember]

    @extend_schema(
        operation_id="shop_tasks_retrieve",
        tags=TAGS,
        summary="An order task's state and progress",
        description=(
            "Each order lists its tasks (`tasks`: kind and id): the confirmation "
            "e-mail, the capture or void of the hold, the invoice PDF, the "
            "registration with the shipping partner (retried with back-off) and "
            "the shipping notice. Poll this to follow one."
        ),
        parameters=[path_parameter("task_id")],
        responses={200: TaskStatusOutput, **error_responses(400, 401, 403, 404)},
    )
    def get(self, request: Request, task_id: str) -> Response:
        status = order_task_status(
            path_uuid(task_id, "task_id"), viewer=signed_in_member(request)
        )
        return Response(TaskStatusOutput(status).data)


class OrderInvoiceApi(APIView):
    """The invoice PDF of a captured order."""

    authentication_classes = SHOP_AUTHENTICATION
    permission_classes = [IsShopMember]

    @extend_schema(
        operation_id="shop_orders_invoice",
        tags=TAGS,
        summary="Download an order's invoice (PDF)",
        description="Made once the order's hold is captured; 404 until then.",
        parameters=[path_parameter("order_id")],
        responses={
            (200, CONTENT_TYPE): OpenApiResponse(OpenApiTypes.BINARY),
            **error_responses(400, 401, 403, 404),
        },
    )
    def get(self, request: Request, order_id: str) -> FileResponse:
        parsed = path_uuid(order_id, "order_id")
        order = (
            visible_orders(viewer=signed_in_member(request)).filter(id=parsed).first()
        )
        if order is None:
            raise OrderNotFound(extra={"order": str(parsed)})
        if not order.invoice_pdf:
            raise InvoiceNotMade(extra={"order": str(parsed)})
        return FileResponse(
            order.invoice_pdf.open("rb"),
            as_attachment=True,
            filename=f"order-{order.id}.pdf",
            content_type=CONTENT_TYPE,
        )
