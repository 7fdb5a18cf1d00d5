"""Authorize, confirm, void, the 7-day automatic void, and refunds (A3.4-A3.6, A7)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from cloudpayments import CloudPayments, CloudPaymentsError
from cloudpayments.models import Transaction

from gateway_sandbox.app import Sandbox
from tests.gateway_sandbox.cloudpayments_merchant import (
    advance_clock,
    cryptogram,
    gateway_of,
    ledger,
)
from tests.polling import wait_until


@pytest.fixture
def client(cloudpayments_client: CloudPayments) -> CloudPayments:
    return cloudpayments_client


def authorize(client: CloudPayments, amount: float = 100) -> Transaction:
    return client.charge_card(
        cryptogram("4000000000003055"),
        amount,
        "RUB",
        "IVAN PETROV",
        "203.0.113.7",
        invoice_id="order-1",
        account_id="acc-1",
        require_confirmation=True,
    )


def charge(client: CloudPayments, amount: float = 100) -> Transaction:
    return client.charge_card(
        cryptogram("4000000000003055"),
        amount,
        "RUB",
        "IVAN",
        "203.0.113.7",
        invoice_id="order-2",
    )


def kinds(sandbox_url: str) -> list[tuple[str, int]]:
    return [(e["kind"], e["amount_minor"]) for e in ledger(sandbox_url)["entries"]]


class TestAuthorize:
    def test_holds_the_money_without_capturing_it(
        self, client: CloudPayments, sandbox_url: str
    ) -> None:
        transaction = authorize(client)

        assert transaction.status == "Authorized"
        assert transaction.status_code == 2
        assert transaction.auth_date is not None
        assert transaction.confirm_date is None
        assert transaction.token.startswith("tk_")
        assert kinds(sandbox_url) == [("authorize", 10000)]
        assert ledger(sandbox_url)["totals"]["RUB"]["captured_minor"] == 0


class TestConfirm:
    def test_captures_the_full_amount(
        self, client: CloudPayments, sandbox_url: str
    ) -> None:
        transaction = authorize(client)

        result = client.confirm_payment(transaction.id, 100)

        confirmed = client.get_transaction(transaction.id)
        assert result is None
        assert confirmed.status == "Completed"
        assert confirmed.confirm_date is not None
        assert kinds(sandbox_url) == [("authorize", 10000), ("capture", 10000)]

    def test_captures_part_of_the_authorization(
        self, client: CloudPayments, sandbox_url: str
    ) -> None:
        transaction = authorize(client)

        client.confirm_payment(transaction.id, 60.5)

        assert client.get_transaction(transaction.id).amount == Decimal("60.50")
        assert kinds(sandbox_url)[-1] == ("capture", 6050)

    def test_refuses_more_than_was_authorized(self, client: CloudPayments) -> None:
        transaction = authorize(client)

        with pytest.raises(CloudPaymentsError, match="more than the authorized"):
            client.confirm_payment(transaction.id, 100.01)

        assert client.get_transaction(transaction.id).status == "Authorized"

    def test_refuses_a_second_confirm(self, client: CloudPayments) -> None:
        transaction = authorize(client)
        client.confirm_payment(transaction.id, 100)

        with pytest.raises(CloudPaymentsError, match="its status is Completed"):
            client.confirm_payment(transaction.id, 100)

    def test_refuses_a_one_stage_payment(self, client: CloudPayments) -> None:
        transaction = charge(client)

        with pytest.raises(CloudPaymentsError, match="cannot be confirmed"):
            client.confirm_payment(transaction.id, 100)


class TestVoid:
    def test_cancels_an_authorization(
        self, client: CloudPayments, sandbox_url: str
    ) -> None:
        transaction = authorize(client)

        client.void_payment(transaction.id)

        assert client.get_transaction(transaction.id).status == "Cancelled"
        assert client.get_transaction(transaction.id).status_code == 4
        assert kinds(sandbox_url) == [("authorize", 10000), ("void", 10000)]

    def test_refuses_a_completed_payment(self, client: CloudPayments) -> None:
        transaction = authorize(client)
        client.confirm_payment(transaction.id, 100)

        with pytest.raises(CloudPaymentsError, match="cannot be voided"):
            client.void_payment(transaction.id)

    def test_a_voided_payment_cannot_be_confirmed(self, client: CloudPayments) -> None:
        transaction = authorize(client)
        client.void_payment(transaction.id)

        with pytest.raises(CloudPaymentsError, match="its status is Cancelled"):
            client.confirm_payment(transaction.id, 100)

    def test_voids_unconfirmed_authorizations_after_seven_days(
        self, client: CloudPayments, sandbox_url: str
    ) -> None:
        """The gateway cancels an authorization nobody confirmed within 7 days."""
        transaction = authorize(client)
        advance_clock(sandbox_url, dt.timedelta(days=6, hours=23).total_seconds())
        still_held = client.get_transaction(transaction.id).status

        advance_clock(sandbox_url, dt.timedelta(hours=1).total_seconds())

        assert still_held == "Authorized"
        wait_until(
            lambda: ("void", 10000) in kinds(sandbox_url),
            message="the stale authorization was not voided",
        )
        assert client.get_transaction(transaction.id).status == "Cancelled"
        with pytest.raises(CloudPaymentsError):
            client.confirm_payment(transaction.id, 100)


class TestRefund:
    def test_refunds_in_parts_then_marks_the_payment_refunded(
        self, client: CloudPayments, sandbox_url: str
    ) -> None:
        payment = charge(client)

        first = client.refund(payment.id, 30)
        not_yet = client.get_transaction(payment.id)
        second = client.refund(payment.id, 70)

        refund = client.get_transaction(second)
        assert first != second
        assert payment.id not in (first, second)
        assert refund.amount == Decimal("70")
        assert refund.status == "Completed"
        assert kinds(sandbox_url) == [
            ("capture", 10000),
            ("refund", 3000),
            ("refund", 7000),
        ]
        assert ledger(sandbox_url)["totals"]["RUB"] == {
            "captured_minor": 10000,
            "refunded_minor": 10000,
        }
        assert not_yet.status == "Completed"

    def test_marks_refunded_only_when_fully_refunded(
        self, client: CloudPayments, sandbox_url: str, sandbox: Sandbox
    ) -> None:
        payment = charge(client)
        store = gateway_of(sandbox).transactions

        client.refund(payment.id, 99.99)
        partly = store.get(payment.id)
        assert partly is not None and partly.as_model()["Refunded"] is False
        client.refund(payment.id, 0.01)

        fully = store.get(payment.id)
        assert fully is not None and fully.as_model()["Refunded"] is True

    def test_refuses_more_than_the_unrefunded_remainder(
        self, client: CloudPayments, sandbox_url: str
    ) -> None:
        payment = charge(client)
        client.refund(payment.id, 60)

        with pytest.raises(
            CloudPaymentsError, match=r"more than the refundable 40\.00"
        ):
            client.refund(payment.id, 40.01)

        assert kinds(sandbox_url) == [("capture", 10000), ("refund", 6000)]

    def test_refuses_an_authorization(self, client: CloudPayments) -> None:
        transaction = authorize(client)

        with pytest.raises(CloudPaymentsError, match="cannot be refunded"):
            client.refund(transaction.id, 10)

    def test_refunds_a_partly_confirmed_payment_up_to_the_captured_amount(
        self, client: CloudPayments
    ) -> None:
        transaction = authorize(client)
        client.confirm_payment(transaction.id, 50)

        with pytest.raises(CloudPaymentsError):
            client.refund(transaction.id, 50.01)
        refund_id = client.refund(transaction.id, 50)

        assert client.get_transaction(refund_id).amount == Decimal("50")

    def test_refuses_to_refund_a_refund(self, client: CloudPayments) -> None:
        payment = charge(client)
        refund_id = client.refund(payment.id, 10)

        with pytest.raises(CloudPaymentsError, match="is a refund"):
            client.refund(refund_id, 1)
