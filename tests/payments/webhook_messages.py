"""Gateway messages as CloudPayments and Stripe send them, signed (GATEWAYS.md B, D).

Built here independently of the sandbox, from the wire spec, so that the webhook
tests check the service against the gateways' format rather than against the
sandbox's reading of it; and the poster that sends them the way a gateway does.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import time
import urllib.parse
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

import pytest
from django.test import Client
from pytest_django import DjangoCaptureOnCommitCallbacks
from pytest_django.fixtures import Settings

from billing.money import Money
from billing.services import ensure_payer
from payments.gateways import reset_gateways
from payments.gateways.base import PaymentGateway, PaymentSnapshot, Unavailable
from payments.gateways.cloudpayments import CloudPaymentsGateway
from payments.gateways.stripe import StripeGateway
from payments.models import Payment, PaymentKind, PaymentStatus
from tests.asgi import App, request

NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
CLOUDPAYMENTS_SECRET = "webhook-tests-cloudpayments-secret"
STRIPE_SECRET = "whsec_webhook_tests"
# What the payer's card and person look like in a notification; none of it may be
# stored except the masked card fields.
CARD_TOKEN = "tk_f0e1d2c3b4a5_never_stored"
PAYER_NAME = "IVAN PETROV"
PAYER_EMAIL = "payer@example.com"
CLIENT_SECRET = "pi_secret_never_stored"
PAYER_PHONE = "+7 912 345-67-89"
PAYER_ADDRESS = "ul. Lenina 17, kv. 42"
PAYER_IP = "203.0.113.77"
# Everything a notification may say about the payer as a person (GATEWAYS.md B3,
# D): none of it may be stored.
PERSONAL_DATA = (PAYER_NAME, PAYER_EMAIL, PAYER_PHONE, PAYER_ADDRESS, PAYER_IP)


def cloudpayments_personal_fields() -> dict[str, str]:
    """The payer's person as a CloudPayments notification may carry it: named
    fields, and free-form ones the merchant's widget filled from the payer."""
    free_form = json.dumps(
        {"phone": PAYER_PHONE, "delivery": PAYER_ADDRESS, "contact": PAYER_EMAIL}
    )
    return {
        "Name": PAYER_NAME,
        "Email": PAYER_EMAIL,
        "Phone": PAYER_PHONE,
        "IpAddress": PAYER_IP,
        "IpCity": "Moscow",
        "Description": f"Delivery to {PAYER_ADDRESS}",
        "Data": free_form,
        "JsonData": free_form,
        "CustomFields": json.dumps([{"ID": "phone", "Value": PAYER_PHONE}]),
    }


def stripe_personal_fields() -> dict[str, Any]:
    """The payer's person as a Stripe PaymentIntent or Charge may carry it."""
    address = {
        "line1": PAYER_ADDRESS,
        "city": "Moscow",
        "postal_code": "101000",
        "country": "RU",
    }
    return {
        "billing_details": {
            "name": PAYER_NAME,
            "email": PAYER_EMAIL,
            "phone": PAYER_PHONE,
            "address": address,
        },
        "shipping": {"name": PAYER_NAME, "phone": PAYER_PHONE, "address": address},
        "receipt_email": PAYER_EMAIL,
        "description": f"Delivery to {PAYER_ADDRESS}",
    }


FORM = "application/x-www-form-urlencoded; charset=utf-8"


class Response(Protocol):
    """An answer as the webhook tests read it, from either entry point."""

    status_code: int

    def json(self) -> Any: ...

    def __getitem__(self, name: str) -> str: ...


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One request to the service, with a Content-Length to declare instead of the
    body's when `content_length` is set."""

    method: str
    path: str
    body: bytes
    content_type: str
    headers: dict[str, str]
    content_length: int | None


Transport = Callable[[Outgoing], Response]


def through_django(client: Client) -> Transport:
    """Requests through Django's test client: the WSGI views."""

    def send(outgoing: Outgoing) -> Response:
        # Django's test client declares the body's own length unless told another.
        declared: dict[str, Any] = (
            {}
            if outgoing.content_length is None
            else {"CONTENT_LENGTH": str(outgoing.content_length)}
        )
        return client.generic(
            outgoing.method,
            outgoing.path,
            data=outgoing.body,
            content_type=outgoing.content_type,
            headers=outgoing.headers,
            **declared,
        )

    return send


