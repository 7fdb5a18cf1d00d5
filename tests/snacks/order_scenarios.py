"""Orders brought to a status through the shop's own services, so that every
invariant of the flow holds on the way (the purchases, the hold, the trail)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from accounts.models import User
from snacks.models import Order, OrderStatus, Snack
from snacks.services import apply_billing_event, move_order, place_order, request_hold
from tests.accounts.factories import UserFactory
from tests.snacks.factories import SnackFactory
from tests.snacks.fakes import BILLING

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
TODAY = NOW.date()
NEXT_WEEK = TODAY + dt.timedelta(days=7)
# The operations of the order API, in the schema.
ORDER_OPERATIONS = frozenset(
    {
        "shop_orders_list",
        "shop_orders_create",
        "shop_orders_retrieve",
        "shop_orders_update",
        "shop_orders_move",
        "shop_orders_hold",
        "shop_statistics",
    }
)
# The moves that lead to each status, from CREATED.
PATHS: dict[str, tuple[str, ...]] = {
    OrderStatus.CREATED: (),
    OrderStatus.APPROVED: (OrderStatus.APPROVED,),
    OrderStatus.ORDERED: (OrderStatus.APPROVED, OrderStatus.ORDERED),
    OrderStatus.SHIPPING: (
        OrderStatus.APPROVED,
        OrderStatus.ORDERED,
        OrderStatus.SHIPPING,
    ),
    OrderStatus.COMPLETED: (
        OrderStatus.APPROVED,
        OrderStatus.ORDERED,
        OrderStatus.SHIPPING,
        OrderStatus.COMPLETED,
    ),
    OrderStatus.CANCELED: (OrderStatus.CANCELED,),
}


def placed(
    member: User | None = None,
    *,
    snacks: Sequence[Snack] = (),
    quantity: int = 1,
    now: dt.datetime = NOW,
) -> Order:
    """An order of `quantity` of each of `snacks` (a new snack when none)."""
    chosen = list(snacks) or [SnackFactory.create()]
    return place_order(
        member=member or UserFactory.create(),
        purchases=[(snack.id, quantity) for snack in chosen],
        now=now,
    )


def authorize_hold(order: Order, *, now: dt.datetime = NOW) -> Order:
    """Ask for the order's hold on the member's saved card, and apply billing's
    news that it is authorized."""
    BILLING.give_card(order.member_id)
    asked = request_hold(order.id, now=now)
    apply_billing_event(
        "payment.authorized",
        {"pays": asked.reference, "payment_id": str(asked.payment_id)},
        now=now,
    )
    return Order.objects.get(id=order.id)


def order_in(
    status: str, *, admin: User | None = None, now: dt.datetime = NOW
) -> Order:
    """A placed order moved by an admin to `status`, its hold authorized first."""
    order = authorize_hold(placed(now=now), now=now)
    admin = admin or UserFactory.create(shop_admin=True)
    for step in PATHS[status]:
        order = move_order(
            order_id=order.id,
            to_status=step,
            actor=admin,
            now=now,
            expected_arrival=NEXT_WEEK if step == OrderStatus.ORDERED else None,
        )
    return order


def move_as(
    order: Order,
    to_status: str,
    actor: User,
    *,
    now: dt.datetime = NOW,
    arrival: dt.date | None = None,
    reason: str = "",
) -> Order:
    """Move the order as `actor` does, through the one move service."""
    return move_order(
        order_id=order.id,
        to_status=to_status,
        actor=actor,
        now=now,
        expected_arrival=arrival,
        reason=reason,
    )
