"""Members place orders of snacks and change them while they are created."""

from __future__ import annotations

import uuid

import pytest

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
    OrderTask,
    OrderTaskKind,
)
from snacks.services import (
    MAX_PURCHASES,
    MAX_QUANTITY,
    edit_order,
    place_order,
    request_hold,
)
from tests.accounts.factories import UserFactory
from tests.snacks.factories import SnackFactory
from tests.snacks.fakes import FakeBilling
from tests.snacks.order_scenarios import NOW, authorize_hold, order_in, placed

pytestmark = pytest.mark.django_db


def _purchases(order: Order) -> list[tuple[str, int, int]]:
    return sorted(
        (purchase.snack.name, purchase.quantity, purchase.price_minor)
        for purchase in order.purchases.select_related("snack")
    )


def _fields(error: pytest.ExceptionInfo[InvalidOrder]) -> dict[str, object]:
    fields = error.value.extra["fields"]
    assert isinstance(fields, dict)
    return fields


class TestPlaceOrder:
    def test_prices_each_snack_now_and_sums_the_amount(self) -> None:
        twix = SnackFactory.create(name="Twix", amount_minor=9_900)
        mars = SnackFactory.create(name="Mars", amount_minor=5_000)
        member = UserFactory.create()

        order = place_order(
            member=member, purchases=[(twix.id, 2), (mars.id, 1)], now=NOW
        )

        assert (order.status, order.member_id, order.created_at) == (
            OrderStatus.CREATED,
            member.id,
            NOW,
        )
        assert (order.amount_minor, order.currency) == (24_800, "RUB")
        assert _purchases(order) == [("Mars", 1, 5_000), ("Twix", 2, 9_900)]
        assert order.hold_status == HoldStatus.NONE

    def test_keeps_the_price_it_was_ordered_at(self) -> None:
        snack = SnackFactory.create(amount_minor=100)
        order = placed(snacks=[snack])

        snack.amount_minor = 900
        snack.save()

        assert _purchases(Order.objects.get(id=order.id))[0][2] == 100

    def test_merges_the_same_snack_given_twice(self) -> None:
        snack = SnackFactory.create(amount_minor=100)

        order = place_order(
            member=UserFactory.create(),
            purchases=[(snack.id, 2), (snack.id, 3)],
            now=NOW,
        )

        assert [(p.quantity, p.price_minor) for p in order.purchases.all()] == [
            (5, 100)
        ]
        assert order.amount_minor == 500

    def test_refuses_snacks_in_two_currencies(self) -> None:
        rub = SnackFactory.create(currency="RUB")
        eur = SnackFactory.create(currency="EUR")

        with pytest.raises(InvalidOrder) as error:
            placed(snacks=[rub, eur])

        assert "one currency" in error.value.message
        assert error.value.extra["currencies"] == ["EUR", "RUB"]
        assert "purchases" in _fields(error)
        assert not Order.objects.exists()

    def test_refuses_an_unknown_snack(self) -> None:
        unknown = uuid.uuid4()

        with pytest.raises(InvalidOrder) as error:
            place_order(member=UserFactory.create(), purchases=[(unknown, 1)], now=NOW)

        assert error.value.extra["snacks"] == [str(unknown)]

    def test_refuses_a_retired_snack_naming_it(self) -> None:
        retired = SnackFactory.create(name="Old", retired_at=NOW)

        with pytest.raises(SnackRetired) as error:
            placed(snacks=[retired])

        assert error.value.extra["snacks"] == [{"id": str(retired.id), "name": "Old"}]

    @pytest.mark.parametrize("quantity", [0, -1, MAX_QUANTITY + 1])
    def test_refuses_a_quantity_out_of_range(self, quantity: int) -> None:
        snack = SnackFactory.create()

        with pytest.raises(InvalidOrder) as error:
            place_order(
                member=UserFactory.create(), purchases=[(snack.id, quantity)], now=NOW
            )

        assert "purchases" in _fields(error)

    def test_refuses_merged_quantities_over_the_limit(self) -> None:
        snack = SnackFactory.create()

        with pytest.raises(InvalidOrder):
            place_order(
                member=UserFactory.create(),
                purchases=[(snack.id, MAX_QUANTITY), (snack.id, 1)],
                now=NOW,
            )

    def test_refuses_an_empty_order(self) -> None:
        with pytest.raises(InvalidOrder) as error:
            place_order(member=UserFactory.create(), purchases=[], now=NOW)

        assert _fields(error) == {"purchases": ["An order needs at least one snack."]}

    def test_refuses_more_snacks_than_an_order_holds(self) -> None:
        purchases = [(uuid.uuid4(), 1) for _ in range(MAX_PURCHASES + 1)]

        with pytest.raises(InvalidOrder):
            place_order(member=UserFactory.create(), purchases=purchases, now=NOW)

    def test_refuses_an_amount_beyond_the_column(self) -> None:
        snack = SnackFactory.create(amount_minor=2**62)

        with pytest.raises(InvalidOrder) as error:
            placed(snacks=[snack], quantity=2)

        assert "larger" in error.value.message


