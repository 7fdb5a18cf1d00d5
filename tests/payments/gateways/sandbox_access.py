"""How the adapter tests reach the sandbox: the adapters and charges built as the
services build them, the sandbox's fault knobs and ledger, and an address where
nothing listens."""

from __future__ import annotations

import socket
import uuid
from typing import Any

import requests

from billing.money import Money
from payments.gateways import get_gateway, reset_gateways
from payments.gateways.base import (
    ChargeRequest,
    EnteredCard,
    PayerAccount,
    PaymentGateway,
    SavedCard,
)

# Generous for a loopback sandbox; the timeout tests lower it.
TIMEOUT_SECONDS = 5.0


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
