"""The shop's data migrations: `Purchase.placed_at` filled for the purchases before
it, and the daily totals of the statistics counted from the orders before them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from django.db.migrations.executor import MigrationExecutor

from tests.accounts.factories import UserFactory
from tests.migration_steps import migrated_back_to

BEFORE = [("snacks", "0003_order_task_finished")]
AFTER = [("snacks", "0004_order_trail_and_statistics")]
PLACED = dt.datetime(2026, 3, 1, 9, 30, tzinfo=dt.UTC)


@pytest.fixture
def executor() -> Iterator[MigrationExecutor]:
    """The snacks app at the migration before; the latest state again after."""
    yield from migrated_back_to(BEFORE)


@pytest.mark.django_db(transaction=True)
def test_purchases_take_the_time_their_order_was_placed(
    executor: MigrationExecutor,
) -> None:
    apps = executor.loader.project_state(BEFORE).apps
    # The accounts app stays as it is: only the shop's migrations are walked.
    member = UserFactory.create()
    snack = apps.get_model("snacks", "Snack").objects.create(
        name="Twix", amount_minor=100, currency="RUB"
    )
    order = apps.get_model("snacks", "Order").objects.create(
        member_id=member.id,
        amount_minor=200,
        currency="RUB",
        created_at=PLACED,
        updated_at=PLACED,
    )
    apps.get_model("snacks", "Purchase").objects.create(
        order_id=order.id, snack_id=snack.id, quantity=2, price_minor=100
    )

    executor.loader.build_graph()
    executor.migrate(AFTER)

    migrated = executor.loader.project_state(AFTER).apps
    purchase = migrated.get_model("snacks", "Purchase").objects.get()
    assert purchase.placed_at == PLACED


TALLIED_BEFORE = [("snacks", "0004_order_trail_and_statistics")]
TALLIED_AFTER = [("snacks", "0005_daily_order_totals")]


@pytest.fixture
def before_totals() -> Iterator[MigrationExecutor]:
    """The snacks app before the daily totals; the latest state again after."""
    yield from migrated_back_to(TALLIED_BEFORE)


@pytest.mark.django_db(transaction=True)
def test_the_daily_totals_count_the_orders_placed_before(
    before_totals: MigrationExecutor,
) -> None:
    apps = before_totals.loader.project_state(TALLIED_BEFORE).apps
    member = UserFactory.create()
    snack = apps.get_model("snacks", "Snack").objects.create(
        name="Twix", amount_minor=100, currency="RUB"
    )
    for status, quantity in (("CREATED", 2), ("CANCELED", 5)):
        order = apps.get_model("snacks", "Order").objects.create(
            member_id=member.id,
            status=status,
            amount_minor=100 * quantity,
            currency="RUB",
            created_at=PLACED,
            updated_at=PLACED,
        )
        apps.get_model("snacks", "Purchase").objects.create(
            order_id=order.id,
            snack_id=snack.id,
            quantity=quantity,
            price_minor=100,
            placed_at=PLACED,
        )

    before_totals.loader.build_graph()
    before_totals.migrate(TALLIED_AFTER)

    migrated = before_totals.loader.project_state(TALLIED_AFTER).apps
    totals = migrated.get_model("snacks", "DailyOrderTotal").objects.values_list(
        "day", "status", "orders", "amount_minor"
    )
    sales = migrated.get_model("snacks", "DailySnackSales").objects.values_list(
        "day", "snack_id", "quantity"
    )
    assert set(totals) == {
        (PLACED.date(), "CREATED", 1, 200),
        (PLACED.date(), "CANCELED", 1, 500),
    }
    assert list(sales) == [(PLACED.date(), snack.id, 2)]
