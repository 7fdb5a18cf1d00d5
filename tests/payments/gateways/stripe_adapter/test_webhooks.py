"""Stripe webhooks: verified and parsed by the adapter."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import requests
import stripe

from billing.money import Money
from payments.gateways.base import (
    GatewayError,
    InvalidSignature,
    PayerAccount,
    PaymentGateway,
    PaymentState,
)
from tests.gateway_sandbox.sandbox_config import SANDBOX_CONFIG
from tests.gateway_sandbox.stripe_merchant import WebhookReceiver
from tests.payments.gateways.stripe_adapter.charges import TEN_DOLLARS, delivered, pay

pytestmark = pytest.mark.sandbox


class TestWebhooks:
    def test_a_delivered_event_verifies_and_parses(
        self,
        gateway: PaymentGateway,
        sandbox_url: str,
        payer: PayerAccount,
        receiver: WebhookReceiver,
    ) -> None:
        paid = pay(gateway, payer, reference="payment:hooked")
        webhook = delivered(sandbox_url, receiver, "payment_intent.succeeded")

        gateway.verify_webhook(body=webhook.body, headers=webhook.headers)
        event = gateway.parse_webhook(kind="", body=webhook.body)

        raw = json.loads(webhook.body)
        assert event.external_id == raw["id"]
        assert event.type == "stripe.payment_intent.succeeded"
        assert event.gateway_reference == paid.gateway_reference
        assert event.reference == "payment:hooked"
        assert event.state is PaymentState.SUCCEEDED
        assert event.amount == TEN_DOLLARS
        assert raw["data"]["object"]["client_secret"]
        assert "client_secret" not in json.dumps(event.safe_payload)
        token = raw["data"]["object"]["payment_method"]
        assert token.startswith("pm_")
        assert token not in json.dumps(event.safe_payload)

    def test_a_refund_event_names_the_payment(
        self,
        gateway: PaymentGateway,
        sandbox_url: str,
        payer: PayerAccount,
        receiver: WebhookReceiver,
    ) -> None:
        paid = pay(gateway, payer)
        gateway.refund(
            gateway_reference=paid.gateway_reference,
            amount=Money(300, "USD"),
            idempotency_key="refund:hook",
        )
        webhook = delivered(sandbox_url, receiver, "refund.created")

        gateway.verify_webhook(body=webhook.body, headers=webhook.headers)
        event = gateway.parse_webhook(kind="", body=webhook.body)

        assert event.gateway_reference == paid.gateway_reference
        assert event.amount == Money(300, "USD")
        assert event.state is None

    @pytest.mark.parametrize("tamper", ["body", "missing header", "wrong secret"])
    def test_tampering_is_refused(
        self,
        gateway: PaymentGateway,
        sandbox_url: str,
        payer: PayerAccount,
        receiver: WebhookReceiver,
        tamper: str,
    ) -> None:
        pay(gateway, payer)
        webhook = delivered(sandbox_url, receiver, "payment_intent.succeeded")
        body, headers = webhook.body, dict(webhook.headers)
        if tamper == "body":
            body = body.replace(b'"amount": 1000', b'"amount": 1')
            assert body != webhook.body
        elif tamper == "missing header":
            headers = {k: v for k, v in headers.items() if k != "Stripe-Signature"}
        else:
            signature = headers["Stripe-Signature"]
            timestamp = signature.split(",")[0].removeprefix("t=")
            headers["Stripe-Signature"] = f"t={timestamp},v1={'0' * 64}"

        with pytest.raises(InvalidSignature):
            gateway.verify_webhook(body=body, headers=headers)

    def test_a_signature_older_than_five_minutes_is_refused(
        self,
        gateway: PaymentGateway,
        sandbox_url: str,
        payer: PayerAccount,
        receiver: WebhookReceiver,
    ) -> None:
        past = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=301 + 5)
        response = requests.post(
            f"{sandbox_url}/__sandbox/clock", json={"now": past.isoformat()}, timeout=5
        )
        response.raise_for_status()
        pay(gateway, payer)
        webhook = delivered(sandbox_url, receiver, "payment_intent.succeeded")

        with pytest.raises(InvalidSignature):
            gateway.verify_webhook(body=webhook.body, headers=webhook.headers)
        # The signature itself is right: only its age is refused.
        assert stripe.WebhookSignature.verify_header(
            webhook.body.decode(),
            webhook.headers["Stripe-Signature"],
            SANDBOX_CONFIG.stripe_webhook_secret,
            tolerance=None,
        )

    def test_a_body_that_is_not_an_event_is_an_error(
        self, gateway: PaymentGateway
    ) -> None:
        for body in (b"not json", b"[]", b'{"object": "payment_intent"}'):
            with pytest.raises(GatewayError):
                gateway.parse_webhook(kind="", body=body)
