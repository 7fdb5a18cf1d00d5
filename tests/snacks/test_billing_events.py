"""`apply_billing_event`: what billing's events tell the shop about its holds."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest

from snacks.models import (
    BillingEventCursor,
    HoldStatus,
    Order,
    OrderStatus,
    OrderTask,
    OrderTaskKind,
)
from snacks.services import BillingEventCursors, apply_billing_event
from tests.snacks.factories import OrderFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 12, 7, 12, 0, tzinfo=dt.UTC)
# CloudPayments writes its messages to the cardholder in Russian.
INSUFFICIENT_FUNDS_RU = "Недостаточно средств на карте"
CALL_YOUR_BANK_RU = "Свяжитесь с вашим банком"  # noqa: RUF001 - Cyrillic on purpose


def _payload(order: Order, payment_id: uuid.UUID, **facts: Any) -> dict[str, Any]:
    """A `payment.*` payload (version 1) of a payment that pays `order`."""
    return {
        "payment_id": str(payment_id),
        "payer_id": str(order.member_id),
        "kind": "ORDER",
        "amount_minor": order.amount_minor,
        "currency": order.currency,
        "pays": order.reference,
        "failure_code": "",
        "failure_message": "",
        **facts,
    }


def _ordered(payment_id: uuid.UUID) -> Order:
    """An order an admin moved to ORDERED while `payment_id` held it."""
    return OrderFactory.create(
        status=OrderStatus.ORDERED,
        expected_arrival=NOW.date(),
        hold_status=HoldStatus.AUTHORIZED,
        payment_id=payment_id,
    )


def _work(order: Order) -> list[str]:
    return sorted(OrderTask.objects.filter(order=order).values_list("kind", flat=True))


class TestHoldNews:
    def test_an_authorized_hold_names_the_payment_and_sends_the_confirmation(
        self,
    ) -> None:
        order = OrderFactory.create(hold_status=HoldStatus.REQUIRES_ACTION)
        payment_id = uuid.uuid4()

        applied = apply_billing_event(
            "payment.authorized", _payload(order, payment_id), now=NOW
        )

        assert applied is not None
        order.refresh_from_db()
        assert (order.hold_status, order.payment_id) == (
            HoldStatus.AUTHORIZED,
            payment_id,
        )
        assert _work(order) == [OrderTaskKind.CONFIRMATION_EMAIL]

    def test_a_captured_hold_makes_the_invoice(self) -> None:
        payment_id = uuid.uuid4()
        order = _ordered(payment_id)

        apply_billing_event("payment.captured", _payload(order, payment_id), now=NOW)

        order.refresh_from_db()
        assert order.hold_status == HoldStatus.CAPTURED
        assert _work(order) == [OrderTaskKind.INVOICE_PDF]

    def test_the_same_event_twice_changes_nothing_more(self) -> None:
        order = OrderFactory.create(hold_status=HoldStatus.REQUESTED)
        payload = _payload(order, uuid.uuid4())
        apply_billing_event("payment.authorized", payload, now=NOW)

        again = apply_billing_event("payment.authorized", payload, now=NOW)

        assert again is None
        assert OrderTask.objects.filter(order=order).count() == 1

    def test_a_late_authorization_never_takes_back_a_capture(self) -> None:
        payment_id = uuid.uuid4()
        order = OrderFactory.create(
            hold_status=HoldStatus.CAPTURED, payment_id=payment_id
        )

        apply_billing_event("payment.authorized", _payload(order, payment_id), now=NOW)

        order.refresh_from_db()
        assert order.hold_status == HoldStatus.CAPTURED


class TestADeclinedHold:
    @pytest.mark.parametrize("status", [OrderStatus.CREATED, OrderStatus.APPROVED])
    def test_cancels_an_order_not_ordered_yet_with_the_reason(
        self, status: str
    ) -> None:
        order = OrderFactory.create(status=status, hold_status=HoldStatus.REQUESTED)

        apply_billing_event(
            "payment.failed",
            _payload(order, uuid.uuid4(), failure_message="Insufficient funds"),
            now=NOW,
        )

        order.refresh_from_db()
        assert order.status == OrderStatus.CANCELED
        assert order.hold_status == HoldStatus.FAILED
        assert "Insufficient funds" in order.cancel_reason
        assert order.canceled_at == NOW
        (move,) = order.status_changes.all()
        assert (move.to_status, move.actor_id, move.actor_label) == (
            OrderStatus.CANCELED,
            None,
            "billing",
        )

    @pytest.mark.parametrize(
        ("code", "message", "reason"),
        [
            ("5051", INSUFFICIENT_FUNDS_RU, "insufficient funds"),
            (
                "insufficient_funds",
                "Your card has insufficient funds.",
                "insufficient funds",
            ),
            ("5999", CALL_YOUR_BANK_RU, "the bank's reason code 5999"),
            ("weird_code", "Your card was declined.", "Your card was declined."),
        ],
    )
    def test_keeps_the_reason_in_the_shops_english(
        self, code: str, message: str, reason: str
    ) -> None:
        order = OrderFactory.create(hold_status=HoldStatus.REQUESTED)
        payload = _payload(
            order, uuid.uuid4(), failure_code=code, failure_message=message
        )

        apply_billing_event("payment.failed", payload, now=NOW)

        order.refresh_from_db()
        assert order.hold_failure == reason
        assert order.cancel_reason == f"The card was not authorized: {reason}"

    def test_flags_an_ordered_order_whose_capture_failed(self) -> None:
        payment_id = uuid.uuid4()
        order = _ordered(payment_id)

        apply_billing_event("payment.failed", _payload(order, payment_id), now=NOW)

        order.refresh_from_db()
        assert order.status == OrderStatus.ORDERED
        assert order.needs_attention.startswith("The payment failed")


class TestHoldsThatCameTooLate:
    def test_a_hold_paid_after_the_order_was_canceled_is_voided(self) -> None:
        """The member paid the checkout page after canceling the order."""
        order = OrderFactory.create(
            status=OrderStatus.CANCELED, hold_status=HoldStatus.REQUIRES_ACTION
        )
        payment_id = uuid.uuid4()

        apply_billing_event("payment.authorized", _payload(order, payment_id), now=NOW)

        void = OrderTask.objects.get(order=order, kind=OrderTaskKind.VOID_HOLD)
        assert void.subject == str(payment_id)
        assert _work(order) == [OrderTaskKind.VOID_HOLD]

    def test_a_stray_hold_on_the_orders_reference_is_voided_once(self) -> None:
        order = OrderFactory.create(
            hold_status=HoldStatus.AUTHORIZED, payment_id=uuid.uuid4()
        )
        stray = uuid.uuid4()

        for _ in range(2):
            apply_billing_event("payment.authorized", _payload(order, stray), now=NOW)

        voids = OrderTask.objects.filter(order=order, kind=OrderTaskKind.VOID_HOLD)
        assert list(voids.values_list("subject", flat=True)) == [str(stray)]
        order.refresh_from_db()
        assert order.hold_status == HoldStatus.AUTHORIZED


class TestNewsNotAboutTheHold:
    def test_another_payment_than_the_orders_is_ignored(self) -> None:
        order = OrderFactory.create(
            hold_status=HoldStatus.AUTHORIZED, payment_id=uuid.uuid4()
        )

        applied = apply_billing_event(
            "payment.voided", _payload(order, uuid.uuid4()), now=NOW
        )

        assert applied is None
        order.refresh_from_db()
        assert order.hold_status == HoldStatus.AUTHORIZED

    def test_a_hold_an_edit_replaced_is_ignored(self) -> None:
        """An edit voids the old hold and asks anew: the old one's news is old."""
        order = OrderFactory.create(hold_status=HoldStatus.REQUESTED)
        replaced = uuid.uuid4()
        OrderTask.objects.create(
            order=order,
            kind=OrderTaskKind.VOID_HOLD,
            subject=str(replaced),
            created_at=NOW,
        )

        applied = apply_billing_event(
            "payment.authorized", _payload(order, replaced), now=NOW
        )

        assert applied is None

    @pytest.mark.parametrize(
        ("event_type", "pays"),
        [
            ("payment.authorized", "invoice:42"),
            ("payment.authorized", "order:not-a-uuid"),
            ("payment.authorized", f"order:{uuid.uuid4()}"),
            ("subscription.renewed", None),
        ],
    )
    def test_events_of_no_order_of_the_shop_are_ignored(
        self, event_type: str, pays: str | None
    ) -> None:
        order = OrderFactory.create(hold_status=HoldStatus.REQUESTED)
        payload = _payload(order, uuid.uuid4())
        if pays is not None:
            payload["pays"] = pays

        assert apply_billing_event(event_type, payload, now=NOW) is None
        order.refresh_from_db()
        assert order.hold_status == HoldStatus.REQUESTED


class TestCursors:
    def test_start_at_zero_and_keep_the_last_saved_cursor(self) -> None:
        cursors = BillingEventCursors("shop", clock=lambda: NOW)
        assert cursors.load() == 0

        cursors.save(41)
        cursors.save(42)

        assert cursors.load() == 42
        assert BillingEventCursor.objects.get(consumer="shop").updated_at == NOW

    def test_each_consumer_has_its_own(self) -> None:
        BillingEventCursors("shop", clock=lambda: NOW).save(7)

        assert BillingEventCursors("reports", clock=lambda: NOW).load() == 0
