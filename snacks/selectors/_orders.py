"""Reads of orders: a member sees their own, an admin everyone's."""

from __future__ import annotations

import datetime as dt
import uuid

from django.db.models import Prefetch, QuerySet
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.models import User
from snacks.errors import OrderNotFound
from snacks.models import Order, OrderStatusChange, OrderTask, Purchase


def visible_orders(*, viewer: User) -> QuerySet[Order]:
    """The orders `viewer` may see: a member their own, an admin all."""
    if viewer.is_shop_admin:
        return Order.objects.all()
    return Order.objects.filter(member_id=viewer.pk)


def order_list(
    *,
    viewer: User,
    month: dt.date | None = None,
    status: str | None = None,
    member_id: uuid.UUID | None = None,
) -> QuerySet[Order]:
    """The orders `viewer` may see, newest first, with what their output shows;
    only those placed in the month of `month` (the shop's time zone), in `status`,
    or of `member_id` when given."""
    orders = visible_orders(viewer=viewer)
    if month is not None:
        starts, ends = month_bounds(month)
        orders = orders.filter(created_at__gte=starts)
        if ends is not None:
            orders = orders.filter(created_at__lt=ends)
    if status is not None:
        orders = orders.filter(status=status)
    if member_id is not None:
        orders = orders.filter(member_id=member_id)
    return _with_details(orders).order_by("-created_at", "-id")


def order_get(*, order_id: uuid.UUID, viewer: User) -> Order:
    """The order with what its output shows.

    :raises OrderNotFound: also for another member's order, which a member is not
        told exists.
    """
    order = _with_details(visible_orders(viewer=viewer).filter(id=order_id)).first()
    if order is None:
        raise OrderNotFound(extra={"order": str(order_id)})
    return order


def month_bounds(month: dt.date) -> tuple[dt.datetime, dt.datetime | None]:
    """The first moment of the month of `month` and of the next (None after the
    last month a date can name), in the shop's time zone."""
    first = month.replace(day=1)
    if first.month == 12:
        following = None if first.year == dt.MAXYEAR else dt.date(first.year + 1, 1, 1)
    else:
        following = first.replace(month=first.month + 1)
    return _midnight(first), None if following is None else _midnight(following)


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_current_timezone())


def _with_details(orders: QuerySet[Order]) -> QuerySet[Order]:
    return orders.select_related("member").prefetch_related(
        Prefetch(
            "purchases",
            queryset=Purchase.objects.select_related("snack").order_by(
                Lower("snack__name"), "snack_id"
            ),
        ),
        Prefetch("tasks", queryset=OrderTask.objects.order_by("created_at", "id")),
        Prefetch(
            "status_changes",
            queryset=OrderStatusChange.objects.order_by("at", "id"),
        ),
    )
