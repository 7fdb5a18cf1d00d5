"""The CloudPayments adapter authorizes, captures, voids and refunds."""

from __future__ import annotations

import pytest

from billing.money import Money
from payments.gateways.base import (
    GatewayError,
    PayerAccount,
    PaymentGateway,
    PaymentState,
)
from tests.payments.gateways.cloudpayments_adapter.charges import (
    TEN_RUBLES,
    ledger_reference,
    pay,
)
from tests.payments.gateways.sandbox_access import ledger

pytestmark = pytest.mark.sandbox


class TestTwoStepAndRefunds:
    def test_authorize_then_capture_part(
        self, gateway: PaymentGateway, sandbox_url: str, payer: PayerAccount
    ) -> None:
        authorization = pay(gateway, sandbox_url, payer, capture=False)

        gateway.capture(
            gateway_reference=authorization.gateway_reference,
            amount=Money(600, "RUB"),
            idempotency_key="capture:1",
        )

        assert authorization.state is PaymentState.AUTHORIZED
        kinds = [
            (entry["kind"], entry["amount_minor"])
            for entry in ledger(sandbox_url, "cloudpayments")
        ]
        assert kinds == [("authorize", 1000), ("capture", 600)]
        found = gateway.find_payment(reference=ledger_reference(sandbox_url))
        assert found is not None
        assert found.state is PaymentState.SUCCEEDED
        assert found.captured == Money(600, "RUB")

    def test_authorize_then_void(
        self, gateway: PaymentGateway, sandbox_url: str, payer: PayerAccount
    ) -> None:
        authorization = pay(gateway, sandbox_url, payer, capture=False)

        gateway.void(
            gateway_reference=authorization.gateway_reference,
            idempotency_key="void:1",
        )

        kinds = [entry["kind"] for entry in ledger(sandbox_url, "cloudpayments")]
        assert kinds == ["authorize", "void"]
        found = gateway.find_payment(reference=ledger_reference(sandbox_url))
        assert found is not None
        assert found.state is PaymentState.CANCELED
        assert found.captured == Money(0, "RUB")

    def test_capture_of_a_completed_payment_is_our_error(
        self, gateway: PaymentGateway, sandbox_url: str, payer: PayerAccount
    ) -> None:
        payment = pay(gateway, sandbox_url, payer)

        with pytest.raises(GatewayError) as raised:
            gateway.capture(
                gateway_reference=payment.gateway_reference,
                amount=TEN_RUBLES,
                idempotency_key="capture:2",
            )

        assert type(raised.value) is GatewayError

    def test_refunds_in_parts_up_to_the_total_then_refuses(
        self, gateway: PaymentGateway, sandbox_url: str, payer: PayerAccount
    ) -> None:
        payment = pay(gateway, sandbox_url, payer)
        reference = payment.gateway_reference

        first = gateway.refund(
            gateway_reference=reference,
            amount=Money(400, "RUB"),
            idempotency_key="refund:1",
        )
        second = gateway.refund(
            gateway_reference=reference,
            amount=Money(600, "RUB"),
            idempotency_key="refund:2",
        )
        with pytest.raises(GatewayError) as raised:
            gateway.refund(
                gateway_reference=reference,
                amount=Money(1, "RUB"),
                idempotency_key="refund:3",
            )

        assert first.amount == Money(400, "RUB")
        assert second.amount == Money(600, "RUB")
        assert len({first.gateway_reference, second.gateway_reference, reference}) == 3
        assert type(raised.value) is GatewayError
        refunds = [
            entry["amount_minor"]
            for entry in ledger(sandbox_url, "cloudpayments")
            if entry["kind"] == "refund"
        ]
        assert refunds == [400, 600]
        found = gateway.find_payment(reference=ledger_reference(sandbox_url))
        assert found is not None
        assert found.refunded == TEN_RUBLES

    def test_a_repeated_refund_key_refunds_once(
        self, gateway: PaymentGateway, sandbox_url: str, payer: PayerAccount
    ) -> None:
        payment = pay(gateway, sandbox_url, payer)

        answers = [
            gateway.refund(
                gateway_reference=payment.gateway_reference,
                amount=Money(300, "RUB"),
                idempotency_key="refund:same",
            )
            for _ in range(2)
        ]

        assert answers[0] == answers[1]
        refunds = [
            e for e in ledger(sandbox_url, "cloudpayments") if e["kind"] == "refund"
        ]
        assert len(refunds) == 1