def through_edge(edge: App) -> Transport:
    """Requests through the ASGI edge, driven in-process (`tests.asgi`)."""

    def send(outgoing: Outgoing) -> Response:
        return request(
            edge,
            method=outgoing.method,
            path=outgoing.path,
            body=outgoing.body,
            headers={"Content-Type": outgoing.content_type, **outgoing.headers},
            content_length=outgoing.content_length,
        )

    return send


class WebhookPoster:
    """POSTs signed messages as the gateways do, and runs what they enqueue."""

    def __init__(
        self, transport: Transport, capture: DjangoCaptureOnCommitCallbacks
    ) -> None:
        self._send = transport
        self._capture = capture

    def cloudpayments(
        self,
        kind: str,
        fields: dict[str, str],
        *,
        headers: dict[str, str] | None = None,
        body: bytes | None = None,
    ) -> Response:
        raw = cloudpayments_body(fields) if body is None else body
        signed = cloudpayments_headers(raw) if headers is None else headers
        return self.send(f"/webhooks/cloudpayments/{kind}/", raw, FORM, signed)

    def stripe(
        self,
        event: dict[str, Any],
        *,
        headers: dict[str, str] | None = None,
        body: bytes | None = None,
    ) -> Response:
        raw = stripe_body(event) if body is None else body
        signed = stripe_headers(raw) if headers is None else headers
        return self.send(
            "/webhooks/stripe/", raw, "application/json; charset=utf-8", signed
        )

    def send(
        self,
        path: str,
        body: bytes = b"",
        content_type: str = FORM,
        headers: dict[str, str] | None = None,
        *,
        method: str = "POST",
        content_length: int | None = None,
    ) -> Response:
        """Any request to a webhook URL; what it enqueues runs afterwards."""
        with self._capture(execute=True):
            return self._send(
                Outgoing(
                    method, path, body, content_type, headers or {}, content_length
                )
            )


def gateways_for_webhook_tests(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> Iterator[dict[str, PaymentSnapshot]]:
    """The real adapters with this module's secrets, and no network: `find_payment`
    answers from the yielded records by our reference, and is unreachable for any
    other reference."""
    records: dict[str, PaymentSnapshot] = {}

    def find_payment(self: PaymentGateway, *, reference: str) -> PaymentSnapshot | None:
        if reference not in records:
            raise Unavailable("unit tests reach no gateway")
        return records[reference]

    settings.CLOUDPAYMENTS_API_SECRET = CLOUDPAYMENTS_SECRET
    settings.STRIPE_WEBHOOK_SECRET = STRIPE_SECRET
    for adapter in (CloudPaymentsGateway, StripeGateway):
        monkeypatch.setattr(adapter, "find_payment", find_payment)
    reset_gateways()
    yield records
    reset_gateways()


def new_payment(
    *,
    gateway: str = "cloudpayments",
    status: str = PaymentStatus.PENDING,
    amount_minor: int = 1000,
    gateway_reference: str | None = None,
) -> Payment:
    """A payment of ours as the charge flows leave it, before any webhook."""
    return Payment.objects.create(
        payer=ensure_payer(payer_id=uuid.uuid4()),
        kind=PaymentKind.ONE_OFF,
        gateway=gateway,
        status=status,
        amount_minor=amount_minor,
        currency="RUB" if gateway == "cloudpayments" else "USD",
        gateway_reference=gateway_reference,
        idempotency_key="",
        created_at=NOW,
        updated_at=NOW,
    )


def cloudpayments_fields(
    payment: Payment, kind: str, *, transaction_id: str = "1001", **overrides: str
) -> dict[str, str]:
    """The fields of a CloudPayments notification of `kind` about `payment`."""
    amount = str(Money(payment.amount_minor, payment.currency).to_decimal())
    if kind == "refund":
        fields = {
            "TransactionId": transaction_id,
            "PaymentTransactionId": payment.gateway_reference or "1001",
            "Amount": amount,
            "DateTime": "2026-11-23 12:00:00",
            "OperationType": "Refund",
            "InvoiceId": f"payment:{payment.id}",
            "AccountId": str(payment.payer_id),
            "Email": PAYER_EMAIL,
        }
        return {**fields, **overrides}
    fields = {
        "TransactionId": transaction_id,
        "Amount": amount,
        "Currency": payment.currency,
        "PaymentAmount": amount,
        "PaymentCurrency": payment.currency,
        "DateTime": "2026-11-23 12:00:00",
        "CardFirstSix": "424242",
        "CardLastFour": "4242",
        "CardType": "Visa",
        "CardExpDate": "12/30",
        "TestMode": "1",
        "OperationType": "Payment",
        "InvoiceId": f"payment:{payment.id}",
        "AccountId": str(payment.payer_id),
        "Name": PAYER_NAME,
        "Email": PAYER_EMAIL,
        "Token": CARD_TOKEN,
    }
    if kind in ("check", "pay"):
        fields["Status"] = "Completed"
    if kind == "pay":
        fields["GatewayName"] = "Test"
    if kind == "confirm":
        fields["Status"] = "Completed"
    if kind == "fail":
        fields.update(Reason="InsufficientFunds", ReasonCode="5051")
    if kind == "cancel":
        fields = {
            name: fields[name]
            for name in ("TransactionId", "Amount", "DateTime", "InvoiceId")
        }
    return {**fields, **overrides}


def cloudpayments_body(fields: dict[str, str]) -> bytes:
    return urllib.parse.urlencode(fields).encode("utf-8")


def cloudpayments_headers(
    body: bytes, *, secret: str = CLOUDPAYMENTS_SECRET, decoded: bool = False
) -> dict[str, str]:
    """`Content-HMAC` over the body, or `X-Content-HMAC` over its decoded text."""
    if decoded:
        signed = urllib.parse.unquote_plus(body.decode("utf-8")).encode("utf-8")
    else:
        signed = body
    digest = hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).digest()
    header = "X-Content-HMAC" if decoded else "Content-HMAC"
    return {header: base64.b64encode(digest).decode("ascii")}


