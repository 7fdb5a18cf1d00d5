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
from payments.gateways.cloudpayments import _operations
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

    def test_day_operations_hold_payments_and_refunds(
        self, gateway: PaymentGateway, sandbox_url: str, payer: PayerAccount
    ) -> None:
        paid = pay(gateway, sandbox_url, payer)
        refund = gateway.refund(
            gateway_reference=paid.gateway_reference,
            amount=Money(100, "RUB"),
            idempotency_key="refund:list",
        )
        with pytest.raises(Declined):
            pay(gateway, sandbox_url, payer, INSUFFICIENT_FUNDS)
        today = dt.datetime.now(dt.UTC).date()

        [page] = gateway.day_operations(day=today)

        states = sorted(snapshot.state for snapshot in page.payments)
        assert states == sorted([PaymentState.SUCCEEDED, PaymentState.DECLINED])
        assert paid.gateway_reference in {s.gateway_reference for s in page.payments}
        [refunded] = page.refunds
        assert (refunded.gateway_reference, refunded.payment_reference) == (
            refund.gateway_reference,
            paid.gateway_reference,
        )
        assert (refunded.amount, page.next_cursor) == (Money(100, "RUB"), None)
        assert list(gateway.day_operations(day=today - dt.timedelta(days=1))) == []

    def test_day_operations_go_on_to_the_next_page(
        self,
        gateway: PaymentGateway,
        sandbox_url: str,
        payer: PayerAccount,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        monkeypatch.setattr(_operations, "PAGE_SIZE", 1)
        pay(gateway, sandbox_url, payer)
        today = dt.datetime.now(dt.UTC).date()

        pages = list(gateway.day_operations(day=today))

        # A full page (the gateway's 100, here patched to 1) may have a next one.
        assert [p.next_cursor for p in pages] == ["2"]