class TestOpenOrderRule:
    def test_refuses_a_snack_in_an_open_order_of_the_member(self) -> None:
        member = UserFactory.create()
        twix = SnackFactory.create(name="Twix")
        first = placed(member, snacks=[twix])

        with pytest.raises(SnackAlreadyOrdered) as error:
            placed(member, snacks=[SnackFactory.create(), twix])

        assert "Twix" in error.value.message
        assert error.value.extra["snacks"] == [
            {"id": str(twix.id), "name": "Twix", "order": str(first.id)}
        ]
        assert Order.objects.count() == 1

    @pytest.mark.parametrize("status", sorted(OPEN_ORDER_STATUSES))
    def test_holds_while_the_order_is_open(self, status: str) -> None:
        order = order_in(status)
        snack = order.purchases.get().snack

        with pytest.raises(SnackAlreadyOrdered):
            placed(order.member, snacks=[snack])

    @pytest.mark.parametrize("status", [OrderStatus.COMPLETED, OrderStatus.CANCELED])
    def test_frees_the_snack_once_the_order_is_closed(self, status: str) -> None:
        order = order_in(status)
        snack = order.purchases.get().snack

        again = placed(order.member, snacks=[snack])

        assert again.status == OrderStatus.CREATED

    def test_lets_another_member_order_the_same_snack(self) -> None:
        snack = SnackFactory.create()
        placed(snacks=[snack])

        assert placed(snacks=[snack]).purchases.get().snack == snack


class TestEditOrder:
    def test_replaces_the_purchases_and_recomputes_the_amount(self) -> None:
        kept = SnackFactory.create(name="Kept", amount_minor=100)
        dropped = SnackFactory.create(name="Dropped", amount_minor=300)
        added = SnackFactory.create(name="Added", amount_minor=1_000)
        order = placed(snacks=[kept, dropped])

        edited = edit_order(
            order_id=order.id,
            actor=order.member,
            purchases=[(kept.id, 3), (added.id, 1)],
            now=NOW,
        )

        assert _purchases(edited) == [("Added", 1, 1_000), ("Kept", 3, 100)]
        assert edited.amount_minor == 1_300

    def test_kept_snacks_keep_their_price_new_ones_take_todays(self) -> None:
        kept = SnackFactory.create(name="Kept", amount_minor=100)
        order = placed(snacks=[kept])
        kept.amount_minor = 999
        kept.save()
        added = SnackFactory.create(name="Added", amount_minor=50)

        edited = edit_order(
            order_id=order.id,
            actor=order.member,
            purchases=[(kept.id, 1), (added.id, 1)],
            now=NOW,
        )

        assert _purchases(edited) == [("Added", 1, 50), ("Kept", 1, 100)]

    def test_may_change_the_currency_when_every_snack_changes(self) -> None:
        order = placed(snacks=[SnackFactory.create(currency="RUB")])
        euro = SnackFactory.create(currency="EUR", amount_minor=250)

        edited = edit_order(
            order_id=order.id, actor=order.member, purchases=[(euro.id, 2)], now=NOW
        )

        assert (edited.amount_minor, edited.currency) == (500, "EUR")

    def test_an_admin_may_edit_a_members_order(self) -> None:
        order = placed()
        snack = SnackFactory.create()

        edit_order(
            order_id=order.id,
            actor=UserFactory.create(shop_admin=True),
            purchases=[(snack.id, 1)],
            now=NOW,
        )

        assert order.purchases.get().snack == snack

    def test_another_member_is_told_no_such_order(self) -> None:
        order = placed()

        with pytest.raises(OrderNotFound):
            edit_order(
                order_id=order.id,
                actor=UserFactory.create(),
                purchases=[(order.purchases.get().snack_id, 2)],
                now=NOW,
            )

    @pytest.mark.parametrize("status", sorted(set(OrderStatus) - {"CREATED"}))
    def test_refuses_once_the_order_left_created(self, status: str) -> None:
        order = order_in(status)

        with pytest.raises(OrderNotEditable) as error:
            edit_order(
                order_id=order.id,
                actor=order.member,
                purchases=[(SnackFactory.create().id, 1)],
                now=NOW,
            )

        assert status.lower() in error.value.message
        assert error.value.extra["status"] == status

    def test_refuses_a_snack_in_another_open_order(self) -> None:
        member = UserFactory.create()
        taken = SnackFactory.create(name="Taken")
        placed(member, snacks=[taken])
        order = placed(member)

        with pytest.raises(SnackAlreadyOrdered):
            edit_order(
                order_id=order.id, actor=member, purchases=[(taken.id, 1)], now=NOW
            )

    def test_applies_the_rules_of_placing(self) -> None:
        order = placed(snacks=[SnackFactory.create(currency="RUB")])
        euro = SnackFactory.create(currency="EUR")
        kept = order.purchases.get().snack_id

        with pytest.raises(InvalidOrder):
            edit_order(
                order_id=order.id,
                actor=order.member,
                purchases=[(kept, 1), (euro.id, 1)],
                now=NOW,
            )