def stripe_intent_event(
    payment: Payment,
    event_type: str,
    *,
    status: str,
    intent_id: str = "pi_webhook_1",
    event_id: str | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """A Stripe Event whose `data.object` is the payment's PaymentIntent."""
    intent = {
        "id": intent_id,
        "object": "payment_intent",
        "amount": payment.amount_minor,
        "amount_received": payment.amount_minor if status == "succeeded" else 0,
        "currency": payment.currency.lower(),
        "status": status,
        "client_secret": CLIENT_SECRET,
        "customer": "cus_webhook_1",
        "last_payment_error": None,
        "metadata": {"reference": f"payment:{payment.id}"},
        "receipt_email": PAYER_EMAIL,
        **fields,
    }
    return _event(event_type, intent, event_id=event_id)


def stripe_refund_event(
    payment: Payment, *, refund_id: str, intent_id: str = "pi_webhook_1"
) -> dict[str, Any]:
    refund = {
        "id": refund_id,
        "object": "refund",
        "amount": payment.amount_minor,
        "currency": payment.currency.lower(),
        "payment_intent": intent_id,
        "status": "succeeded",
        "metadata": {},
    }
    return _event("refund.created", refund)


def stripe_body(event: dict[str, Any]) -> bytes:
    return json.dumps(event).encode("utf-8")


def stripe_headers(
    body: bytes, *, secret: str = STRIPE_SECRET, timestamp: int | None = None
) -> dict[str, str]:
    """`Stripe-Signature: t=…,v1=…`: HMAC-SHA256 of `"<t>.<body>"`."""
    moment = int(time.time()) if timestamp is None else timestamp
    signed = f"{moment}.".encode() + body
    digest = hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()
    return {"Stripe-Signature": f"t={moment},v1={digest}"}


def _event(
    event_type: str, obj: dict[str, Any], *, event_id: str | None = None
) -> dict[str, Any]:
    return {
        "id": event_id or f"evt_{uuid.uuid4().hex[:24]}",
        "object": "event",
        "api_version": "2026-10-28.endive",
        "created": int(time.time()),
        "data": {"object": obj},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
    }
