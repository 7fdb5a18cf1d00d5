"""The janitors: abandoned 3-D Secure challenges and refunds whose outcome is lost."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from billing.models import BillingEvent, StatusChange
from billing.money import Money
from payments.gateways.base import OutcomeUnknown
from payments.gateways.fake import FakeGateway
from payments.models import Payment, PaymentStatus, Refund, RefundStatus
from payments.services import (
    expire_stale_payments,
    refund_payment,
    settle_unknown_payments,
    settle_unknown_refunds,
)
from tests.payments.factories import (
    ACTOR,
    AMOUNT,
    NOW,
    pay_by_card,
    pay_into_3ds_challenge,
)

pytestmark = pytest.mark.django_db

# One moment on each day of the back-off schedule (5 min, 1 h, then daily), and a
# day more: enough for every scheduled check to fall due.
SCHEDULE = [dt.timedelta(days=day, hours=2) for day in range(6)]


def _lost_refund(fake_gateway: FakeGateway, payment: Payment, amount: Money) -> Refund:
    fake_gateway.script("refund", OutcomeUnknown("reply lost"))
    return refund_payment(
        payment_id=payment.id,
        amount=amount,
        reason="OTHER",
        requested_by=ACTOR,
        now=NOW,
    )


def _forget_refunds(fake_gateway: FakeGateway, payment: Payment) -> None:
    """Make the gateway's record show no refund: the request itself was lost."""
    reference = payment.gateway_reference or ""
    fake_gateway.payments[reference] = dataclasses.replace(
        fake_gateway.payments[reference], refunded=Money.zero(AMOUNT.currency)
    )


class TestAbandonedChallenge:
    def test_goes_to_the_janitor_after_an_hour_and_not_before(
        self, fake_gateway: FakeGateway
    ) -> None:
        """A challenge unanswered for an hour becomes UNKNOWN, checked 5 min later."""
        payment = pay_into_3ds_challenge(fake_gateway)

        expire_stale_payments(now=NOW + dt.timedelta(minutes=59))
        waiting = Payment.objects.get(id=payment.id).status
        expire_stale_payments(now=NOW + dt.timedelta(hours=1))

        payment.refresh_from_db()
        assert waiting == PaymentStatus.REQUIRES_ACTION
        assert payment.status == PaymentStatus.UNKNOWN
        assert payment.next_outcome_check_at == NOW + dt.timedelta(hours=1, minutes=5)
        change = StatusChange.objects.get(
            object_id=str(payment.id), to_status=PaymentStatus.UNKNOWN
        )
        assert (change.actor, change.reason) == (
            "system:janitor",
            "3-D Secure not completed",
        )

    def test_succeeds_when_the_payer_finished_at_the_gateway(
        self, fake_gateway: FakeGateway
    ) -> None:
        """A payer who authenticated but never came back is not failed."""
        payment = pay_into_3ds_challenge(fake_gateway)
        fake_gateway.complete_3ds(
            gateway_reference="tx-3ds", authentication_result="pares", amount=AMOUNT
        )

        expire_stale_payments(now=NOW + dt.timedelta(hours=1))
        settled = settle_unknown_payments(now=NOW + dt.timedelta(hours=1, minutes=5))

        payment.refresh_from_db()
        assert settled == 1
        assert payment.status == PaymentStatus.SUCCEEDED
        assert payment.captured_minor == AMOUNT.amount_minor

    def test_fails_as_abandoned_once_the_schedule_is_over(
        self, fake_gateway: FakeGateway
    ) -> None:
        """Still waiting at the gateway at the last check: authentication_abandoned."""
        payment = pay_into_3ds_challenge(fake_gateway)

        expire_stale_payments(now=NOW + dt.timedelta(hours=1))
        for moment in SCHEDULE[:-2]:
            settle_unknown_payments(now=NOW + moment)
        still_unknown = Payment.objects.get(id=payment.id).status
        for moment in SCHEDULE[-2:]:
            settle_unknown_payments(now=NOW + moment)

        payment.refresh_from_db()
        assert still_unknown == PaymentStatus.UNKNOWN
        assert payment.status == PaymentStatus.FAILED
        assert payment.failure_code == "authentication_abandoned"
        assert payment.outcome_checks == 5
        assert payment.action is None


