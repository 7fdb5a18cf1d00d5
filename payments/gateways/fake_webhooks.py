"""The in-memory gateway's webhooks: a JSON body and an HMAC header of their own.

Tests build them with `sign`; `FakeGateway` verifies and parses them like the real
adapters do theirs.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Final

from billing.errors import DomainError
from billing.money import Money
from payments.gateways.base import (
    GatewayError,
    GatewayEvent,
    InvalidSignature,
    PaymentState,
)

WEBHOOK_SECRET: Final = b"fake-webhook-secret"
SIGNATURE_HEADER: Final = "X-Fake-Signature"
# What of a fake event is stored: every key `parse` reads, and nothing else.
STORED_KEYS: Final = frozenset(
    {"id", "type", "gateway_reference", "reference", "state"}
    | {"amount_minor", "currency"}
)


def sign(body: bytes) -> dict[str, str]:
    """The headers a fake webhook carries (for tests that build one)."""
    digest = hmac.new(WEBHOOK_SECRET, body, hashlib.sha256).hexdigest()
    return {SIGNATURE_HEADER: digest}


def verify(body: bytes, headers: Mapping[str, str]) -> None:
    """:raises InvalidSignature: when the header is missing or does not match."""
    presented = next(
        (v for k, v in headers.items() if k.lower() == SIGNATURE_HEADER.lower()), ""
    )
    expected = sign(body)[SIGNATURE_HEADER]
    if not presented or not hmac.compare_digest(expected, presented):
        raise InvalidSignature("fake: bad or missing signature")


def parse(body: bytes) -> GatewayEvent:
    """A JSON object: id, type, and optionally gateway_reference, reference,
    state, amount_minor, currency and account.

    :raises GatewayError: for anything else.
    """
    try:
        data = json.loads(body)
        amount = (
            Money(data["amount_minor"], data["currency"])
            if "amount_minor" in data
            else None
        )
        return GatewayEvent(
            external_id=str(data["id"]),
            type=f"fake.{data['type']}",
            gateway_reference=data.get("gateway_reference"),
            reference=data.get("reference"),
            state=PaymentState(data["state"]) if data.get("state") else None,
            amount=amount,
            safe_payload=data,
            account=data.get("account"),
        )
    except (ValueError, KeyError, TypeError, DomainError) as exc:
        raise GatewayError(f"fake: not a webhook ({type(exc).__name__})") from None
