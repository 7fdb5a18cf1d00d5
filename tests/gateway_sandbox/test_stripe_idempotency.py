# mypy: disable-error-code="union-attr, index"
# (The SDK types every response field as Optional; the tests assert the values.)
"""Idempotent requests (GATEWAYS.md C3) through the SDK's `idempotency_key` option."""

from __future__ import annotations

import datetime as dt

import pytest
import stripe

from gateway_sandbox.app import Sandbox
from tests.gateway_sandbox.sandbox_config import SANDBOX_CONFIG
from tests.gateway_sandbox.stripe_merchant import (
    client_for,
    control,
    gateway_of,
    ledger,
    saved_card,
)

pytestmark = pytest.mark.sandbox


@pytest.fixture
def client(stripe_client: stripe.StripeClient) -> stripe.StripeClient:
    return stripe_client


def renew(
    client: stripe.StripeClient, customer: str, card: str, key: str, amount: int = 1000
) -> stripe.PaymentIntent:
    return client.v1.payment_intents.create(
        params={
            "amount": amount,
            "currency": "usd",
            "customer": customer,
            "payment_method": card,
            "confirm": True,
            "off_session": True,
            "metadata": {"invoice": "inv_1"},
        },
        options={"idempotency_key": key},
    )


class TestIdempotency:
    def test_a_repeat_replays_without_new_objects_or_events(
        self, client: stripe.StripeClient, sandbox_url: str
    ) -> None:
        customer, card = saved_card(client, "pm_card_visa")
        first = renew(client, customer, card, "payment-attempt:1")
        events_before = len(client.v1.events.list(params={"limit": 100}).data)

        again = renew(client, customer, card, "payment-attempt:1")

        headers = again.last_response.headers
        assert again.id == first.id
        assert headers["Idempotent-Replayed"] == "true"
        assert headers["Original-Request"] == first.last_response.request_id
        assert headers["Request-Id"] != first.last_response.request_id
        assert headers["Idempotency-Key"] == "payment-attempt:1"
        assert "Idempotent-Replayed" not in first.last_response.headers
        assert len(client.v1.payment_intents.list().data) == 1
        assert len(client.v1.events.list(params={"limit": 100}).data) == events_before
        assert len(ledger(sandbox_url)["entries"]) == 1

    def test_a_decline_is_replayed_too(self, client: stripe.StripeClient) -> None:
        customer, card = saved_card(client, "pm_card_chargeDeclinedInsufficientFunds")
        with pytest.raises(stripe.CardError) as first:
            renew(client, customer, card, "payment-attempt:2")

        with pytest.raises(stripe.CardError) as again:
            renew(client, customer, card, "payment-attempt:2")

        assert again.value.headers["Idempotent-Replayed"] == "true"
        assert (
            again.value.error.payment_intent.id == first.value.error.payment_intent.id
        )
        assert len(client.v1.payment_intents.list().data) == 1

    def test_other_parameters_are_an_idempotency_error(
        self, client: stripe.StripeClient
    ) -> None:
        customer, card = saved_card(client, "pm_card_visa")
        renew(client, customer, card, "payment-attempt:3")

        with pytest.raises(stripe.IdempotencyError) as raised:
            renew(client, customer, card, "payment-attempt:3", amount=2000)

        assert raised.value.http_status == 400
        assert raised.value.error.type == "idempotency_error"
        assert "same parameters" in str(raised.value.user_message)
        assert len(client.v1.payment_intents.list().data) == 1

    def test_another_endpoint_is_an_idempotency_error(
        self, client: stripe.StripeClient
    ) -> None:
        client.v1.customers.create(options={"idempotency_key": "shared-key"})

        with pytest.raises(stripe.IdempotencyError) as raised:
            client.v1.payment_intents.create(
                params={"amount": 1000, "currency": "usd"},
                options={"idempotency_key": "shared-key"},
            )

        assert "same endpoint" in str(raised.value.user_message)

    def test_parameter_validation_failures_are_not_saved(
        self, client: stripe.StripeClient
    ) -> None:
        """A corrected retry with the same key runs afresh."""
        with pytest.raises(stripe.InvalidRequestError) as raised:
            client.v1.payment_intents.create(
                params={"amount": 1000},  # type: ignore[typeddict-item]
                options={"idempotency_key": "fix-me"},
            )

        fixed = client.v1.payment_intents.create(
            params={"amount": 1000, "currency": "usd"},
            options={"idempotency_key": "fix-me"},
        )

        assert raised.value.code == "parameter_missing"
        assert fixed.status == "requires_payment_method"
        assert "Idempotent-Replayed" not in fixed.last_response.headers

    def test_a_repeat_while_the_first_runs_is_a_409(
        self, client: stripe.StripeClient, sandbox: Sandbox
    ) -> None:
        gateway_of(sandbox).idempotency.begin(
            (SANDBOX_CONFIG.stripe_secret_key, "still-running")
        )

        with pytest.raises(stripe.APIError) as raised:
            client.v1.customers.create(options={"idempotency_key": "still-running"})

        assert raised.value.http_status == 409
        assert raised.value.error.code == "idempotency_key_in_use"
        assert client.v1.customers.list().data == []

    def test_keys_are_forgotten_after_24_hours_of_sandbox_time(
        self, client: stripe.StripeClient, sandbox_url: str
    ) -> None:
        first = client.v1.customers.create(
            params={"name": "Ann"}, options={"idempotency_key": "daily"}
        )
        control(sandbox_url, "/__sandbox/clock", {"advance_seconds": 86399})
        replayed = client.v1.customers.create(
            params={"name": "Ann"}, options={"idempotency_key": "daily"}
        )
        control(sandbox_url, "/__sandbox/clock", {"advance_seconds": 2})

        fresh = client.v1.customers.create(
            params={"name": "Bob"}, options={"idempotency_key": "daily"}
        )

        assert replayed.id == first.id
        assert fresh.id != first.id
        assert fresh.name == "Bob"
        assert fresh.created - first.created >= dt.timedelta(days=1).total_seconds()

    def test_keys_are_scoped_per_api_key(
        self, client: stripe.StripeClient, sandbox_url: str
    ) -> None:
        browser = client_for(sandbox_url, api_key=SANDBOX_CONFIG.stripe_publishable_key)
        card = browser.v1.payment_methods.create(
            params={
                "type": "card",
                "card": {
                    "number": "4242424242424242",
                    "exp_month": 1,
                    "exp_year": dt.datetime.now(dt.UTC).year + 5,
                },
            },
            options={"idempotency_key": "same-key"},
        )

        customer = client.v1.customers.create(options={"idempotency_key": "same-key"})

        assert card.id.startswith("pm_")
        assert customer.id.startswith("cus_")

    def test_get_requests_ignore_the_key(self, client: stripe.StripeClient) -> None:
        customer = client.v1.customers.create()
        client.v1.customers.update(customer.id, params={"name": "Ann"})

        read = client.v1.customers.retrieve(
            customer.id, options={"idempotency_key": "reads-are-safe"}
        )
        reread = client.v1.customers.retrieve(
            customer.id, options={"idempotency_key": "reads-are-safe"}
        )

        assert read.name == reread.name == "Ann"
        assert "Idempotent-Replayed" not in reread.last_response.headers
