"""An order's moves and its hold: ordering needs an authorized hold, a move starts
the order's work, and a failed hold cancels the order."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from pytest_django import DjangoCaptureOnCommitCallbacks

from accounts.models import User
from snacks.errors import (
    HoldNotAuthorized,
    OrderNotFound,
)
from snacks.models import (
    HoldStatus,
    Order,
    OrderStatus,
    OrderStatusChange,
    OrderTask,
    OrderTaskKind,
)
from snacks.services import cancel_order_for_failed_hold, request_hold
from tests.accounts.factories import UserFactory
from tests.snacks.factories import SnackFactory
from tests.snacks.fakes import FakeBilling
from tests.snacks.order_scenarios import (
    NEXT_WEEK,
    NOW,
    authorize_hold,
    move_as,
    order_in,
    placed,
)

pytestmark = pytest.mark.django_db

LATER = NOW + dt.timedelta(hours=1)


@pytest.fixture
def admin() -> User:
    return UserFactory.create(shop_admin=True, email="boss@example.com")


class TestHoldForOrdering:
    @pytest.mark.parametrize("with_card", [False, True])
    def test_ordering_needs_the_hold_authorized(
        self, admin: User, with_card: bool, billing: FakeBilling
    ) -> None:
        order = placed(snacks=[SnackFactory.create()])
        if with_card:
            billing.give_card(order.member_id)
        request_hold(order.id, now=NOW)
        move_as(order, OrderStatus.APPROVED, admin)

        with pytest.raises(HoldNotAuthorized) as error:
            move_as(order, OrderStatus.ORDERED, admin, arrival=NEXT_WEEK)

        assert error.value.message.startswith(
            "The hold on the member's card is not authorized yet"
        )
        expected = HoldStatus.REQUESTED if with_card else HoldStatus.REQUIRES_ACTION
        assert error.value.extra["hold_status"] == expected

    def test_refuses_an_order_without_a_hold(self, admin: User) -> None:
        order = order_in(OrderStatus.APPROVED)
        Order.objects.filter(id=order.id).update(
            hold_status=HoldStatus.NONE, payment_id=None
        )

        with pytest.raises(HoldNotAuthorized):
            move_as(order, OrderStatus.ORDERED, admin, arrival=NEXT_WEEK)


class TestWorkOfAMove:
    def _work(self, order: Order) -> list[tuple[str, str]]:
        return sorted(
            OrderTask.objects.filter(order=order)
            .exclude(kind=OrderTaskKind.CONFIRMATION_EMAIL)
            .values_list("kind", "subject")
        )

    def test_ordering_captures_the_hold(self) -> None:
        order = order_in(OrderStatus.ORDERED)

        assert self._work(order) == [
            (OrderTaskKind.CAPTURE_HOLD, str(order.payment_id))
        ]

    def test_shipping_registers_the_parcel(self) -> None:
        order = order_in(OrderStatus.SHIPPING)

        assert (OrderTaskKind.SHIPPING_REGISTRATION, "") in self._work(order)

    def test_canceling_voids_an_authorized_hold(self) -> None:
        order = order_in(OrderStatus.APPROVED)

        move_as(order, OrderStatus.CANCELED, order.member)

        assert self._work(order) == [(OrderTaskKind.VOID_HOLD, str(order.payment_id))]

    def test_canceling_without_a_payment_voids_nothing(self) -> None:
        order = placed()

        move_as(order, OrderStatus.CANCELED, order.member)

        assert self._work(order) == []

    def test_the_work_is_sent_once_the_move_commits(
        self,
        admin: User,
        django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
    ) -> None:
        order = authorize_hold(placed())
        move_as(order, OrderStatus.APPROVED, admin)

        with django_capture_on_commit_callbacks() as callbacks:
            move_as(order, OrderStatus.CANCELED, admin)

        assert len(callbacks) == 1


class TestCancelForFailedHold:
    @pytest.mark.parametrize("source", [OrderStatus.CREATED, OrderStatus.APPROVED])
    def test_cancels_an_order_not_yet_ordered(self, source: str) -> None:
        order = order_in(source)

        done = cancel_order_for_failed_hold(
            order_id=order.id, reason="The card was declined.", now=LATER
        )

        stored = Order.objects.get(id=order.id)
        assert done
        assert (stored.status, stored.cancel_reason, stored.canceled_at) == (
            OrderStatus.CANCELED,
            "The card was declined.",
            LATER,
        )
        change = OrderStatusChange.objects.get(order=order, to_status="CANCELED")
        assert (change.actor, change.actor_label) == (None, "billing")

    @pytest.mark.parametrize(
        "source",
        [
            OrderStatus.ORDERED,
            OrderStatus.SHIPPING,
            OrderStatus.COMPLETED,
            OrderStatus.CANCELED,
        ],
    )
    def test_leaves_an_order_that_moved_on(self, source: str) -> None:
        order = order_in(source)

        done = cancel_order_for_failed_hold(order_id=order.id, reason="x", now=LATER)

        assert not done
        assert Order.objects.get(id=order.id).status == source

    def test_answers_not_found_for_an_unknown_order(self) -> None:
        with pytest.raises(OrderNotFound):
            cancel_order_for_failed_hold(order_id=uuid.uuid4(), reason="", now=NOW)
