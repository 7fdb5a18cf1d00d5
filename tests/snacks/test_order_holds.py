"""`request_hold`: the order's amount held through billing's port, once per attempt."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from snacks.billing_calls import BillingRefused
from snacks.models import HoldStatus, Order, OrderStatus
from snacks.services import request_hold
from tests.snacks.factories import OrderFactory
from tests.snacks.fakes import FakeBilling

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 12, 7, 12, 0, tzinfo=dt.UTC)


def _order(billing: FakeBilling, *, saved_card: bool = True, **fields: object) -> Order:
    order = OrderFactory.create(**fields)
    if saved_card:
        billing.payers_with_cards.add(order.member_id)
    return order


class TestWithASavedCard:
    def test_holds_the_amount_under_a_key_of_the_order_and_attempt(
        self, billing: FakeBilling
    ) -> None:
        order = _order(billing, amount_minor=25_800, currency="RUB")

        held = request_hold(order.id, now=NOW)

        (key,) = billing.holds
        assert key == f"order-hold:{order.id}:1"
        assert held.payment_id == billing.holds[key].payment_id
        # Billing's answer names the payment; the event stream says it is held.
        assert held.hold_status == HoldStatus.REQUESTED
        assert held.hold_attempt == 1

    def test_asks_nothing_more_while_the_hold_lives(self, billing: FakeBilling) -> None:
        order = _order(billing)
        request_hold(order.id, now=NOW)

        again = request_hold(order.id, now=NOW)

        assert len(billing.holds) == 1 and again.hold_attempt == 1

    def test_a_hold_asked_but_never_answered_is_asked_under_the_same_key(
        self, billing: FakeBilling
    ) -> None:
        """A crash between asking and recording the answer: billing's idempotency
        key makes the second ask answer the first hold."""
        order = _order(billing, hold_status=HoldStatus.REQUESTED, hold_attempt=3)

        request_hold(order.id, now=NOW)

        assert list(billing.holds) == [f"order-hold:{order.id}:3"]

    def test_after_a_failed_hold_a_new_attempt_takes_a_new_key(
        self, billing: FakeBilling
    ) -> None:
        order = _order(billing, hold_status=HoldStatus.FAILED, hold_attempt=1)

        held = request_hold(order.id, now=NOW)

        assert list(billing.holds) == [f"order-hold:{order.id}:2"]
        assert held.hold_status == HoldStatus.REQUESTED

    @pytest.mark.parametrize(
        "status", [OrderStatus.ORDERED, OrderStatus.CANCELED, OrderStatus.COMPLETED]
    )
    def test_an_order_past_approval_asks_nothing(
        self, billing: FakeBilling, status: str
    ) -> None:
        order = _order(billing, status=status, expected_arrival=NOW.date())

        request_hold(order.id, now=NOW)

        assert billing.holds == {}


class TestWithoutASavedCard:
    def test_opens_the_checkout_page_in_authorize_mode(
        self, billing: FakeBilling
    ) -> None:
        order = _order(billing, saved_card=False)

        held = request_hold(order.id, now=NOW)

        (hold,) = billing.checkouts
        assert hold.reference == f"order:{order.id}"
        assert held.hold_status == HoldStatus.REQUIRES_ACTION
        assert held.checkout_url.startswith("https://billing.example/checkout/")
        assert held.payment_id is None


class TestWhenBillingFails:
    def test_unreachable_billing_leaves_no_hold_to_ask_again_later(
        self, billing: FakeBilling
    ) -> None:
        order = _order(billing)
        billing.unavailable = True

        held = request_hold(order.id, now=NOW)
        billing.unavailable = False
        again = request_hold(order.id, now=timezone.now())

        assert held.hold_status == HoldStatus.NONE
        assert again.hold_status == HoldStatus.REQUESTED
        assert list(billing.holds) == [f"order-hold:{order.id}:2"]

    def test_a_refusal_fails_the_hold_with_its_message(
        self, billing: FakeBilling
    ) -> None:
        order = _order(billing)
        billing.refuse_with = "payment_in_progress"

        with pytest.raises(BillingRefused):
            request_hold(order.id, now=NOW)

        order.refresh_from_db()
        assert order.hold_status == HoldStatus.FAILED
        assert order.hold_failure == "Refused."
