"""Stripe webhooks: `Stripe-Signature` and Event parsing (GATEWAYS.md Part D)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

import stripe

from billing.money import Money
from kit.redaction import without_sensitive_keys
from payments.gateways.base import (
    GatewayError,
    GatewayEvent,
    InvalidSignature,
    PaymentState,
)
from payments.gateways.stripe._amounts import from_stripe

# Stripe rejects older signatures itself; the same window as its SDK's default.
TOLERANCE_SECONDS: Final = 300
_PAYMENT_STATES: Final = {
    "succeeded": PaymentState.SUCCEEDED,
    "requires_capture": PaymentState.AUTHORIZED,
    "requires_action": PaymentState.REQUIRES_ACTION,
    "canceled": PaymentState.CANCELED,
    "processing": PaymentState.PENDING,
    "requires_confirmation": PaymentState.PENDING,
}


def verify(body: bytes, headers: Mapping[str, str], secret: str) -> None:
    """Constant-time check of every `v1` signature, timestamps up to 300 s old.

    :raises InvalidSignature:
    """
    header = next(
        (
            value
            for name, value in headers.items()
            if name.lower() == "stripe-signature"
        ),
        None,
    )
    if not header:
        raise InvalidSignature("no Stripe-Signature header")
    try:
        payload = body.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidSignature("the body is not UTF-8") from None
    try:
        stripe.WebhookSignature.verify_header(
            payload, header, secret, tolerance=TOLERANCE_SECONDS
        )
    except stripe.SignatureVerificationError as exc:
        # The SDK's exception carries the payload; only its verdict is kept.
        raise InvalidSignature(
            f"Stripe signature refused: {exc.user_message}"
        ) from None


def parse(body: bytes) -> GatewayEvent:
    """An Event as a GatewayEvent; `state` only for PaymentIntent events.

    Charge and refund events name their PaymentIntent in `gateway_reference`, but
    their state is the charge's, not the payment's: the processor re-reads the
    intent when it needs one.

    :raises GatewayError: for a body that is not a Stripe Event.
    """
    try:
        event = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise GatewayError("a Stripe webhook body that is not JSON") from None
    if not isinstance(event, dict) or event.get("object") != "event":
        raise GatewayError("a Stripe webhook body that is not an Event")
    data = event.get("data")
    obj = data.get("object") if isinstance(data, dict) else None
    event_id, event_type = event.get("id"), event.get("type")
    if not isinstance(obj, dict) or not event_id or not event_type:
        raise GatewayError("a Stripe Event without id, type or data.object")
    kind = obj.get("object")
    metadata = obj.get("metadata")
    reference = metadata.get("reference") if isinstance(metadata, dict) else None
    state = _state(obj) if kind == "payment_intent" else None
    return GatewayEvent(
        external_id=str(event_id),
        type=f"stripe.{event_type}",
        gateway_reference=_intent_id(obj),
        reference=str(reference) if reference else None,
        state=state,
        # What a succeeded intent took; the amount it is for otherwise.
        amount=_amount(
            obj, "amount_received" if state is PaymentState.SUCCEEDED else "amount"
        ),
        account=_customer_id(obj) if kind == "payment_intent" else None,
        capture=state is PaymentState.SUCCEEDED
        and obj.get("capture_method") == "manual",
        # Kept out of stored payloads by the redaction policy: the intent's client
        # secret (it lets a browser confirm the payment), the PaymentMethod id (our
        # token) and the payer's name and e-mail (SPEC §1). Brand and last four stay.
        safe_payload=without_sensitive_keys(event),
    )


def _intent_id(obj: Mapping[str, Any]) -> str | None:
    if obj.get("object") == "payment_intent":
        return str(obj["id"]) if obj.get("id") else None
    intent = obj.get("payment_intent")
    if isinstance(intent, dict):
        intent = intent.get("id")
    return str(intent) if intent else None


def _state(intent: Mapping[str, Any]) -> PaymentState | None:
    status = intent.get("status")
    if status == "requires_payment_method":
        failed = intent.get("last_payment_error") is not None
        return PaymentState.DECLINED if failed else PaymentState.PENDING
    return _PAYMENT_STATES.get(str(status))


def _customer_id(intent: Mapping[str, Any]) -> str:
    """The intent's Customer id ("" for none), whether expanded or not."""
    customer = intent.get("customer")
    if isinstance(customer, dict):
        customer = customer.get("id")
    return str(customer) if customer else ""


def _amount(obj: Mapping[str, Any], field: str = "amount") -> Money | None:
    amount, currency = obj.get(field), obj.get("currency")
    if isinstance(amount, bool) or not isinstance(amount, int):
        return None
    if not isinstance(currency, str) or not currency:
        return None
    return from_stripe(amount, currency)
