"""The statistics' daily totals, kept in step by the order services: always what
counting every order from nothing gives."""

from __future__ import annotations

import datetime as dt
import io
import threading

import pytest
from django.core.management import call_command
from django.db import connection

from snacks.models import (
    DailyOrderTotal,
    DailySnackSales,
    MonthlySnackSales,
    OrderStatus,
)
from snacks.services import (
    cancel_order_for_failed_hold,
    edit_order,
    recount_order_statistics,
)
from tests.accounts.factories import UserFactory
from tests.snacks.factories import SnackFactory
from tests.snacks.order_scenarios import NOW, move_as, order_in, placed

pytestmark = pytest.mark.django_db

Totals = tuple[set[tuple[object, ...]], ...]


def _totals() -> Totals:
    """The non-empty totals: rows an order left at zero say nothing."""
    orders = DailyOrderTotal.objects.filter(orders__gt=0).values_list(
        "day", "status", "currency", "orders", "amount_minor"
    )
    sales = DailySnackSales.objects.filter(quantity__gt=0).values_list(
        "day", "snack_id", "quantity"
    )
    monthly = MonthlySnackSales.objects.filter(quantity__gt=0).values_list(
        "month", "snack_id", "quantity"
    )
    return set(orders), set(sales), set(monthly)


class TestKeptInStep:
    def test_every_kind_of_change_leaves_what_a_recount_gives(self) -> None:
        twix, mars, kitkat = SnackFactory.create_batch(3)
        admin = UserFactory.create(shop_admin=True)
        tomorrow = NOW + dt.timedelta(days=1)
        edited = placed(snacks=[twix, mars], quantity=2)
        edit_order(
            order_id=edited.id,
            actor=edited.member,
            purchases=[(mars.id, 5), (kitkat.id, 1)],
            now=NOW,
        )
        canceled = placed(snacks=[twix, kitkat], quantity=3, now=tomorrow)
        move_as(canceled, OrderStatus.CANCELED, canceled.member, reason="changed mind")
        failed = placed(snacks=[mars], now=tomorrow)
        cancel_order_for_failed_hold(order_id=failed.id, reason="declined", now=NOW)
        for status in (OrderStatus.APPROVED, OrderStatus.COMPLETED):
            order_in(status, admin=admin)
        kept = _totals()

        recount_order_statistics()

        assert _totals() == kept
        # Created, approved and completed today; two canceled tomorrow.
        assert len(kept[0]) == 4

    def test_a_canceled_order_keeps_its_count_and_leaves_the_snack_sales(
        self,
    ) -> None:
        snack = SnackFactory.create(amount_minor=150, currency="EUR")
        order = placed(snacks=[snack], quantity=4)

        move_as(order, OrderStatus.CANCELED, order.member)

        orders, sales, monthly = _totals()
        assert orders == {(NOW.date(), OrderStatus.CANCELED, "EUR", 1, 600)}
        assert sales == monthly == set()


class TestRecount:
    def test_counts_from_nothing_whatever_the_totals_held(self) -> None:
        placed(snacks=[SnackFactory.create()], quantity=2)
        kept = _totals()
        DailySnackSales.objects.update(quantity=99)
        MonthlySnackSales.objects.all().delete()
        DailyOrderTotal.objects.all().delete()

        written = recount_order_statistics()

        assert _totals() == kept
        assert written == (1, 1)

    def test_the_command_says_what_it_wrote(self) -> None:
        placed(snacks=SnackFactory.create_batch(2))
        out = io.StringIO()

        call_command("rebuild_order_statistics", stdout=out)

        assert "Wrote 1 daily order totals and 2 daily snack sales." in out.getvalue()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_orders_placed_at_once_count_every_snack() -> None:
    """Members ordering the same snack the same day add to one row at once."""
    snack = SnackFactory.create()
    members = UserFactory.create_batch(8)
    start = threading.Barrier(len(members))
    errors: list[BaseException] = []

    def order(member: object) -> None:
        try:
            start.wait(timeout=10)
            placed(member, snacks=[snack], quantity=3)  # type: ignore[arg-type]
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=order, args=(m,)) for m in members]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    assert DailySnackSales.objects.get(snack=snack).quantity == 24
    assert MonthlySnackSales.objects.get(snack=snack).quantity == 24
    assert DailyOrderTotal.objects.get(status=OrderStatus.CREATED).orders == 8
