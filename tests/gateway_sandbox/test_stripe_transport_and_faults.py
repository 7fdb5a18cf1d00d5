# mypy: disable-error-code="union-attr, index"
# (The SDK types every response field as Optional; the tests assert the values.)
"""The fault knobs on Stripe's paths, and the ways the SDK can reach the sandbox."""

from __future__ import annotations

import time

import pytest
import requests
import stripe
from aiohttp import web

from gateway_sandbox.app import Sandbox
from tests.gateway_sandbox.sandbox_config import SANDBOX_CONFIG
from tests.gateway_sandbox.stripe_merchant import (
    client_for,
    gateway_of,
    ledger,
    off_session_payment,
    saved_card,
    set_faults,
)

pytestmark = pytest.mark.sandbox


@pytest.fixture
def client(stripe_client: stripe.StripeClient) -> stripe.StripeClient:
    return stripe_client


class TestFaults:
    def test_error_rate_answers_a_retryable_api_error(
        self, client: stripe.StripeClient, sandbox_url: str
    ) -> None:
        set_faults(sandbox_url, error_rate=1)

        with pytest.raises(stripe.APIError) as raised:
            client.v1.customers.create(params={"name": "Ann"})

        set_faults(sandbox_url, error_rate=0)
        assert raised.value.http_status == 500
        assert raised.value.error.type == "api_error"
        assert raised.value.headers["Stripe-Should-Retry"] == "true"
        assert raised.value.request_id.startswith("req_")
        assert client.v1.customers.list().data == []

    def test_the_sdk_retry_of_an_injected_error_runs_afresh(
        self, sandbox_url: str, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Nothing ran, so the retry runs afresh and succeeds."""
        set_faults(sandbox_url, error_rate=1)
        retrying = client_for(sandbox_url, max_network_retries=1)
        gateway = gateway_of(sandbox)
        original = gateway.server_error

        def fail_once() -> web.Response:
            # Runs in the server's loop: turn the knob off directly, not over HTTP.
            sandbox.faults.error_rate = 0
            return original()

        monkeypatch.setattr(gateway, "server_error", fail_once)

        customer = retrying.v1.customers.create(params={"name": "Ann"})

        assert customer.name == "Ann"
        assert len(client_for(sandbox_url).v1.customers.list().data) == 1

    def test_a_rate_above_the_limit_is_refused(
        self, client: stripe.StripeClient, sandbox_url: str
    ) -> None:
        set_faults(sandbox_url, stripe_requests_per_second=1)

        client.v1.customers.list()
        with pytest.raises(stripe.RateLimitError) as raised:
            client.v1.customers.list()

        assert raised.value.http_status == 429
        assert raised.value.error.code == "rate_limit"

    def test_rate_limit_rate_refuses_without_running_the_request(
        self, client: stripe.StripeClient, sandbox_url: str
    ) -> None:
        set_faults(sandbox_url, rate_limit_rate=1)

        with pytest.raises(stripe.RateLimitError):
            client.v1.customers.create(options={"idempotency_key": "limited"})

        set_faults(sandbox_url, rate_limit_rate=0)
        created = client.v1.customers.create(options={"idempotency_key": "limited"})
        assert "Idempotent-Replayed" not in created.last_response.headers

    def test_a_dropped_reply_still_captures_and_the_retry_replays(
        self, client: stripe.StripeClient, sandbox_url: str
    ) -> None:
        """The money moved although the client never heard; the same key tells it."""
        customer, card = saved_card(client, "pm_card_visa")
        set_faults(sandbox_url, drop_reply_rate=1)

        with pytest.raises(stripe.APIConnectionError):
            off_session_payment(
                client,
                customer=customer,
                payment_method=card,
                metadata={"invoice": "inv_lost"},
                idempotency_key="payment-attempt:lost",
            )
        captured = ledger(sandbox_url)["entries"]
        set_faults(sandbox_url, drop_reply_rate=0)
        retried = off_session_payment(
            client,
            customer=customer,
            payment_method=card,
            metadata={"invoice": "inv_lost"},
            idempotency_key="payment-attempt:lost",
        )

        assert [(e["kind"], e["invoice_id"]) for e in captured] == [
            ("capture", "inv_lost")
        ]
        assert retried.status == "succeeded"
        assert retried.last_response.headers["Idempotent-Replayed"] == "true"
        assert retried.id == captured[0]["transaction_id"]
        assert len(ledger(sandbox_url)["entries"]) == 1

    def test_a_hung_reply_times_out_the_client_after_the_work_is_done(
        self, sandbox_url: str
    ) -> None:
        impatient = client_for(
            sandbox_url, http_client=stripe.RequestsClient(timeout=0.3)
        )
        set_faults(sandbox_url, timeout_rate=1, timeout_hang_seconds=1)

        with pytest.raises(stripe.APIConnectionError):
            impatient.v1.customers.create(params={"name": "Ann"})

        set_faults(sandbox_url, timeout_rate=0)
        assert [c.name for c in impatient.v1.customers.list().data] == ["Ann"]

    def test_latency_slows_stripe_paths_only(
        self, client: stripe.StripeClient, sandbox_url: str
    ) -> None:
        set_faults(sandbox_url, latency_ms=250)

        started = time.monotonic()
        client.v1.customers.list()
        api_seconds = time.monotonic() - started
        started = time.monotonic()
        requests.get(f"{sandbox_url}/__sandbox/stripe/webhook_endpoints", timeout=10)
        control_seconds = time.monotonic() - started

        assert api_seconds >= 0.25
        assert control_seconds < api_seconds / 2


class TestTransport:
    def test_global_style_follows_stripe_api_base(
        self, sandbox_url: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """`stripe.api_base` drives the legacy resource methods (GATEWAYS.md C1)."""
        monkeypatch.setattr(stripe, "api_key", SANDBOX_CONFIG.stripe_secret_key)
        monkeypatch.setattr(stripe, "api_base", sandbox_url)

        customer = stripe.Customer.create(email="legacy@example.com")
        intent = stripe.PaymentIntent.create(
            amount=1000,
            currency="usd",
            customer=customer.id,
            payment_method="pm_card_visa",
            confirm=True,
        )

        assert isinstance(intent, stripe.PaymentIntent)
        assert intent.status == "succeeded"
        assert stripe.Customer.retrieve(customer.id).email == "legacy@example.com"
