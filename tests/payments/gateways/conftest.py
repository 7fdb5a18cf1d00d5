"""The real adapters, built from Django settings that point at a fresh sandbox."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from pytest_django.fixtures import Settings

from billing.money import Money
from payments.gateways import get_gateway, reset_gateways
from payments.gateways.base import (
    ChargeRequest,
    EnteredCard,
    PayerAccount,
    PaymentGateway,
    SavedCard,
)
from tests.gateway_sandbox import conftest as sandbox_fixtures
from tests.gateway_sandbox.sandbox_config import SANDBOX_CONFIG

# The session sandbox and its per-test reset, as the conformance tests have them.
sandbox_server = sandbox_fixtures.sandbox_server
sandbox_url = sandbox_fixtures.sandbox_url
sandbox = sandbox_fixtures.sandbox

# Generous for a loopback sandbox; the timeout tests lower it.
TIMEOUT_SECONDS = 5.0


@pytest.fixture
def gateway_settings(settings: Settings, sandbox_url: str) -> Iterator[Settings]:
    """Settings for both adapters, pointing at the sandbox; adapters rebuilt after."""
    settings.CLOUDPAYMENTS_PUBLIC_ID = SANDBOX_CONFIG.cloudpayments_public_id
    settings.CLOUDPAYMENTS_API_SECRET = SANDBOX_CONFIG.cloudpayments_api_secret
    settings.CLOUDPAYMENTS_API_URL = f"{sandbox_url}/"
    settings.STRIPE_SECRET_KEY = SANDBOX_CONFIG.stripe_secret_key
    settings.STRIPE_WEBHOOK_SECRET = SANDBOX_CONFIG.stripe_webhook_secret
    settings.STRIPE_API_BASE = sandbox_url
    settings.GATEWAY_TIMEOUT_SECONDS = TIMEOUT_SECONDS
    reset_gateways()
    yield settings
    reset_gateways()


def build(code: str) -> PaymentGateway:
    """The adapter as the registry builds it from the current settings."""
    reset_gateways()
    return get_gateway(code)


def closed_port_url() -> str:
    """A loopback address where nothing listens: connections are refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def set_faults(sandbox_url: str, **knobs: Any) -> None:
    response = requests.post(f"{sandbox_url}/__sandbox/faults", json=knobs, timeout=5)
    response.raise_for_status()


def ledger(sandbox_url: str, gateway: str, **filters: str) -> list[dict[str, Any]]:
    response = requests.get(
        f"{sandbox_url}/__sandbox/ledger",
        params={"gateway": gateway, **filters},
        timeout=5,
    )
    response.raise_for_status()
    entries: list[dict[str, Any]] = response.json()["entries"]
    return entries


def payment_request(
    *,
    payer: PayerAccount,
    source: EnteredCard | SavedCard,
    amount: Money,
    capture: bool = True,
    merchant_initiated: bool = False,
    scheduled: bool = False,
    return_url: str | None = "https://billing.example/payments/3ds/return",
    idempotency_key: str | None = None,
    reference: str | None = None,
) -> ChargeRequest:
    """A charge as the services make one: our reference, a key saved beforehand."""
    payment_id = uuid.uuid4()
    return ChargeRequest(
        reference=reference or f"payment:{payment_id}",
        idempotency_key=idempotency_key or f"payment-attempt:{payment_id}",
        amount=amount,
        payer=payer,
        source=source,
        capture=capture,
        description="Cinema subscription",
        return_url=return_url,
        merchant_initiated=merchant_initiated,
        scheduled=scheduled,
        metadata={"plan": "monthly"},
    )
