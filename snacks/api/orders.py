"""Members' orders over HTTP: place, list, read and change them, ask for the hold
on the card again, and move them through the flow (the one status endpoint).

A member sees only their own orders (another member's is a 404), an admin every
order. The hold is asked of billing once the order's transaction has committed,
and the answer shows the order as it then stands.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api.permissions import signed_in_member
from kit.api.errors import error_responses
from kit.api.pagination import ListPagination, paginated_response
from kit.api.paths import path_parameter, path_uuid
from snacks import selectors, services
from snacks.api.base import TAGS, ShopApi
from snacks.api.order_serializers import (
    OrderFilters,
    OrderInput,
    OrderMoveInput,
    OrderOutput,
)
from snacks.billing_calls import BillingRefused
from snacks.models import HoldStatus

logger = logging.getLogger(__name__)

HOLD = (
    "Once the order is saved the shop asks billing to hold its amount on the "
    "member's saved card; a member without one gets `checkout_url`, billing's page "
    "to pay on. The answer shows the hold as it then stands (`hold_status`); "
    "billing's events tell the rest."
)


def _answer(request: Request, order_id: uuid.UUID, **kwargs: Any) -> Response:
    order = selectors.order_get(order_id=order_id, viewer=signed_in_member(request))
    return Response(OrderOutput(order, context={"request": request}).data, **kwargs)


def _ask_for_hold(order_id: uuid.UUID, *, now: dt.datetime) -> None:
    """Ask for the hold; a refusal leaves the order saved, and its hold says so."""
    try:
        services.request_hold(order_id, now=now)
    except BillingRefused:
        logger.warning("snacks.order.hold_refused", extra={"order": str(order_id)})


class OrderListApi(ShopApi):
    """The orders the caller may see, and a new one of the caller's."""

    pagination_class = ListPagination

    @extend_schema(
        operation_id="shop_orders_list",
        tags=TAGS,
        summary="Orders, newest first",
        description=(
            "A member's own orders; an admin's list holds everyone's. Filters: "
            "`month` (YYYY-MM, by the day the order was placed), `status`, and "
            "`member` (a member id)."
        ),
        parameters=[OrderFilters],
        responses={200: OrderOutput(many=True), **error_responses(400, 401, 403)},
    )
    def get(self, request: Request) -> Response:
        filters = OrderFilters(data=request.query_params)
        filters.is_valid(raise_exception=True)
        given = filters.validated_data
        orders = selectors.order_list(
            viewer=signed_in_member(request),
            month=given.get("month"),
            status=given.get("status"),
            member_id=given.get("member"),
        )
        return paginated_response(
            queryset=orders, output=OrderOutput, request=request, view=self
        )

    @extend_schema(
        operation_id="shop_orders_create",
        tags=TAGS,
        summary="Place an order",
        description=(
            "Snacks on sale, all priced in one currency, each at its price now. "
            "400 `validation_error` for an unknown snack or mixed currencies; 409 "
            "`snack_retired`, or `snack_already_ordered` when a snack is in an "
            f"open order of the member already. {HOLD}"
        ),
        request=OrderInput,
        responses={201: OrderOutput, **error_responses(400, 401, 403, 409)},
    )
    def post(self, request: Request) -> Response:
        given = OrderInput(data=request.data)
        given.is_valid(raise_exception=True)
        now = timezone.now()
        order = services.place_order(
            member=signed_in_member(request),
            purchases=given.purchase_pairs(),
            now=now,
        )
        _ask_for_hold(order.id, now=now)
        return _answer(request, order.id, status=status.HTTP_201_CREATED)


class OrderDetailApi(ShopApi):
    """One order, and a change of its snacks while it is created."""

    http_method_names = ["get", "patch", "head", "options"]

    @extend_schema(
        operation_id="shop_orders_retrieve",
        tags=TAGS,
        parameters=[path_parameter("order_id")],
        responses={200: OrderOutput, **error_responses(400, 401, 403, 404)},
    )
    def get(self, request: Request, order_id: str) -> Response:
        return _answer(request, path_uuid(order_id, "order_id"))

    @extend_schema(
        operation_id="shop_orders_update",
        tags=TAGS,
        summary="Change an order's snacks",
        description=(
            "Replaces the purchases, only while the order is CREATED (409 "
            "`order_not_editable`), by the order's member or an admin. Snacks kept "
            "keep the price they were ordered at. When the amount or currency "
            "changes, the hold asked for the old amount is voided and a new one "
            "is asked for."
        ),
        parameters=[path_parameter("order_id")],
        request=OrderInput,
        responses={200: OrderOutput, **error_responses(400, 401, 403, 404, 409)},
    )
    def patch(self, request: Request, order_id: str) -> Response:
        parsed = path_uuid(order_id, "order_id")
        given = OrderInput(data=request.data)
        given.is_valid(raise_exception=True)
        now = timezone.now()
        order = services.edit_order(
            order_id=parsed,
            actor=signed_in_member(request),
            purchases=given.purchase_pairs(),
            now=now,
        )
        if order.hold_status == HoldStatus.NONE:
            _ask_for_hold(order.id, now=now)
        return _answer(request, order.id)


class OrderStatusApi(ShopApi):
    """Move an order through its flow."""

    @extend_schema(
        operation_id="shop_orders_move",
        tags=TAGS,
        summary="Move an order to another status",
        description=(
            "created → approved → ordered → shipping → completed, and created or "
            "approved → canceled. Admins make every move; a member may cancel "
            "their own order (403 otherwise). 409 `invalid_status_transition` for "
            "a move the flow does not have, `snacks_hated` when approving or "
            "ordering with a snack hated more than liked, `hold_not_authorized` "
            "when ordering before billing has held the amount. ORDERED needs "
            "`expected_arrival` (400 when missing or past)."
        ),
        parameters=[path_parameter("order_id")],
        request=OrderMoveInput,
        responses={200: OrderOutput, **error_responses(400, 401, 403, 404, 409)},
    )
    def post(self, request: Request, order_id: str) -> Response:
        parsed = path_uuid(order_id, "order_id")
        given = OrderMoveInput(data=request.data)
        given.is_valid(raise_exception=True)
        services.move_order(
            order_id=parsed,
            to_status=given.validated_data["status"],
            actor=signed_in_member(request),
            now=timezone.now(),
            expected_arrival=given.validated_data["expected_arrival"],
            reason=given.validated_data["reason"],
        )
        return _answer(request, parsed)


class OrderHoldApi(ShopApi):
    """Ask billing for the order's hold again."""

    @extend_schema(
        operation_id="shop_orders_hold",
        tags=TAGS,
        summary="Ask for the hold on the card again",
        description=(
            "For an order still created or approved whose hold was never asked, "
            "could not reach billing, failed or was voided; with a live hold, or "
            "past approval, nothing is asked. 409 `billing_refused` with billing's "
            "reason."
        ),
        parameters=[path_parameter("order_id")],
        request=None,
        responses={200: OrderOutput, **error_responses(400, 401, 403, 404, 409)},
    )
    def post(self, request: Request, order_id: str) -> Response:
        order = selectors.order_get(
            order_id=path_uuid(order_id, "order_id"),
            viewer=signed_in_member(request),
        )
        services.request_hold(order.id, now=timezone.now())
        return _answer(request, order.id)
