"""Test payment methods, and charges and 3-D Secure answers as Stripe.js and the
bank would make them, against the Stripe sandbox."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

from billing.money import Money
from payments.gateways.base import (
    ChargeResult,
    Declined,
    EnteredCard,
    PayerAccount,
    PaymentGateway,
)
from tests.gateway_sandbox.stripe_merchant import ReceivedWebhook, WebhookReceiver
from tests.payments.gateways.sandbox_access import ledger, payment_request

TEN_DOLLARS = Money(1000, "USD")
RETURN_URL = "https://billing.example/payments/3ds/return"


def pay(
    gateway: PaymentGateway,
    payer: PayerAccount,
    payment_method: str = "pm_card_visa",
    amount: Money = TEN_DOLLARS,
    **options: Any,
) -> ChargeResult:
    return gateway.charge(
        payment_request(
            payer=payer, source=EnteredCard(payment_method), amount=amount, **options
        )
    )


def decline_of(gateway: PaymentGateway, payer: PayerAccount, pm: str) -> Declined:
    with pytest.raises(Declined) as raised:
        pay(gateway, payer, pm)
    return raised.value


def complete_challenge(sandbox_url: str, intent_id: str, result: str) -> None:
    response = requests.post(
        f"{sandbox_url}/__sandbox/stripe/3ds/{intent_id}/complete",
        json={"result": result},
        timeout=5,
    )
    response.raise_for_status()


def captures(sandbox_url: str) -> list[dict[str, Any]]:
    return [e for e in ledger(sandbox_url, "stripe") if e["kind"] == "capture"]


def delivered(
    sandbox_url: str, receiver: WebhookReceiver, event_type: str
) -> ReceivedWebhook:
    """The delivery of the only `event_type` event, with the headers Stripe sent."""
    response = requests.post(
        f"{sandbox_url}/__sandbox/stripe/webhooks/flush", timeout=10
    )
    response.raise_for_status()
    received = receiver.wait_for(1)
    matching = [
        webhook
        for webhook in received
        if json.loads(webhook.body)["type"] == event_type
    ]
    assert len(matching) == 1, [json.loads(w.body)["type"] for w in received]
    return matching[0]
