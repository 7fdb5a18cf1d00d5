"""Registering shipped orders with the sandbox's shipping partner: retried with
back-off under one key per order, so each order is registered exactly once; given
up after the last attempt, with the order flagged for an admin."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.conf import LazySettings
from django.core import mail

from snacks.models import Order, OrderStatus, OrderTask, OrderTaskKind
from snacks.services import start_order_work
from snacks.shipping import ShippingUnavailable
from tests.gateway_sandbox.shipping_merchant import (
    registered,
    set_shipping_faults,
    shipping_stats,
)
from tests.snacks.factories import OrderFactory, PurchaseFactory

pytestmark = [pytest.mark.django_db, pytest.mark.sandbox]

NOW = dt.datetime(2026, 12, 7, 12, 0, tzinfo=dt.UTC)
Commits = Callable[..., Any]


@pytest.fixture(autouse=True)
def quick_retries(settings: LazySettings, eager_retries: None) -> None:
    settings.SHOP_SHIPPING_TIMEOUT_SECONDS = 0.3
    settings.SHOP_SHIPPING_RETRY_BASE_SECONDS = 0.0
    settings.SHOP_SHIPPING_MAX_ATTEMPTS = 6


def _shipping_order() -> Order:
    order = OrderFactory.create(
        status=OrderStatus.SHIPPING, expected_arrival=dt.date(2030, 1, 15)
    )
    PurchaseFactory.create(order=order, quantity=3)
    return order


def _ship(commits: Commits, order: Order) -> OrderTask:
    """What moving the order to shipping asks for, run as the commit sends it
    (eagerly: a retry runs at once)."""
    with commits(execute=True):
        return start_order_work(order, OrderTaskKind.SHIPPING_REGISTRATION, now=NOW)


class TestRegistration:
    def test_registers_the_order_and_tells_the_member(
        self, shipping_partner: str, django_capture_on_commit_callbacks: Commits
    ) -> None:
        order = _shipping_order()

        work = _ship(django_capture_on_commit_callbacks, order)

        order.refresh_from_db()
        work.refresh_from_db()
        assert order.shipment_id and order.tracking_number
        assert registered(shipping_partner)["per_reference"] == {order.reference: 1}
        assert work.finished_at is not None
        (notice,) = mail.outbox
        assert notice.subject == "Your snack order is on its way"
        assert order.tracking_number in notice.body

    def test_with_half_the_calls_failing_each_order_is_registered_once(
        self, shipping_partner: str, django_capture_on_commit_callbacks: Commits
    ) -> None:
        set_shipping_faults(
            shipping_partner,
            failure_rate=0.4,
            timeout_rate=0.1,
            timeout_seconds=0.5,
            timeout_registered_rate=0.5,
            seed=11,
        )
        orders = [_shipping_order() for _ in range(12)]

        for order in orders:
            _ship(django_capture_on_commit_callbacks, order)

        counts = registered(shipping_partner)["per_reference"]
        assert counts == {order.reference: 1 for order in orders}
        assert Order.objects.filter(shipment_id="").count() == 0
        stats = shipping_stats(shipping_partner)
        assert sum(value for name, value in stats.items() if name != "registered") > 0


class TestGivingUp:
    def test_after_the_last_attempt_the_order_waits_for_an_admin(
        self, shipping_partner: str, django_capture_on_commit_callbacks: Commits
    ) -> None:
        set_shipping_faults(shipping_partner, failure_rate=1.0, seed=1)
        order = _shipping_order()

        # The task fails, saying why; the on-commit hook logs it.
        work = _ship(django_capture_on_commit_callbacks, order)

        order.refresh_from_db()
        work.refresh_from_db()
        assert order.needs_attention == (
            "The shipping partner could not be reached in 6 attempts."
        )
        assert work.finished_at is not None
        assert registered(shipping_partner)["per_reference"] == {}
        assert mail.outbox == []

    def test_a_refusal_is_not_retried(
        self,
        shipping_partner: str,
        django_capture_on_commit_callbacks: Commits,
        settings: LazySettings,
    ) -> None:
        settings.SHOP_SHIPPING_API_KEY = "ship_test_not_the_partners"
        order = _shipping_order()

        _ship(django_capture_on_commit_callbacks, order)

        order.refresh_from_db()
        assert order.needs_attention.startswith("The shipping partner refused it")
        assert shipping_stats(shipping_partner).get("unauthorized", 1) >= 1


def test_the_task_raises_unavailable_when_it_gives_up(shipping_partner: str) -> None:
    """Its state is then FAILURE with the reason, for the task-status endpoint."""
    from snacks.tasks import shipping_registration

    set_shipping_faults(shipping_partner, failure_rate=1.0, seed=1)
    work = OrderTask.objects.create(
        order=_shipping_order(),
        kind=OrderTaskKind.SHIPPING_REGISTRATION,
        created_at=NOW,
    )

    result = shipping_registration.apply(
        kwargs={"order_id": str(work.order_id), "subject": ""},
        task_id=str(work.task_id),
    )

    assert isinstance(result.result, ShippingUnavailable)
