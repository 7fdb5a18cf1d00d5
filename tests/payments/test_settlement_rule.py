"""The settlement rule: what a gateway report must say to settle a payment, and what
happens on every path (charge, 3-D Secure, janitor, capture) when it does not."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest

from billing.money import Money
from payments import selectors
from payments.gateways.base import (
    ChargeResult,
    OutcomeUnknown,
    PaymentSnapshot,
    PaymentState,
)
from payments.gateways.fake import FakeGateway
from payments.models import Payment, PaymentStatus
from payments.services import (
    GatewayAnswer,
    apply_gateway_answer,
    capture_payment,
    complete_3ds,
    settle_unknown_payments,
)
from payments.services._settlement_rule import Expected, Reported, mismatch
from tests.payments.factories import (
    ACTOR,
    AMOUNT,
    NOW,
    pay_by_card,
    pay_into_3ds_challenge,
)
from tests.payments.mismatches import mismatch_recorded

pytestmark = pytest.mark.django_db

OURS = Expected(
    gateway_reference="tx-1",
    reference="payment:1",
    account="payer-1",
    amount=Money(1000, "RUB"),
    authorized=False,
)
TAKEN = Reported(
    state=PaymentState.SUCCEEDED,
    gateway_reference="tx-1",
    reference="payment:1",
    account="payer-1",
    amount=Money(1000, "RUB"),
)
LESS = Money(100, AMOUNT.currency)


def _taken(**change: Any) -> Reported:
    """The report of the payment itself, but for `change`."""
    return dataclasses.replace(TAKEN, **change)


class TestMismatch:
    def test_a_report_of_the_payment_itself_matches(self) -> None:
        assert mismatch(OURS, TAKEN) == ""

    @pytest.mark.parametrize(
        ("reported", "reason"),
        [
            (_taken(gateway_reference="tx-2"), "gateway transaction tx-2"),
            (_taken(gateway_reference=None), "gateway transaction None"),
            (_taken(reference="payment:2"), "reference 'payment:2'"),
            (_taken(account="payer-2"), "account 'payer-2'"),
            (_taken(amount=Money(999, "RUB")), "succeeded 9.99 RUB"),
            (_taken(amount=Money(1001, "RUB")), "succeeded 10.01 RUB"),
            (_taken(amount=Money(1000, "USD")), "in another currency"),
            (_taken(amount=None), "without an amount"),
            (_taken(state=PaymentState.AUTHORIZED, amount=LESS), "authorized 1.00"),
        ],
    )
    def test_money_reported_about_anything_else_does_not(
        self, reported: Reported, reason: str
    ) -> None:
        assert reason in mismatch(OURS, reported)

    def test_a_fact_the_report_does_not_carry_is_not_compared(self) -> None:
        """CloudPayments' Confirm answer names no InvoiceId or AccountId."""
        silent = dataclasses.replace(TAKEN, reference=None, account=None)

        assert mismatch(OURS, silent) == ""

    def test_the_account_is_compared_once_ours_is_known(self) -> None:
        """A Stripe payer whose Customer is not stored yet."""
        unknown = dataclasses.replace(OURS, account=None)

        assert mismatch(unknown, dataclasses.replace(TAKEN, account="cus_1")) == ""

    def test_until_it_has_a_transaction_any_of_ours_may_settle_it(self) -> None:
        """A lost reply: the janitor finds the transaction by our reference."""
        lost = dataclasses.replace(OURS, gateway_reference=None)

        assert (
            mismatch(lost, dataclasses.replace(TAKEN, gateway_reference="tx-9")) == ""
        )

    @pytest.mark.parametrize(
        ("authorized", "capture", "captured", "matches"),
        [
            (True, False, Money(400, "RUB"), True),
            (False, True, Money(400, "RUB"), True),
            (False, False, Money(400, "RUB"), False),
            (True, False, Money(1001, "RUB"), False),
            (True, False, Money(400, "USD"), False),
            (True, False, Money(0, "RUB"), False),
        ],
    )
    def test_a_capture_may_take_less_than_the_authorization_and_no_more(
        self, authorized: bool, capture: bool, captured: Money, matches: bool
    ) -> None:
        ours = dataclasses.replace(OURS, authorized=authorized)
        reported = dataclasses.replace(TAKEN, amount=captured, capture=capture)

        assert (mismatch(ours, reported) == "") is matches

    def test_a_decline_of_the_payment_matches_without_an_amount(self) -> None:
        declined = dataclasses.replace(
            TAKEN, state=PaymentState.DECLINED, amount=None, account=None
        )

        assert mismatch(OURS, declined) == ""


