"""A merchant of the sandbox's shipping partner, as the tests speak to it over HTTP."""

from __future__ import annotations

import uuid
from typing import Any

import requests

from tests.gateway_sandbox.sandbox_config import SANDBOX_CONFIG

API_KEY = SANDBOX_CONFIG.shipping_api_key


def shipment_body(**changes: Any) -> dict[str, Any]:
    """A valid registration of a new order; `changes` replace its fields."""
    return {
        "reference": f"order:{uuid.uuid4()}",
        "recipient": {"name": "Ann Lee", "email": "ann@example.com"},
        "items": [{"name": "Mars", "quantity": 2}, {"name": "Bounty", "quantity": 1}],
        "expected_arrival": "2030-01-15",
        **changes,
    }


def register(
    sandbox_url: str,
    body: object,
    *,
    key: str | None,
    api_key: str | None = API_KEY,
    timeout: float = 10,
    session: requests.Session | None = None,
) -> requests.Response:
    """POST a registration as given (no checks), with `key` as its Idempotency-Key."""
    headers = {}
    if api_key is not None:
        headers["Authorization"] = f"Bearer {api_key}"
    if key is not None:
        headers["Idempotency-Key"] = key
    return (session or requests).post(
        f"{sandbox_url}/shipping/v1/shipments",
        json=body,
        headers=headers,
        timeout=timeout,
    )


def set_shipping_faults(sandbox_url: str, **knobs: Any) -> dict[str, Any]:
    response = requests.post(
        f"{sandbox_url}/__sandbox/shipping/faults", json=knobs, timeout=10
    )
    response.raise_for_status()
    answer: dict[str, Any] = response.json()
    return answer


def registered(sandbox_url: str, reference: str | None = None) -> dict[str, Any]:
    """The partner's shipments (with their keys) and their count per reference."""
    params = {} if reference is None else {"reference": reference}
    response = requests.get(
        f"{sandbox_url}/__sandbox/shipping/shipments", params=params, timeout=10
    )
    response.raise_for_status()
    answer: dict[str, Any] = response.json()
    return answer


def shipping_stats(sandbox_url: str) -> dict[str, int]:
    response = requests.get(f"{sandbox_url}/__sandbox/shipping/stats", timeout=10)
    response.raise_for_status()
    answer: dict[str, int] = response.json()
    return answer
