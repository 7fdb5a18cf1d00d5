"""The migration that adds `Purchase.placed_at` fills it for purchases before it."""

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