class TestChargeAnswer:
    def test_less_than_the_amount_leaves_the_payment_pending_and_recorded(
        self, fake_gateway: FakeGateway
    ) -> None:
        fake_gateway.script(
            "charge", ChargeResult("fake_less", PaymentState.SUCCEEDED, LESS)
        )

        payment = pay_by_card(pays="invoice:77")

        payment.refresh_from_db()
        assert (payment.status, payment.captured_minor) == (PaymentStatus.PENDING, 0)
        assert payment.gateway_reference is None
        assert payment.cryptogram is None
        reason = mismatch_recorded(payment)
        assert reason == f"succeeded {LESS} for a payment of {AMOUNT}"
        assert payment.mismatches.get().reported["amount_minor"] == LESS.amount_minor
        assert list(selectors.mismatched_payments()) == [payment]

    def test_the_same_answer_applied_again_is_recorded_once(
        self, fake_gateway: FakeGateway
    ) -> None:
        """A resent charge is answered again with the same report."""
        fake_gateway.script(
            "charge", ChargeResult("fake_less", PaymentState.SUCCEEDED, LESS)
        )
        payment = pay_by_card()
        again = ChargeResult(
            "fake_less",
            PaymentState.SUCCEEDED,
            LESS,
            reference=f"payment:{payment.id}",
            account=str(payment.payer_id),
        )

        apply_gateway_answer(
            payment_id=payment.id,
            answer=GatewayAnswer(result=again),
            now=NOW,
            actor=ACTOR,
        )

        assert mismatch_recorded(payment).startswith("succeeded 1.00")

    def test_another_account_leaves_the_payment_pending(
        self, fake_gateway: FakeGateway
    ) -> None:
        fake_gateway.script(
            "charge",
            ChargeResult(
                "fake_other", PaymentState.SUCCEEDED, AMOUNT, account="someone-else"
            ),
        )

        payment = pay_by_card()

        payment.refresh_from_db()
        assert payment.status == PaymentStatus.PENDING
        assert mismatch_recorded(payment).startswith("account 'someone-else'")

    def test_a_3ds_completion_reporting_less_leaves_the_challenge(
        self, fake_gateway: FakeGateway
    ) -> None:
        payment = pay_into_3ds_challenge(fake_gateway)
        fake_gateway.script(
            "complete_3ds", ChargeResult("tx-3ds", PaymentState.SUCCEEDED, LESS)
        )

        complete_3ds(
            payment_id=payment.id, authentication_result="PaRes", now=NOW, actor=ACTOR
        )

        payment.refresh_from_db()
        assert payment.status == PaymentStatus.REQUIRES_ACTION
        assert payment.captured_minor == 0
        assert mismatch_recorded(payment).startswith("succeeded 1.00")


class TestJanitor:
    def test_a_find_with_another_amount_is_held_and_not_asked_again(
        self, fake_gateway: FakeGateway
    ) -> None:
        fake_gateway.script("charge", OutcomeUnknown("reply lost"))
        payment = pay_by_card(pays="invoice:78")
        record = _gateway_record(fake_gateway, payment)
        fake_gateway.payments[record.gateway_reference] = dataclasses.replace(
            record, amount=LESS, captured=LESS
        )

        settled = settle_unknown_payments(now=NOW + dt.timedelta(minutes=5))

        payment.refresh_from_db()
        assert settled == 0
        assert (payment.status, payment.captured_minor) == (PaymentStatus.UNKNOWN, 0)
        assert payment.next_outcome_check_at is None
        assert mismatch_recorded(payment).startswith("succeeded 1.00")
        assert settle_unknown_payments(now=NOW + dt.timedelta(days=9)) == 0
        assert len(fake_gateway.calls_to("find_payment")) == 1

    def test_a_find_of_another_payers_transaction_is_held(
        self, fake_gateway: FakeGateway
    ) -> None:
        fake_gateway.script("charge", OutcomeUnknown("reply lost"))
        payment = pay_by_card()
        record = _gateway_record(fake_gateway, payment)
        fake_gateway.payments[record.gateway_reference] = dataclasses.replace(
            record, account="someone-else"
        )

        settle_unknown_payments(now=NOW + dt.timedelta(minutes=5))

        payment.refresh_from_db()
        assert payment.status == PaymentStatus.UNKNOWN
        assert mismatch_recorded(payment).startswith("account 'someone-else'")


class TestCapture:
    def test_a_capture_reported_above_the_authorization_is_held(
        self, fake_gateway: FakeGateway
    ) -> None:
        payment = pay_by_card(capture=False)
        more = Money(AMOUNT.amount_minor + 1, AMOUNT.currency)
        fake_gateway.script(
            "capture",
            ChargeResult(payment.gateway_reference or "", PaymentState.SUCCEEDED, more),
        )

        captured = capture_payment(payment_id=payment.id, now=NOW, actor=ACTOR)

        assert (captured.status, captured.captured_minor) == (
            PaymentStatus.AUTHORIZED,
            0,
        )
        assert mismatch_recorded(captured).startswith("captured 999.01")

    def test_a_partial_capture_is_recorded_as_reported(
        self, fake_gateway: FakeGateway
    ) -> None:
        payment = pay_by_card(capture=False)

        captured = capture_payment(
            payment_id=payment.id, now=NOW, actor=ACTOR, amount=LESS
        )

        assert (captured.status, captured.captured_minor) == (
            PaymentStatus.SUCCEEDED,
            LESS.amount_minor,
        )
        assert not captured.mismatches.exists()


def _gateway_record(fake_gateway: FakeGateway, payment: Payment) -> PaymentSnapshot:
    """The gateway's record of the payment, read without asking the gateway."""
    reference = f"payment:{payment.id}"
    return next(p for p in fake_gateway.payments.values() if p.reference == reference)
