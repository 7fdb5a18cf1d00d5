"""Two requests of one member at once on PostgreSQL: the open-order rule holds."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from accounts.models import User
from snacks.errors import SnackAlreadyOrdered
from snacks.models import Order, Snack
from snacks.services import _orders as order_services
from snacks.services import edit_order, place_order
from tests.accounts.factories import UserFactory
from tests.snacks.factories import SnackFactory
from tests.snacks.order_scenarios import NOW

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def slow_check(monkeypatch: pytest.MonkeyPatch) -> None:
    """Widen the window between the open-order check and the write, so that two
    requests not kept apart by the member's lock would both pass the check."""
    check: Callable[..., None] = order_services._refuse_open_orders

    def check_then_wait(**kwargs: Any) -> None:
        check(**kwargs)
        time.sleep(0.5)

    monkeypatch.setattr(order_services, "_refuse_open_orders", check_then_wait)


def _at_once(*requests: Callable[[], object]) -> list[str]:
    """Run the requests in threads of their own connections, started together;
    what each ended with."""
    start = threading.Barrier(len(requests))
    outcomes: list[str] = []

    def run(request: Callable[[], object]) -> None:
        try:
            start.wait(timeout=10)
            request()
            outcomes.append("done")
        except SnackAlreadyOrdered:
            outcomes.append("already_ordered")
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(request,)) for request in requests]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return sorted(outcomes)


def _place(member: User, snack: Snack) -> Callable[[], object]:
    return lambda: place_order(member=member, purchases=[(snack.id, 1)], now=NOW)


@pytest.mark.usefixtures("slow_check")
class TestConcurrentOrders:
    def test_two_orders_of_the_same_snack_at_once_leave_one(self) -> None:
        """The member's row is locked before the check: the second request waits
        for the first to commit, then finds the snack in its open order."""
        member, snack = UserFactory.create(), SnackFactory.create()

        outcomes = _at_once(_place(member, snack), _place(member, snack))

        assert outcomes == ["already_ordered", "done"]
        assert Order.objects.filter(member=member).count() == 1
        assert connection.vendor == "postgresql"

    def test_an_edit_and_an_order_of_the_same_snack_leave_one(self) -> None:
        member, snack = UserFactory.create(), SnackFactory.create()
        other = place_order(
            member=member, purchases=[(SnackFactory.create().id, 1)], now=NOW
        )

        outcomes = _at_once(
            _place(member, snack),
            lambda: edit_order(
                order_id=other.id, actor=member, purchases=[(snack.id, 1)], now=NOW
            ),
        )

        assert outcomes == ["already_ordered", "done"]
        holding = Order.objects.filter(member=member, purchases__snack=snack)
        assert holding.count() == 1
