"""An order's moves through its flow: which exist, who may make them, and the
rules each one checks."""

from __future__ import annotations

import datetime as dt
import itertools
import uuid

import pytest

from accounts.models import User
from snacks.errors import (
    InvalidOrder,
    InvalidOrderTransition,
    OrderMoveForbidden,
    OrderNotFound,
    SnacksHated,
)
from snacks.models import (
    ALLOWED_ORDER_TRANSITIONS,
    Order,
    OrderStatus,
    OrderStatusChange,
)
from snacks.services import move_order
from tests.accounts.factories import UserFactory
from tests.snacks.factories import SnackFactory
from tests.snacks.order_scenarios import (
    NEXT_WEEK,
    NOW,
    TODAY,
    move_as,
    order_in,
    placed,
)

pytestmark = pytest.mark.django_db

ALLOWED = sorted(
    (source, target)
    for source, targets in ALLOWED_ORDER_TRANSITIONS.items()
    for target in targets
)
ILLEGAL = sorted(
    (source, target)
    for source, target in itertools.product(OrderStatus.values, repeat=2)
    if target not in ALLOWED_ORDER_TRANSITIONS[source]
)
STAMPS: dict[str, str] = {
    OrderStatus.APPROVED: "approved_at",
    OrderStatus.ORDERED: "ordered_at",
    OrderStatus.SHIPPING: "shipping_at",
    OrderStatus.COMPLETED: "completed_at",
    OrderStatus.CANCELED: "canceled_at",
}
LATER = NOW + dt.timedelta(hours=1)


@pytest.fixture
def admin() -> User:
    return UserFactory.create(shop_admin=True, email="boss@example.com")


def _fields(error: pytest.ExceptionInfo[InvalidOrder]) -> dict[str, object]:
    fields = error.value.extra["fields"]
    assert isinstance(fields, dict)
    return fields


def _arrival(target: str) -> dt.date | None:
    return NEXT_WEEK if target in (OrderStatus.ORDERED, OrderStatus.SHIPPING) else None


class TestTheFlow:
    def test_has_the_moves_of_the_spec(self) -> None:
        """created → approved → ordered → shipping → completed, and created or
        approved → canceled: six moves, and the 30 other pairs refused."""
        moves = set(ALLOWED)

        assert moves == {
            ("CREATED", "APPROVED"),
            ("APPROVED", "ORDERED"),
            ("ORDERED", "SHIPPING"),
            ("SHIPPING", "COMPLETED"),
            ("CREATED", "CANCELED"),
            ("APPROVED", "CANCELED"),
        }
        assert len(ILLEGAL) == 30

    @pytest.mark.parametrize(("source", "target"), ALLOWED)
    def test_an_admin_makes_every_allowedmove_as(
        self, admin: User, source: str, target: str
    ) -> None:
        order = order_in(source)

        moved = move_as(
            order,
            target,
            admin,
            now=LATER,
            arrival=_arrival(target),
            reason="As planned.",
        )

        assert moved.status == target
        assert getattr(moved, STAMPS[target]) == LATER
        change = OrderStatusChange.objects.filter(order=order).latest("at")
        assert (change.from_status, change.to_status, change.reason, change.at) == (
            source,
            target,
            "As planned.",
            LATER,
        )
        assert (change.actor, change.actor_label) == (admin, "boss@example.com")

    @pytest.mark.parametrize(("source", "target"), ILLEGAL)
    def test_refuses_every_othermove_as(
        self, admin: User, source: str, target: str
    ) -> None:
        order = order_in(source)

        with pytest.raises(InvalidOrderTransition) as error:
            move_as(order, target, admin, now=LATER, arrival=_arrival(target))

        assert error.value.message == (
            f"An order cannot go from {source.lower()} to {target.lower()}."
        )
        assert error.value.extra == {
            "order": str(order.id),
            "from": source,
            "to": target,
        }
        assert Order.objects.get(id=order.id).status == source

    def test_refuses_a_status_that_does_not_exist(self, admin: User) -> None:
        with pytest.raises(InvalidOrder) as error:
            move_as(placed(), "LOST", admin)

        assert "status" in _fields(error)

    def test_answers_not_found_for_an_unknown_order(self, admin: User) -> None:
        with pytest.raises(OrderNotFound):
            move_order(
                order_id=uuid.uuid4(),
                to_status=OrderStatus.APPROVED,
                actor=admin,
                now=NOW,
            )