class TestSettleUnknownRefunds:
    def test_a_refund_the_gateway_made_is_recorded_once(
        self, fake_gateway: FakeGateway
    ) -> None:
        """The gateway's refunded total covers the refund: SUCCEEDED, one event."""
        payment = pay_by_card()
        refund = _lost_refund(fake_gateway, payment, Money(40_000, "RUB"))

        early = settle_unknown_refunds(now=NOW + dt.timedelta(minutes=4))
        settled = settle_unknown_refunds(now=NOW + dt.timedelta(minutes=5))
        again = settle_unknown_refunds(now=NOW + dt.timedelta(days=2))

        refund.refresh_from_db()
        payment.refresh_from_db()
        assert (early, settled, again) == (0, 1, 0)
        assert refund.status == RefundStatus.SUCCEEDED
        assert refund.gateway_reference is None
        assert refund.next_check_at is None
        assert payment.refunded_minor == 40_000
        assert BillingEvent.objects.filter(type="payment.refunded").count() == 1
        assert len(fake_gateway.calls_to("refund")) == 1

    def test_an_earlier_refund_does_not_vouch_for_a_later_one(
        self, fake_gateway: FakeGateway
    ) -> None:
        """Only refunded money beyond our succeeded refunds can be this refund."""
        payment = pay_by_card()
        refund_payment(
            payment_id=payment.id,
            amount=Money(40_000, "RUB"),
            reason="OTHER",
            requested_by=ACTOR,
            now=NOW,
        )
        lost = _lost_refund(fake_gateway, payment, Money(20_000, "RUB"))
        reference = payment.gateway_reference or ""
        fake_gateway.payments[reference] = dataclasses.replace(
            fake_gateway.payments[reference], refunded=Money(40_000, "RUB")
        )

        settled = settle_unknown_refunds(now=NOW + dt.timedelta(minutes=5))

        lost.refresh_from_db()
        assert settled == 0
        assert lost.status == RefundStatus.UNKNOWN
        assert lost.checks == 1

    def test_a_refund_the_gateway_never_made_fails_after_the_schedule(
        self, fake_gateway: FakeGateway
    ) -> None:
        """FAILED not_at_gateway at the last check, and the amount is free again."""
        payment = pay_by_card()
        refund = _lost_refund(fake_gateway, payment, AMOUNT)
        _forget_refunds(fake_gateway, payment)

        for moment in SCHEDULE[:-2]:
            settle_unknown_refunds(now=NOW + moment)
        still_unknown = Refund.objects.get(id=refund.id).status
        for moment in SCHEDULE[-2:]:
            settle_unknown_refunds(now=NOW + moment)
        again = refund_payment(
            payment_id=payment.id, reason="OTHER", requested_by=ACTOR, now=NOW
        )

        refund.refresh_from_db()
        payment.refresh_from_db()
        assert still_unknown == RefundStatus.UNKNOWN
        assert refund.status == RefundStatus.FAILED
        assert refund.failure_code == "not_at_gateway"
        assert refund.checks == 5
        assert again.status == RefundStatus.SUCCEEDED
        assert payment.refunded_minor == AMOUNT.amount_minor

    def test_a_partial_refund_is_never_failed_on_an_all_or_nothing_total(
        self, fake_gateway: FakeGateway
    ) -> None:
        """CloudPayments shows no partial refund: the refund stays for a person."""
        fake_gateway.reports_partial_refunds = False
        payment = pay_by_card()
        refund = _lost_refund(fake_gateway, payment, Money(40_000, "RUB"))
        _forget_refunds(fake_gateway, payment)

        for moment in SCHEDULE:
            settle_unknown_refunds(now=NOW + moment)

        refund.refresh_from_db()
        assert refund.status == RefundStatus.UNKNOWN
        assert refund.next_check_at is None
        assert refund.checks == 5
