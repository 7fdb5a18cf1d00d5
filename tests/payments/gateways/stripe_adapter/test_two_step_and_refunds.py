"""The Stripe adapter authorizes, captures, voids and refunds."""

from __future__ import annotations

import pytest

from billing.money import Money
from payments.gateways.base import (
    GatewayError,
    PayerAccount,
    PaymentGateway,
    PaymentState,
)
from tests.payments.gateways.sandbox_access import ledger
from tests.payments.gateways.stripe_adapter.charges import TEN_DOLLARS, pay

pytestmark = pytest.mark.sandbox


class TestTwoStepAndRefunds:
    def test_authorize_then_capture_part(
        self, gateway: PaymentGateway, sandbox_url: str, payer: PayerAccount
    ) -> None:
        authorization = pay(gateway, payer, capture=False, reference="payment:two")

        gateway.capture(
            gateway_reference=authorization.gateway_reference,
            amount=Money(700, "USD"),
            idempotency_key="capture:1",
        )

        assert authorization.state is PaymentState.AUTHORIZED
        kinds = [(e["kind"], e["amount_minor"]) for e in ledger(sandbox_url, "stripe")]
        assert kinds == [("authorize", 1000), ("capture", 700)]
        found = gateway.find_payment(reference="payment:two")
        assert found is not None
        assert (found.state, found.captured) == (
            PaymentState.SUCCEEDED,
            Money(700, "USD"),
        )

    def test_authorize_then_void(
        self, gateway: PaymentGateway, sandbox_url: str, payer: PayerAccount
    ) -> None:
        authorization = pay(gateway, payer, capture=False, reference="payment:void")

        gateway.void(
            gateway_reference=authorization.gateway_reference,
            idempotency_key="void:1",
        )

        kinds = [e["kind"] for e in ledger(sandbox_url, "stripe")]
        assert kinds == ["authorize", "void"]
        found = gateway.find_payment(reference="payment:void")
        assert found is not None
        assert found.state is PaymentState.CANCELED
        assert found.refunded == found.captured == Money(0, "USD")

    def test_refunds_in_parts_up_to_the_total_then_refuses(
        self, gateway: PaymentGateway, sandbox_url: str, payer: PayerAccount
    ) -> None:
        payment = pay(gateway, payer, reference="payment:refunds")

        first = gateway.refund(
            gateway_reference=payment.gateway_reference,
            amount=Money(250, "USD"),
            idempotency_key="refund:1",
        )
        second = gateway.refund(
            gateway_reference=payment.gateway_reference,
            amount=Money(750, "USD"),
            idempotency_key="refund:2",
        )
        with pytest.raises(GatewayError) as raised:
            gateway.refund(
                gateway_reference=payment.gateway_reference,
                amount=Money(1, "USD"),
                idempotency_key="refund:3",
            )

        assert first.gateway_reference.startswith("re_")
        assert first.gateway_reference != second.gateway_reference
        assert (first.amount, second.amount) == (Money(250, "USD"), Money(750, "USD"))
        assert type(raised.value) is GatewayError
        refunds = [
            e["amount_minor"]
            for e in ledger(sandbox_url, "stripe")
            if e["kind"] == "refund"
        ]
        assert refunds == [250, 750]
        found = gateway.find_payment(reference="payment:refunds")
        assert found is not None
        assert found.refunded == TEN_DOLLARS
