"""An order's moves through its flow: the one guarded entry point, and the
cancellation billing's news of a failed hold makes.

`ALLOWED_ORDER_TRANSITIONS` says which moves exist; the rules here say who may
make them and when. Every move locks the order, is recorded in its trail
(`OrderStatusChange`) and starts the work it asks for with the same commit.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Final, NoReturn

from django.db import transaction
from django.db.models import F
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.models import User
from snacks.errors import (
    HoldNotAuthorized,
    InvalidOrder,
    InvalidOrderTransition,
    OrderMoveForbidden,
    OrderNotFound,
    SnacksHated,
)
from snacks.models import (
    HoldStatus,
    Order,
    OrderStatus,
    OrderStatusChange,
    OrderTaskKind,
    Snack,
)
from snacks.selectors import visible_orders
from snacks.services._order_tallies import record_tally_change, tally_of, tally_with
from snacks.services._order_work import start_order_work
from snacks.services._orders import LIVE_HOLDS

# Moves only an admin of the shop makes; a member may only cancel.
ADMIN_MOVES: Final = frozenset(
    {
        OrderStatus.APPROVED,
        OrderStatus.ORDERED,
        OrderStatus.SHIPPING,
        OrderStatus.COMPLETED,
    }
)
# Moves refused while a snack of the order is hated more than liked.
LIKED_SNACKS_MOVES: Final = frozenset({OrderStatus.APPROVED, OrderStatus.ORDERED})
# Moves that need the date the snacks are expected.
ARRIVAL_MOVES: Final = frozenset({OrderStatus.ORDERED, OrderStatus.SHIPPING})
# The trail's actor when billing's event stream moved the order.
BILLING_ACTOR: Final = "billing"


def move_order(
    *,
    order_id: uuid.UUID,
    to_status: str,
    actor: User,
    now: dt.datetime,
    expected_arrival: dt.date | None = None,
    reason: str = "",
) -> Order:
    """Move the order to `to_status`, if the flow and its rules allow it.

    Admins approve, order, ship and complete; the order's member may cancel it
    while it is created or approved, an admin any order the flow lets cancel.
    Approving and ordering need every snack of the order liked at least as much
    as hated. Ordering and shipping need `expected_arrival` (today or later;
    shipping may keep the one given when ordering), and ordering needs the hold
    on the member's card AUTHORIZED. Ordering captures the hold, canceling voids
    it, shipping registers the parcel with the shipping partner: each as work
    sent once this commits. `reason` is kept in the trail (and as the cancel
    reason).

    :raises InvalidOrder: an unknown status, or an arrival date missing, in the
        past or given for a move that takes none (400).
    :raises OrderNotFound: no such order, or another member's (for a member).
    :raises OrderMoveForbidden: a member moving other than to CANCELED (403).
    :raises InvalidOrderTransition: when the flow does not allow the move.
    :raises SnacksHated: approving or ordering with a hated snack.
    :raises HoldNotAuthorized: ordering before the hold is authorized.
    """
    if to_status not in OrderStatus.values:
        _invalid("status", f"Not a status: choose one of {', '.join(OrderStatus)}.")
    if to_status not in ARRIVAL_MOVES and expected_arrival is not None:
        _invalid(
            "expected_arrival",
            "Only the moves to ORDERED and SHIPPING take an expected arrival date.",
        )
    with transaction.atomic():
        order = visible_orders(viewer=actor).select_for_update().filter(id=order_id)
        locked = order.first()
        if locked is None:
            raise OrderNotFound(extra={"order": str(order_id)})
        if to_status in ADMIN_MOVES and not actor.is_shop_admin:
            raise OrderMoveForbidden(
                f"Only an admin of the shop may move an order to {to_status}; a "
                "member may only cancel their order.",
                extra={"order": str(locked.id), "to": to_status},
            )
        if not locked.can_transition_to(to_status):
            raise InvalidOrderTransition(locked.status, to_status, order_id=locked.id)
        _check_rules(locked, to_status, expected_arrival=expected_arrival, now=now)
        _move(locked, to_status, now=now, reason=reason, actor=actor)
    return locked


def cancel_order_for_failed_hold(
    *, order_id: uuid.UUID, reason: str, now: dt.datetime
) -> bool:
    """Cancel the order because billing could not hold its amount, when it is still
    created or approved; whether it was canceled (not when it has moved on).

    :raises OrderNotFound:
    """
    with transaction.atomic():
        order = Order.objects.select_for_update().filter(id=order_id).first()
        if order is None:
            raise OrderNotFound(extra={"order": str(order_id)})
        if not order.can_transition_to(OrderStatus.CANCELED):
            return False
        _move(order, OrderStatus.CANCELED, now=now, reason=reason, actor=None)
    return True


def _check_rules(
    order: Order,
    to_status: str,
    *,
    expected_arrival: dt.date | None,
    now: dt.datetime,
) -> None:
    if to_status in LIKED_SNACKS_MOVES:
        _refuse_hated_snacks(order, to_status)
    if to_status in ARRIVAL_MOVES:
        order.expected_arrival = _arrival(order, to_status, expected_arrival, now=now)
    if to_status == OrderStatus.ORDERED and (
        order.hold_status != HoldStatus.AUTHORIZED or order.payment_id is None
    ):
        raise HoldNotAuthorized(
            "The hold on the member's card is not authorized yet "
            f"(it is {order.hold_status.lower().replace('_', ' ')}).",
            extra={"order": str(order.id), "hold_status": order.hold_status},
        )


def _refuse_hated_snacks(order: Order, to_status: str) -> None:
    hated = list(
        Snack.objects.filter(
            id__in=order.purchases.values("snack_id"), hates__gt=F("likes")
        ).order_by(Lower("name"), "id")
    )
    if hated:
        raise SnacksHated(
            f"The order cannot be {to_status.lower()}: more hates than likes for "
            f"{', '.join(snack.name for snack in hated)}.",
            extra={
                "order": str(order.id),
                "snacks": [
                    {
                        "id": str(snack.id),
                        "name": snack.name,
                        "likes": snack.likes,
                        "hates": snack.hates,
                    }
                    for snack in hated
                ],
            },
        )


def _arrival(
    order: Order, to_status: str, given: dt.date | None, *, now: dt.datetime
) -> dt.date:
    """The arrival date the move keeps.

    :raises InvalidOrder: when none is given (and, shipping, none is kept), or it
        is in the past.
    """
    arrival = given
    if arrival is None and to_status == OrderStatus.SHIPPING:
        arrival = order.expected_arrival
    if arrival is None:
        _invalid(
            "expected_arrival",
            f"An order moving to {to_status.lower()} needs its expected arrival date.",
        )
    today = timezone.localdate(now)
    if arrival < today:
        kept = " the one kept from ordering" if given is None else ""
        _invalid(
            "expected_arrival",
            f"The expected arrival date{kept} ({arrival}) is in the past; give one "
            f"from {today} on.",
        )
    return arrival


def _move(
    order: Order, to_status: str, *, now: dt.datetime, reason: str, actor: User | None
) -> None:
    # Only a cancellation changes the snack sales; other moves move the count.
    before = (
        tally_of(order) if to_status == OrderStatus.CANCELED else tally_with(order, ())
    )
    previous = order.transition_to(to_status, at=now)
    if to_status == OrderStatus.CANCELED:
        order.cancel_reason = reason
    order.save()
    record_tally_change(before, tally_with(order, before.quantities.items()))
    OrderStatusChange.objects.create(
        order=order,
        from_status=previous,
        to_status=to_status,
        actor=actor,
        actor_label=BILLING_ACTOR if actor is None else actor.email,
        reason=reason,
        at=now,
    )
    _start_work(order, to_status, now=now)


def _start_work(order: Order, to_status: str, *, now: dt.datetime) -> None:
    payment = "" if order.payment_id is None else str(order.payment_id)
    if to_status == OrderStatus.ORDERED:
        start_order_work(order, OrderTaskKind.CAPTURE_HOLD, now=now, subject=payment)
    elif to_status == OrderStatus.SHIPPING:
        start_order_work(order, OrderTaskKind.SHIPPING_REGISTRATION, now=now)
    elif (
        to_status == OrderStatus.CANCELED
        and payment
        and order.hold_status in LIVE_HOLDS
    ):
        start_order_work(order, OrderTaskKind.VOID_HOLD, now=now, subject=payment)


def _invalid(name: str, message: str) -> NoReturn:
    raise InvalidOrder(message, extra={"fields": {name: [message]}})
