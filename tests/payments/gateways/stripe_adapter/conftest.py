"""The Stripe adapter built from settings against a fresh sandbox, and a payer."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import requests
from pytest_django.fixtures import Settings

from payments.gateways.base import PayerAccount, PaymentGateway
from tests.gateway_sandbox.sandbox_config import SANDBOX_CONFIG
from tests.gateway_sandbox.stripe_merchant import WebhookReceiver, webhook_receiver
from tests.payments.gateways.sandbox_access import build


@pytest.fixture
def gateway(gateway_settings: Settings) -> PaymentGateway:
    return build("stripe")


@pytest.fixture
def payer(gateway: PaymentGateway) -> PayerAccount:
    return gateway.ensure_customer(PayerAccount(payer_id=uuid.uuid4()))


@pytest.fixture
def receiver(sandbox_url: str) -> Iterator[WebhookReceiver]:
    with webhook_receiver() as running:
        response = requests.post(
            f"{sandbox_url}/__sandbox/stripe/webhook_endpoints",
            json={
                "url": running.url,
                "secret": SANDBOX_CONFIG.stripe_webhook_secret,
            },
            timeout=5,
        )
        response.raise_for_status()
        yield running
