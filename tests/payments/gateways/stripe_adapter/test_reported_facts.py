"""What the Stripe adapter reports for the settlement rule to compare: the
reference in the metadata, the Customer and the amount received."""

from __future__ import annotations

import json

import pytest

from billing.money import Money
from payments.gateways.base import PayerAccount, PaymentGateway, PaymentState
from tests.payments.gateways.stripe_adapter.charges import TEN_DOLLARS, pay

pytestmark = pytest.mark.sandbox


class TestReportedFacts:
    def test_a_charge_reports_the_reference_the_customer_and_the_money(
        self, gateway: PaymentGateway, sandbox_url: str, payer: PayerAccount
    ) -> None:
        result = pay(gateway, payer, reference="payment:facts")

        assert (result.reference, result.account, result.amount) == (
            "payment:facts",
            payer.customer_reference,
            TEN_DOLLARS,
        )

    def test_a_partial_capture_reports_the_amount_received(
        self, gateway: PaymentGateway, sandbox_url: str, payer: PayerAccount
    ) -> None:
        authorization = pay(gateway, payer, capture=False, reference="payment:part")

        captured = gateway.capture(
            gateway_reference=authorization.gateway_reference,
            amount=Money(400, "USD"),
            idempotency_key="capture:facts",
        )

        assert (captured.state, captured.amount, captured.reference) == (
            PaymentState.SUCCEEDED,
            Money(400, "USD"),
            "payment:part",
        )
        found = gateway.find_payment(reference="payment:part")
        assert found is not None
        assert (found.captured, found.capture, found.account) == (
            Money(400, "USD"),
            True,
            payer.customer_reference,
        )


class TestEventFacts:
    def test_a_succeeded_intent_reports_what_it_received_and_from_whom(
        self, gateway: PaymentGateway
    ) -> None:
        intent = {
            "id": "pi_facts",
            "object": "payment_intent",
            "amount": 1000,
            "amount_received": 400,
            "capture_method": "manual",
            "currency": "usd",
            "customer": {"id": "cus_facts", "object": "customer"},
            "status": "succeeded",
            "metadata": {"reference": "payment:facts"},
        }
        body = {
            "id": "evt_facts",
            "object": "event",
            "type": "payment_intent.succeeded",
            "data": {"object": intent},
        }

        event = gateway.parse_webhook(kind="", body=json.dumps(body).encode())

        assert (event.amount, event.account, event.capture) == (
            Money(400, "USD"),
            "cus_facts",
            True,
        )
