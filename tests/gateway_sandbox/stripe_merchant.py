"""The merchant's side of the Stripe conformance tests.

The unmodified SDK client pointed at the sandbox, the sandbox's own controls, and a
webhook endpoint on loopback that records what Stripe would post to a merchant.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import requests
import stripe

from gateway_sandbox.app import Sandbox
from gateway_sandbox.stripe import SimulatedStripe
from tests.gateway_sandbox.sandbox_config import SANDBOX_CONFIG
from tests.polling import wait_until


def client_for(
    sandbox_url: str, *, api_key: str | None = None, **options: Any
) -> stripe.StripeClient:
    return stripe.StripeClient(
        api_key or SANDBOX_CONFIG.stripe_secret_key,
        base_addresses={"api": sandbox_url},
        **options,
    )


def id_of(value: str | stripe.StripeObject | None) -> str:
    """The id of an expandable field, whether it came as an id or expanded."""
    if isinstance(value, stripe.StripeObject):
        value = value["id"]
    assert isinstance(value, str), value
    return value


def gateway_of(sandbox: Sandbox) -> SimulatedStripe:
    gateway = next(g for g in sandbox.gateways if g.name == "stripe")
    assert isinstance(gateway, SimulatedStripe)
    return gateway


def control(
    sandbox_url: str, path: str, payload: dict[str, Any] | None = None
) -> dict[str, Any]:
    """POST a `/__sandbox/` control and return its JSON answer (raising on errors)."""
    response = requests.post(f"{sandbox_url}{path}", json=payload or {}, timeout=10)
    response.raise_for_status()
    answer: dict[str, Any] = response.json()
    return answer


def set_faults(sandbox_url: str, **knobs: Any) -> None:
    control(sandbox_url, "/__sandbox/faults", knobs)


def complete_3ds(sandbox_url: str, intent_id: str, result: str) -> dict[str, Any]:
    return control(
        sandbox_url, f"/__sandbox/stripe/3ds/{intent_id}/complete", {"result": result}
    )


def ledger(sandbox_url: str) -> dict[str, Any]:
    response = requests.get(
        f"{sandbox_url}/__sandbox/ledger", params={"gateway": "stripe"}, timeout=10
    )
    response.raise_for_status()
    answer: dict[str, Any] = response.json()
    return answer


def saved_card(client: stripe.StripeClient, magic_id: str) -> tuple[str, str]:
    """A new customer with the test card attached: (customer id, PaymentMethod id)."""
    customer = client.v1.customers.create(params={"email": "payer@example.com"})
    payment_method = client.v1.payment_methods.attach(
        magic_id, params={"customer": customer.id}
    )
    return customer.id, payment_method.id


def off_session_payment(
    client: stripe.StripeClient,
    *,
    customer: str,
    payment_method: str,
    amount: int = 1000,
    idempotency_key: str | None = None,
    **extra: Any,
) -> stripe.PaymentIntent:
    """A renewal as a billing service sends it (GATEWAYS.md Part E, step 3)."""
    params: Any = {
        "amount": amount,
        "currency": "usd",
        "customer": customer,
        "payment_method": payment_method,
        "confirm": True,
        "off_session": True,
        # stripe-python 16 names it so; older versions send payment_method_types.
        "allowed_payment_method_types": ["card"],
        **extra,
    }
    return client.v1.payment_intents.create(
        params=params,
        options={"idempotency_key": idempotency_key} if idempotency_key else {},
    )


@dataclass
class ReceivedWebhook:
    headers: dict[str, str]
    body: bytes


@dataclass
class WebhookReceiver:
    """A merchant webhook endpoint on loopback: answers `statuses` in turn, then 200."""

    url: str = ""
    statuses: list[int] = field(default_factory=list)
    received: list[ReceivedWebhook] = field(default_factory=list)

    def wait_for(self, count: int, timeout: float = 5.0) -> list[ReceivedWebhook]:
        wait_until(
            lambda: len(self.received) >= count,
            timeout=timeout,
            message=f"the endpoint did not receive {count} webhooks",
        )
        return list(self.received)


@contextmanager
def webhook_receiver(statuses: list[int] | None = None) -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver(statuses=list(statuses or []))

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            receiver.received.append(ReceivedWebhook(dict(self.headers.items()), body))
            status = receiver.statuses.pop(0) if receiver.statuses else 200
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            """Keep the test output quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/webhooks/stripe/"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
