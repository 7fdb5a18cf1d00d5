"""The CloudPayments adapter finds payments by our reference and by day."""

from __future__ import annotations

import datetime as dt

import pytest

from billing.money import Money
from payments.gateways.base import (
    Declined,
    OutcomeUnknown,
    PayerAccount,
    PaymentGateway,
    PaymentState,
)
from tests.payments.gateways.cloudpayments_adapter.charges import (
    INSUFFICIENT_FUNDS,
    TEN_RUBLES,
    pay,
)
from tests.payments.gateways.sandbox_access import ledger, set_faults

pytestmark = pytest.mark.sandbox


class TestFindingPayments:
    def test_unknown_reference_is_none(self, gateway: PaymentGateway) -> None:
        assert gateway.find_payment(reference="payment:never-made") is None

    def test_a_declined_payment_is_found_declined(
        self, gateway: PaymentGateway, sandbox_url: str, payer: PayerAccount
    ) -> None:
        with pytest.raises(Declined) as raised:
            pay(gateway, sandbox_url, payer, INSUFFICIENT_FUNDS, reference="pay:d1")

        found = gateway.find_payment(reference="pay:d1")

        assert found is not None
        assert found.state is PaymentState.DECLINED
        assert found.decline_code == "5051"
        assert found.gateway_reference == raised.value.gateway_reference
        assert found.captured == Money(0, "RUB")

    def test_a_dropped_reply_is_unknown_then_found_succeeded_once(
        self, gateway: PaymentGateway, sandbox_url: str, payer: PayerAccount
    ) -> None:
        set_faults(sandbox_url, drop_reply_rate=1)
        with pytest.raises(OutcomeUnknown):
            pay(gateway, sandbox_url, payer, reference="payment:dropped")
        set_faults(sandbox_url, drop_reply_rate=0)

        found = gateway.find_payment(reference="payment:dropped")

        assert found is not None
        assert found.state is PaymentState.SUCCEEDED
        assert found.amount == found.captured == TEN_RUBLES
        assert found.token
        captures = [
            e for e in ledger(sandbox_url, "cloudpayments") if e["kind"] == "capture"
        ]
        assert len(captures) == 1
        assert captures[0]["transaction_id"] == found.gateway_reference

    def test_list_payments_of_the_day_leaves_refunds_out(
        self, gateway: PaymentGateway, sandbox_url: str, payer: PayerAccount
    ) -> None:
        paid = pay(gateway, sandbox_url, payer)
        gateway.refund(
            gateway_reference=paid.gateway_reference,
            amount=Money(100, "RUB"),
            idempotency_key="refund:list",
        )
        with pytest.raises(Declined):
            pay(gateway, sandbox_url, payer, INSUFFICIENT_FUNDS)
        today = dt.datetime.now(dt.UTC).date()

        listed = gateway.list_payments(day=today)
        yesterday = gateway.list_payments(day=today - dt.timedelta(days=1))

        states = sorted(snapshot.state for snapshot in listed)
        assert states == sorted([PaymentState.SUCCEEDED, PaymentState.DECLINED])
        assert paid.gateway_reference in {s.gateway_reference for s in listed}
        assert yesterday == []