class TestWhoMoves:
    @pytest.mark.parametrize(
        "target",
        [
            OrderStatus.APPROVED,
            OrderStatus.ORDERED,
            OrderStatus.SHIPPING,
            OrderStatus.COMPLETED,
        ],
    )
    def test_only_admins_move_an_order_on(self, target: str) -> None:
        order = placed()

        with pytest.raises(OrderMoveForbidden) as error:
            move_as(order, target, order.member, arrival=_arrival(target))

        assert error.value.http_status == 403
        assert Order.objects.get(id=order.id).status == OrderStatus.CREATED

    @pytest.mark.parametrize("source", [OrderStatus.CREATED, OrderStatus.APPROVED])
    def test_a_member_cancels_their_own_order(self, source: str) -> None:
        order = order_in(source)

        canceled = move_as(
            order,
            OrderStatus.CANCELED,
            order.member,
            now=LATER,
            reason="Changed my mind.",
        )

        assert canceled.status == OrderStatus.CANCELED
        assert canceled.cancel_reason == "Changed my mind."
        change = OrderStatusChange.objects.get(order=order, to_status="CANCELED")
        assert (change.actor, change.actor_label) == (
            order.member,
            order.member.email,
        )

    def test_a_member_cannot_cancel_an_ordered_order(self) -> None:
        order = order_in(OrderStatus.ORDERED)

        with pytest.raises(InvalidOrderTransition):
            move_as(order, OrderStatus.CANCELED, order.member, now=LATER)

    def test_another_member_is_told_no_such_order(self) -> None:
        order = placed()

        with pytest.raises(OrderNotFound):
            move_as(order, OrderStatus.CANCELED, UserFactory.create())

    def test_an_admin_cancels_any_members_order(self, admin: User) -> None:
        order = placed()

        canceled = move_as(order, OrderStatus.CANCELED, admin, reason="Out of stock.")

        assert canceled.cancel_reason == "Out of stock."


class TestHatedSnacks:
    def test_approving_names_the_snacks_hated_more_than_liked(
        self, admin: User
    ) -> None:
        hated = SnackFactory.create(name="Liquorice", likes=1, hates=2)
        even = SnackFactory.create(name="Even", likes=2, hates=2)
        order = placed(snacks=[hated, even])

        with pytest.raises(SnacksHated) as error:
            move_as(order, OrderStatus.APPROVED, admin)

        assert "Liquorice" in error.value.message
        assert "Even" not in error.value.message
        assert error.value.extra["snacks"] == [
            {"id": str(hated.id), "name": "Liquorice", "likes": 1, "hates": 2}
        ]

    def test_ordering_checks_again(self, admin: User) -> None:
        order = order_in(OrderStatus.APPROVED)
        snack = order.purchases.get().snack
        snack.hates = 1
        snack.save()

        with pytest.raises(SnacksHated):
            move_as(order, OrderStatus.ORDERED, admin, arrival=NEXT_WEEK)

    def test_as_many_likes_as_hates_may_be_approved(self, admin: User) -> None:
        order = placed(snacks=[SnackFactory.create(likes=3, hates=3)])

        moved = move_as(order, OrderStatus.APPROVED, admin)

        assert moved.status == OrderStatus.APPROVED

    def test_canceling_ignores_them(self, admin: User) -> None:
        order = placed(snacks=[SnackFactory.create(hates=5)])

        moved = move_as(order, OrderStatus.CANCELED, admin)

        assert moved.status == OrderStatus.CANCELED


class TestExpectedArrival:
    def _order(
        self, admin: User, order: Order, expected_arrival: dt.date | None = None
    ) -> Order:
        return move_as(order, OrderStatus.ORDERED, admin, arrival=expected_arrival)

    def test_ordering_needs_it(self, admin: User) -> None:
        with pytest.raises(InvalidOrder) as error:
            self._order(admin, order_in(OrderStatus.APPROVED))

        assert "expected_arrival" in _fields(error)

    def test_refuses_a_date_in_the_past(self, admin: User) -> None:
        with pytest.raises(InvalidOrder) as error:
            self._order(
                admin,
                order_in(OrderStatus.APPROVED),
                expected_arrival=TODAY - dt.timedelta(days=1),
            )

        assert "in the past" in error.value.message

    def test_takes_today(self, admin: User) -> None:
        moved = self._order(
            admin, order_in(OrderStatus.APPROVED), expected_arrival=TODAY
        )

        assert moved.expected_arrival == TODAY

    def test_shipping_keeps_the_one_given_when_ordering(self, admin: User) -> None:
        order = order_in(OrderStatus.ORDERED)

        moved = move_as(order, OrderStatus.SHIPPING, admin)

        assert moved.expected_arrival == NEXT_WEEK

    def test_shipping_takes_a_new_one(self, admin: User) -> None:
        order = order_in(OrderStatus.ORDERED)
        later = NEXT_WEEK + dt.timedelta(days=3)

        moved = move_as(order, OrderStatus.SHIPPING, admin, arrival=later)

        assert Order.objects.get(id=moved.id).expected_arrival == later

    def test_shipping_refuses_a_kept_date_that_has_passed(self, admin: User) -> None:
        order = order_in(OrderStatus.ORDERED)
        weeks_later = NOW + dt.timedelta(days=14)

        with pytest.raises(InvalidOrder) as error:
            move_as(order, OrderStatus.SHIPPING, admin, now=weeks_later)

        assert "kept from ordering" in error.value.message

    @pytest.mark.parametrize(
        "target", [OrderStatus.APPROVED, OrderStatus.CANCELED, OrderStatus.COMPLETED]
    )
    def test_other_moves_take_none(self, admin: User, target: str) -> None:
        with pytest.raises(InvalidOrder) as error:
            move_as(placed(), target, admin, arrival=NEXT_WEEK)

        assert "expected_arrival" in _fields(error)
