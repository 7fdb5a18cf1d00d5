"""The Stripe adapter finds payments by our reference and by day."""

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
from payments.gateways.stripe import _operations
from tests.payments.gateways.sandbox_access import set_faults
from tests.payments.gateways.stripe_adapter.charges import TEN_DOLLARS, captures, pay

pytestmark = pytest.mark.sandbox


class TestFindingPayments:
    def test_unknown_reference_is_none(self, gateway: PaymentGateway) -> None:
        assert gateway.find_payment(reference="payment:never-made") is None

    def test_a_declined_payment_is_found_declined(
        self, gateway: PaymentGateway, payer: PayerAccount
    ) -> None:
        with pytest.raises(Declined) as raised:
            pay(
                gateway,
                payer,
                "pm_card_chargeDeclinedInsufficientFunds",
                reference="payment:declined",
            )

        found = gateway.find_payment(reference="payment:declined")

        assert found is not None
        assert found.state is PaymentState.DECLINED
        assert found.decline_code == "insufficient_funds"
        assert found.gateway_reference == raised.value.gateway_reference

    def test_the_newest_attempt_under_a_reference_wins(
        self, gateway: PaymentGateway, payer: PayerAccount
    ) -> None:
        with pytest.raises(Declined):
            pay(
                gateway,
                payer,
                "pm_card_chargeDeclinedInsufficientFunds",
                reference="payment:retried",
            )
        retried = pay(gateway, payer, reference="payment:retried")

        found = gateway.find_payment(reference="payment:retried")

        assert found is not None
        assert (found.gateway_reference, found.state) == (
            retried.gateway_reference,
            PaymentState.SUCCEEDED,
        )

    def test_a_reference_with_quotes_is_searched_exactly(
        self, gateway: PaymentGateway, payer: PayerAccount
    ) -> None:
        paid = pay(gateway, payer, reference="order:o'brien\\1")
        pay(gateway, payer, reference="order:o")

        found = gateway.find_payment(reference="order:o'brien\\1")

        assert found is not None
        assert found.gateway_reference == paid.gateway_reference

    def test_a_dropped_reply_is_unknown_then_found_succeeded_once(
        self, gateway: PaymentGateway, sandbox_url: str, payer: PayerAccount
    ) -> None:
        set_faults(sandbox_url, drop_reply_rate=1)
        with pytest.raises(OutcomeUnknown):
            pay(gateway, payer, reference="payment:dropped")
        set_faults(sandbox_url, drop_reply_rate=0)

        found = gateway.find_payment(reference="payment:dropped")

        assert found is not None
        assert found.state is PaymentState.SUCCEEDED
        assert found.amount == found.captured == TEN_DOLLARS
        [capture] = captures(sandbox_url)
        assert capture["transaction_id"] == found.gateway_reference

    def test_day_operations_page_through_payments_then_refunds(
        self,
        gateway: PaymentGateway,
        payer: PayerAccount,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        monkeypatch.setattr(_operations, "PAGE_SIZE", 2)
        paid = [pay(gateway, payer) for _ in range(3)]
        with pytest.raises(Declined):
            pay(gateway, payer, "pm_card_chargeDeclinedInsufficientFunds")
        refund = gateway.refund(
            gateway_reference=paid[0].gateway_reference,
            amount=Money(100, "USD"),
            idempotency_key="refund:list",
        )
        today = dt.datetime.now(dt.UTC).date()

        pages = list(gateway.day_operations(day=today))
        resumed = list(gateway.day_operations(day=today, cursor=pages[0].next_cursor))

        listed = [s for page in pages for s in page.payments]
        assert {p.gateway_reference for p in paid} <= {
            s.gateway_reference for s in listed
        }
        assert sorted(s.state for s in listed) == sorted(
            [PaymentState.SUCCEEDED] * 3 + [PaymentState.DECLINED]
        )
        [refunded] = [r for page in pages for r in page.refunds]
        assert (refunded.gateway_reference, refunded.payment_reference) == (
            refund.gateway_reference,
            paid[0].gateway_reference,
        )
        assert (refunded.amount, refunded.succeeded) == (Money(100, "USD"), True)
        assert [len(page.payments) for page in pages[:2]] == [2, 2]
        assert pages[-1].next_cursor is None
        assert resumed == pages[1:]
        assert list(gateway.day_operations(day=today + dt.timedelta(days=1))) == []
