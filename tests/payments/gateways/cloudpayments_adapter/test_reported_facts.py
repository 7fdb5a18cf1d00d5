"""What the CloudPayments adapter reports for the settlement rule to compare: the
InvoiceId, the AccountId and the money the gateway says it took."""

from __future__ import annotations

import urllib.parse

import pytest

from billing.money import Money
from payments.gateways.base import PayerAccount, PaymentGateway, PaymentState
from tests.payments.gateways.cloudpayments_adapter.charges import (
    TEN_RUBLES,
    WITH_3DS,
    challenge_for,
    pa_res,
    pay,
)

pytestmark = pytest.mark.sandbox


class TestReportedFacts:
    def test_a_charge_reports_the_invoice_the_account_and_the_money(
        self, gateway: PaymentGateway, sandbox_url: str, payer: PayerAccount
    ) -> None:
        result = pay(gateway, sandbox_url, payer, reference="payment:facts")

        assert (result.reference, result.account, result.amount) == (
            "payment:facts",
            str(payer.payer_id),
            TEN_RUBLES,
        )

    def test_a_3ds_completion_and_a_look_up_report_them_too(
        self, gateway: PaymentGateway, sandbox_url: str, payer: PayerAccount
    ) -> None:
        challenge = challenge_for(gateway, sandbox_url, payer, WITH_3DS).challenge
        answer = pa_res(sandbox_url, challenge.gateway_reference, "success")

        result = gateway.complete_3ds(
            gateway_reference=challenge.gateway_reference,
            authentication_result=answer,
            amount=TEN_RUBLES,
        )

        assert result.account == str(payer.payer_id)
        assert result.reference is not None
        found = gateway.find_payment(reference=result.reference)
        assert found is not None
        assert (found.account, found.captured) == (str(payer.payer_id), TEN_RUBLES)

    def test_a_capture_reports_what_was_confirmed_and_nothing_more(
        self, gateway: PaymentGateway, sandbox_url: str, payer: PayerAccount
    ) -> None:
        authorization = pay(gateway, sandbox_url, payer, capture=False)

        captured = gateway.capture(
            gateway_reference=authorization.gateway_reference,
            amount=Money(400, "RUB"),
            idempotency_key="capture:facts",
        )

        assert (captured.state, captured.amount) == (
            PaymentState.SUCCEEDED,
            Money(400, "RUB"),
        )
        assert (captured.reference, captured.account) == (None, None)


class TestNotificationFacts:
    @pytest.mark.parametrize(
        ("kind", "fields", "account", "capture"),
        [
            ("pay", {"AccountId": "a-1"}, "a-1", False),
            ("pay", {}, "", False),
            ("confirm", {}, "", True),
            ("fail", {}, None, False),
            ("cancel", {}, None, False),
        ],
    )
    def test_a_money_notification_without_an_account_id_reports_an_empty_one(
        self,
        gateway: PaymentGateway,
        kind: str,
        fields: dict[str, str],
        account: str | None,
        capture: bool,
    ) -> None:
        """A Pay or Confirm names the payer it took money from; a Fail or Cancel
        that does not say is not compared."""
        body = {
            "TransactionId": "7",
            "Amount": "10.00",
            "Currency": "RUB",
            "InvoiceId": "payment:facts",
            **fields,
        }

        event = gateway.parse_webhook(
            kind=kind, body=urllib.parse.urlencode(body).encode()
        )

        assert (event.account, event.capture) == (account, capture)