class TestEditOrderHold:
    def test_a_new_amount_voids_the_authorized_hold_and_drops_it(self) -> None:
        order = authorize_hold(placed())
        payment_id = order.payment_id

        edited = edit_order(
            order_id=order.id,
            actor=order.member,
            purchases=[(order.purchases.get().snack_id, 2)],
            now=NOW,
        )

        assert (edited.payment_id, edited.hold_status, edited.checkout_url) == (
            None,
            HoldStatus.NONE,
            "",
        )
        assert OrderTask.objects.filter(
            order=order, kind=OrderTaskKind.VOID_HOLD, subject=str(payment_id)
        ).exists()

    def test_refused_while_the_checkout_page_waits_for_the_card(
        self, billing: FakeBilling
    ) -> None:
        """Billing's page would hold the old amount: pay it or cancel the order."""
        order = placed()
        asked = request_hold(order.id, now=NOW)
        assert asked.hold_status == HoldStatus.REQUIRES_ACTION

        with pytest.raises(OrderNotEditable, match="checkout page"):
            edit_order(
                order_id=order.id,
                actor=order.member,
                purchases=[(order.purchases.get().snack_id, 2)],
                now=NOW,
            )

        asked.refresh_from_db()
        assert asked.checkout_url and asked.purchases.get().quantity == 1

    def test_the_same_amount_keeps_the_hold(self) -> None:
        first, second = SnackFactory.create_batch(2, amount_minor=100)
        order = authorize_hold(placed(snacks=[first]))

        edited = edit_order(
            order_id=order.id, actor=order.member, purchases=[(second.id, 1)], now=NOW
        )

        assert edited.hold_status == HoldStatus.AUTHORIZED
        assert edited.payment_id == order.payment_id
        assert not OrderTask.objects.filter(kind=OrderTaskKind.VOID_HOLD).exists()

    def test_a_new_hold_is_asked_under_a_new_key(self, billing: FakeBilling) -> None:
        order = authorize_hold(placed())
        edit_order(
            order_id=order.id,
            actor=order.member,
            purchases=[(order.purchases.get().snack_id, 2)],
            now=NOW,
        )

        again = request_hold(order.id, now=NOW)

        assert again.payment_id not in (None, order.payment_id)
        keys = [hold.idempotency_key for hold in billing.authorizations]
        assert len(set(keys)) == 2
        assert billing.authorizations[-1].amount_minor == again.amount_minor
