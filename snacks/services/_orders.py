"""Members place orders of snacks and change them while they are created.

An order's purchases are in one currency, each at the price its snack had when it
was first ordered, and a member may have each snack in one open order at a time.
Both use cases lock the member's row first, so two requests of one member are
taken one after the other and the open-order rule holds under concurrency.

The hold on the member's card is asked for by the caller once the order has
committed (`request_hold`): it is a call to billing, never made in a transaction.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models.functions import Lower

from accounts.models import User
from snacks.errors import (
    InvalidOrder,
    OrderNotEditable,
    OrderNotFound,
    SnackAlreadyOrdered,
    SnackRetired,
)
from snacks.models import (
    OPEN_ORDER_STATUSES,
    HoldStatus,
    Order,
    OrderStatus,
    OrderTaskKind,
    Purchase,
    Snack,
)
from snacks.selectors import visible_orders
from snacks.services._order_tallies import record_tally_change, tally_with
from snacks.services._order_work import start_order_work

# An office order, not a wholesale one: bounds that keep every sum in a BigInteger.
MAX_PURCHASES: Final = 100
MAX_QUANTITY: Final = 1_000
MAX_AMOUNT_MINOR: Final = 2**63 - 1
# Hold states in which billing may hold (or be about to hold) the old amount.
LIVE_HOLDS: Final = frozenset(
    {HoldStatus.REQUESTED, HoldStatus.REQUIRES_ACTION, HoldStatus.AUTHORIZED}
)
_FIELD: Final = "purchases"


@dataclass(frozen=True)
class _Line:
    snack: Snack
    quantity: int
    price_minor: int
    currency: str


def place_order(
    *,
    member: User,
    purchases: Sequence[tuple[uuid.UUID, int]],
    now: dt.datetime,
) -> Order:
    """Order `purchases` (snack id, quantity) for `member` at the snacks' prices
    now. The same snack twice is one purchase of the summed quantity.

    :raises InvalidOrder: no purchases, a quantity out of range, an unknown snack,
        snacks in more than one currency, or an amount too large (400).
    :raises SnackRetired: when a snack is retired.
    :raises SnackAlreadyOrdered: when a snack is in an open order of the member.
    """
    wanted = _merged(purchases)
    with transaction.atomic():
        _lock_member(member.pk)
        snacks = _snacks(wanted)
        lines = [
            _Line(snack, wanted[snack.id], snack.amount_minor, snack.currency)
            for snack in snacks
        ]
        currency = _one_currency(lines)
        amount = _amount(lines)
        _refuse_open_orders(member_id=member.pk, snacks=snacks, besides=None)
        order = Order.objects.create(
            member=member,
            amount_minor=amount,
            currency=currency,
            created_at=now,
            updated_at=now,
        )
        _write_purchases(order, lines)
        record_tally_change(None, tally_with(order, _quantities(lines)))
    return order


def edit_order(
    *,
    order_id: uuid.UUID,
    actor: User,
    purchases: Sequence[tuple[uuid.UUID, int]],
    now: dt.datetime,
) -> Order:
    """Replace the purchases of a created order with `purchases`, by the same rules
    as placing it. Snacks already in the order keep the price they were ordered
    at; new ones take their price now.

    When the amount or the currency changes, a hold asked for the old amount is
    dropped (its payment voided by the order's work) and the order has no hold:
    the caller asks for one again once this has committed.

    :raises OrderNotFound: no such order, or another member's (for a member).
    :raises OrderNotEditable: when the order is no longer created, or its hold
        waits for the member on billing's checkout page.
    :raises InvalidOrder, SnackRetired, SnackAlreadyOrdered: as `place_order`.
    """
    wanted = _merged(purchases)
    with transaction.atomic():
        member_id = _member_of(order_id, viewer=actor)
        _lock_member(member_id)
        order = Order.objects.select_for_update().get(id=order_id)
        if order.status != OrderStatus.CREATED:
            raise OrderNotEditable(
                "The order can be changed only while it is created; it is "
                f"{order.status.lower()}.",
                extra={"order": str(order.id), "status": order.status},
            )
        if order.hold_status == HoldStatus.REQUIRES_ACTION and order.payment_id is None:
            # Billing's page would hold the old amount: one page per order.
            raise OrderNotEditable(
                "The order's checkout page is waiting for the card: pay there, or "
                "cancel the order and place a new one.",
                extra={"order": str(order.id), "hold_status": order.hold_status},
            )
        current = list(order.purchases.all())
        before = tally_with(order, [(p.snack_id, p.quantity) for p in current])
        ordered_at = {purchase.snack_id: purchase.price_minor for purchase in current}
        snacks = _snacks(wanted)
        lines = [
            _Line(snack, wanted[snack.id], ordered_at[snack.id], order.currency)
            if snack.id in ordered_at
            else _Line(snack, wanted[snack.id], snack.amount_minor, snack.currency)
            for snack in snacks
        ]
        currency = _one_currency(lines)
        amount = _amount(lines)
        _refuse_open_orders(member_id=member_id, snacks=snacks, besides=order.id)
        if (amount, currency) != (order.amount_minor, order.currency):
            _drop_hold(order, now=now)
        order.amount_minor = amount
        order.currency = currency
        order.updated_at = now
        order.save(
            update_fields=[
                "amount_minor",
                "currency",
                "payment_id",
                "hold_status",
                "checkout_url",
                "updated_at",
            ]
        )
        order.purchases.all().delete()
        _write_purchases(order, lines)
        record_tally_change(before, tally_with(order, _quantities(lines)))
    return order


def _member_of(order_id: uuid.UUID, *, viewer: User) -> uuid.UUID:
    """:raises OrderNotFound: no such order, or not one `viewer` may see."""
    member_id = (
        visible_orders(viewer=viewer)
        .filter(id=order_id)
        .values_list("member_id", flat=True)
        .first()
    )
    if member_id is None:
        raise OrderNotFound(extra={"order": str(order_id)})
    return member_id


def _merged(purchases: Sequence[tuple[uuid.UUID, int]]) -> dict[uuid.UUID, int]:
    """Quantity by snack, in the order first given.

    :raises InvalidOrder:
    """
    if not purchases:
        raise InvalidOrder(
            "An order needs at least one snack.",
            extra={"fields": {_FIELD: ["An order needs at least one snack."]}},
        )
    wanted: dict[uuid.UUID, int] = {}
    for snack_id, quantity in purchases:
        if isinstance(quantity, bool) or not 1 <= quantity <= MAX_QUANTITY:
            message = f"A quantity is a whole number from 1 to {MAX_QUANTITY}."
            raise InvalidOrder(message, extra={"fields": {_FIELD: [message]}})
        wanted[snack_id] = wanted.get(snack_id, 0) + quantity
    if len(wanted) > MAX_PURCHASES:
        message = f"An order holds at most {MAX_PURCHASES} snacks."
        raise InvalidOrder(message, extra={"fields": {_FIELD: [message]}})
    too_many = [str(snack_id) for snack_id, n in wanted.items() if n > MAX_QUANTITY]
    if too_many:
        message = f"At most {MAX_QUANTITY} of one snack: {', '.join(too_many)}."
        raise InvalidOrder(message, extra={"fields": {_FIELD: [message]}})
    return wanted


def _lock_member(member_id: uuid.UUID) -> None:
    # The member's row is the lock every order change of the member takes first
    # (member, then order): two requests of one member queue on it.
    get_user_model().objects.select_for_update().filter(pk=member_id).exists()


def _snacks(wanted: dict[uuid.UUID, int]) -> list[Snack]:
    """The snacks, by name.

    :raises InvalidOrder: for unknown snacks.
    :raises SnackRetired: for retired ones.
    """
    snacks = list(Snack.objects.filter(id__in=wanted).order_by(Lower("name"), "id"))
    unknown = sorted(str(i) for i in set(wanted) - {snack.id for snack in snacks})
    if unknown:
        message = f"No snack has the id {', '.join(unknown)}."
        raise InvalidOrder(
            message, extra={"fields": {_FIELD: [message]}, "snacks": unknown}
        )
    retired = [snack for snack in snacks if snack.is_retired]
    if retired:
        raise SnackRetired(
            f"These snacks are retired: {_names(retired)}.",
            extra={"snacks": _described(retired)},
        )
    return snacks


def _one_currency(lines: Iterable[_Line]) -> str:
    """:raises InvalidOrder: when the lines are in more than one currency."""
    currencies = sorted({line.currency for line in lines})
    if len(currencies) != 1:
        message = (
            "The snacks of an order must be priced in one currency; these are in "
            f"{', '.join(currencies)}."
        )
        raise InvalidOrder(
            message, extra={"fields": {_FIELD: [message]}, "currencies": currencies}
        )
    return currencies[0]


def _amount(lines: Iterable[_Line]) -> int:
    """:raises InvalidOrder: when the sum does not fit the amount's column."""
    amount = sum(line.price_minor * line.quantity for line in lines)
    if amount > MAX_AMOUNT_MINOR:
        message = "The order's amount is larger than the shop can hold."
        raise InvalidOrder(message, extra={"fields": {_FIELD: [message]}})
    return amount


def _refuse_open_orders(
    *, member_id: uuid.UUID, snacks: list[Snack], besides: uuid.UUID | None
) -> None:
    """:raises SnackAlreadyOrdered: when a snack is in another open order of the
    member."""
    taken = Purchase.objects.filter(
        order__member_id=member_id,
        order__status__in=OPEN_ORDER_STATUSES,
        snack__in=snacks,
    )
    if besides is not None:
        taken = taken.exclude(order_id=besides)
    in_orders = dict(taken.values_list("snack_id", "order_id"))
    if not in_orders:
        return
    clashing = [snack for snack in snacks if snack.id in in_orders]
    raise SnackAlreadyOrdered(
        f"Already in an open order: {_names(clashing)}.",
        extra={
            "snacks": [
                {**row, "order": str(in_orders[snack.id])}
                for snack, row in zip(clashing, _described(clashing), strict=True)
            ]
        },
    )


def _drop_hold(order: Order, *, now: dt.datetime) -> None:
    """Let go of a hold for the old amount: void its payment after the commit and
    leave the order without a hold."""
    if order.payment_id is None and order.hold_status not in LIVE_HOLDS:
        return
    if order.payment_id is not None:
        start_order_work(
            order, OrderTaskKind.VOID_HOLD, now=now, subject=str(order.payment_id)
        )
    order.payment_id = None
    order.hold_status = HoldStatus.NONE
    order.checkout_url = ""


def _write_purchases(order: Order, lines: Iterable[_Line]) -> None:
    Purchase.objects.bulk_create(
        Purchase(
            order=order,
            snack=line.snack,
            quantity=line.quantity,
            price_minor=line.price_minor,
        )
        for line in lines
    )


def _quantities(lines: Iterable[_Line]) -> list[tuple[uuid.UUID, int]]:
    return [(line.snack.id, line.quantity) for line in lines]


def _names(snacks: Iterable[Snack]) -> str:
    return ", ".join(snack.name for snack in snacks)


def _described(snacks: Iterable[Snack]) -> list[dict[str, str]]:
    return [{"id": str(snack.id), "name": snack.name} for snack in snacks]
