# mypy: disable-error-code="union-attr, index"
# (The SDK types every response field as Optional; the tests assert the values.)
"""Events (C5.9) and signed webhook deliveries (GATEWAYS.md Part D)."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
import requests
import stripe

from gateway_sandbox.app import Sandbox, SandboxConfig
from gateway_sandbox.server import SandboxThread
from gateway_sandbox.stripe import SimulatedStripe
from tests.gateway_sandbox.stripe_merchant import (
    control,
    gateway_of,
    off_session_payment,
    saved_card,
    webhook_receiver,
)
from tests.polling import wait_until

pytestmark = pytest.mark.sandbox

SECRET = "whsec_merchant_test"


@pytest.fixture
def client(stripe_client: stripe.StripeClient) -> stripe.StripeClient:
    return stripe_client


def register(sandbox_url: str, url: str, **extra: object) -> dict[str, object]:
    return control(
        sandbox_url,
        "/__sandbox/stripe/webhook_endpoints",
        {"url": url, "secret": SECRET, **extra},
    )


def flush(sandbox_url: str) -> list[dict[str, object]]:
    deliveries: list[dict[str, object]] = control(
        sandbox_url, "/__sandbox/stripe/webhooks/flush"
    )["deliveries"]
    return deliveries


def logged_deliveries(sandbox_url: str) -> list[dict[str, Any]]:
    response = requests.get(f"{sandbox_url}/__sandbox/stripe/webhooks", timeout=10)
    deliveries: list[dict[str, Any]] = response.json()["deliveries"]
    return deliveries


def first_delivery(sandbox_url: str, *, attempts: int) -> dict[str, Any]:
    """The first logged delivery, once it has had `attempts` attempts."""

    def attempted() -> bool:
        deliveries = logged_deliveries(sandbox_url)
        return bool(deliveries) and len(deliveries[0]["attempts"]) >= attempts

    wait_until(attempted, message=f"the first delivery has not had {attempts} attempts")
    return logged_deliveries(sandbox_url)[0]


class TestEvents:
    def test_events_name_the_request_and_idempotency_key(
        self, client: stripe.StripeClient
    ) -> None:
        customer, card = saved_card(client, "pm_card_visa")
        intent = client.v1.payment_intents.create(
            params={
                "amount": 1000,
                "currency": "usd",
                "customer": customer,
                "payment_method": card,
                "confirm": True,
                "off_session": True,
            },
            options={"idempotency_key": "renewal:inv_1:1"},
        )

        events = client.v1.events.list(params={"type": "payment_intent.*"})

        assert [e.type for e in events.data] == [
            "payment_intent.succeeded",
            "payment_intent.created",
        ]
        succeeded = events.data[0]
        assert isinstance(succeeded, stripe.Event)
        assert succeeded.request.id == intent.last_response.request_id
        assert succeeded.request.idempotency_key == "renewal:inv_1:1"
        assert isinstance(succeeded.data.object, stripe.PaymentIntent)
        assert succeeded.data.object.status == "succeeded"
        assert events.data[1].data.object.status == "requires_confirmation"
        assert (
            client.v1.events.retrieve(succeeded.id).type == "payment_intent.succeeded"
        )

    def test_types_filter_and_created_bounds(self, client: stripe.StripeClient) -> None:
        customer = client.v1.customers.create()
        client.v1.customers.update(customer.id, params={"name": "Ann"})
        client.v1.payment_methods.attach(
            "pm_card_visa", params={"customer": customer.id}
        )

        chosen = client.v1.events.list(
            params={"types": ["customer.created", "payment_method.attached"]}
        )
        later = client.v1.events.list(
            params={"created": {"gt": customer.created + 3600}}
        )
        updated = client.v1.events.list(params={"type": "customer.updated"}).data[0]

        assert [e.type for e in chosen.data] == [
            "payment_method.attached",
            "customer.created",
        ]
        assert later.data == []
        assert updated.data.previous_attributes.name is None
        assert updated.data.object.name == "Ann"

    def test_events_are_kept_for_thirty_days(
        self, client: stripe.StripeClient, sandbox_url: str
    ) -> None:
        client.v1.customers.create()
        [event] = client.v1.events.list().data

        control(sandbox_url, "/__sandbox/clock", {"advance_seconds": 31 * 86400})

        assert client.v1.events.list().data == []
        with pytest.raises(stripe.InvalidRequestError) as raised:
            client.v1.events.retrieve(event.id)
        assert raised.value.http_status == 404


class TestWebhooks:
    def test_deliveries_verify_with_the_sdk(
        self, client: stripe.StripeClient, sandbox_url: str
    ) -> None:
        with webhook_receiver() as receiver:
            register(sandbox_url, receiver.url)
            customer, card = saved_card(client, "pm_card_visa")
            intent = off_session_payment(client, customer=customer, payment_method=card)
            flush(sandbox_url)
            received = receiver.wait_for(5)

        types = [json.loads(r.body)["type"] for r in received]
        assert types == [
            "customer.created",
            "payment_method.attached",
            "payment_intent.created",
            "charge.succeeded",
            "payment_intent.succeeded",
        ]
        last = received[-1]
        assert last.headers["Content-Type"] == "application/json; charset=utf-8"
        assert (
            last.headers["User-Agent"]
            == "Stripe/1.0 (+https://stripe.com/docs/webhooks)"
        )
        event = stripe.Webhook.construct_event(
            last.body, last.headers["Stripe-Signature"], SECRET
        )
        assert isinstance(event, stripe.Event)
        assert isinstance(event.data.object, stripe.PaymentIntent)
        assert event.data.object.id == intent.id
        assert event.pending_webhooks == 1
        with pytest.raises(stripe.SignatureVerificationError):
            stripe.Webhook.construct_event(
                last.body, last.headers["Stripe-Signature"], "whsec_wrong"
            )

    def test_enabled_events_limit_what_an_endpoint_receives(
        self, client: stripe.StripeClient, sandbox_url: str
    ) -> None:
        with webhook_receiver() as receiver:
            register(
                sandbox_url, receiver.url, enabled_events=["payment_intent.succeeded"]
            )
            customer, card = saved_card(client, "pm_card_visa")
            off_session_payment(client, customer=customer, payment_method=card)
            # flush returns once every pending delivery has been answered: the
            # endpoint has all it will ever get.
            flush(sandbox_url)
            received = list(receiver.received)

        assert [json.loads(r.body)["type"] for r in received] == [
            "payment_intent.succeeded"
        ]

    def test_a_refused_delivery_is_retried_and_signed_with_sandbox_time(
        self, client: stripe.StripeClient, sandbox_url: str
    ) -> None:
        # The background sender follows the retry schedule; flush would not wait.
        control(
            sandbox_url, "/__sandbox/notifications/settings", {"auto_deliver": True}
        )
        with webhook_receiver(statuses=[500]) as receiver:
            register(sandbox_url, receiver.url)
            client.v1.customers.create()
            refused = first_delivery(sandbox_url, attempts=1)
            # A second event goes out at once: once the endpoint has it, the sender
            # has had its chance to retry the first too early.
            client.v1.customers.create()
            receiver.wait_for(2)
            waiting = first_delivery(sandbox_url, attempts=1)
            clock = control(sandbox_url, "/__sandbox/clock", {"advance_seconds": 3600})
            delivered = first_delivery(sandbox_url, attempts=2)
            retried = receiver.wait_for(3)[2]

        assert refused["state"] == waiting["state"] == "pending"
        assert delivered["state"] == "delivered"
        assert [a["status"] for a in delivered["attempts"]] == [500, 200]
        assert retried.body == receiver.received[0].body
        timestamp = int(retried.headers["Stripe-Signature"].split(",")[0][2:])
        assert timestamp >= int(time.time()) + 3500
        assert clock["offset_seconds"] >= 3600
        stripe.Webhook.construct_event(
            retried.body, retried.headers["Stripe-Signature"], SECRET
        )

    def test_endpoint_controls_list_validate_and_delete(self, sandbox_url: str) -> None:
        endpoint = register(sandbox_url, "http://127.0.0.1:9/hook")
        url = f"{sandbox_url}/__sandbox/stripe/webhook_endpoints"

        listed = requests.get(url, timeout=10).json()["endpoints"]
        bad = requests.post(url, json={"url": "ftp://nowhere"}, timeout=10)
        deleted = requests.delete(f"{url}/{endpoint['id']}", timeout=10)

        assert [e["id"] for e in listed] == [endpoint["id"]]
        assert endpoint["enabled_events"] == ["*"]
        assert bad.status_code == 400
        assert deleted.status_code == 200
        assert requests.get(url, timeout=10).json()["endpoints"] == []

    def test_the_configured_endpoint_survives_reset(self) -> None:
        """`stripe_webhook_url` is registered at start and again after every reset."""
        sandbox = Sandbox(
            SandboxConfig(
                stripe_webhook_url="http://127.0.0.1:9/webhooks/stripe/",
                stripe_webhook_secret="whsec_configured",
            )
        )
        gateway = SimulatedStripe(sandbox)
        gateway.webhooks.add(
            url="http://127.0.0.1:9/other", enabled_events=["*"], secret="x"
        )

        gateway.reset()

        [endpoint] = gateway.webhooks.all()
        assert endpoint.url == "http://127.0.0.1:9/webhooks/stripe/"
        assert endpoint.secret == "whsec_configured"
        assert endpoint.enabled_events == ["*"]


class TestWebhookSecrets:
    """As at Stripe, an endpoint's signing secret is shown once, when it is made."""

    def test_the_endpoint_listing_shows_no_secret(self, sandbox_url: str) -> None:
        register(sandbox_url, "http://127.0.0.1:9/hook")

        response = requests.get(
            f"{sandbox_url}/__sandbox/stripe/webhook_endpoints", timeout=10
        )

        [listed] = response.json()["endpoints"]
        assert listed["url"] == "http://127.0.0.1:9/hook"
        assert "secret" not in listed
        assert SECRET not in response.text

    def test_the_listing_hides_the_configured_endpoints_secret(self) -> None:
        """The endpoint that the sandbox registers at start is listed without the
        secret it signs with."""
        configured = SandboxConfig(
            stripe_webhook_url="http://127.0.0.1:9/webhooks/stripe/",
            stripe_webhook_secret="whsec_configured_and_private",
        )
        server = SandboxThread(configured).start()
        try:
            response = requests.get(
                f"{server.url}/__sandbox/stripe/webhook_endpoints", timeout=10
            )
        finally:
            server.stop()

        [listed] = response.json()["endpoints"]
        assert listed["url"] == "http://127.0.0.1:9/webhooks/stripe/"
        assert "whsec_configured_and_private" not in response.text

    def test_creation_answers_with_the_secret_it_signs_with(
        self, sandbox_url: str, sandbox: Sandbox
    ) -> None:
        created = register(sandbox_url, "http://127.0.0.1:9/hook")

        [endpoint] = gateway_of(sandbox).webhooks.all()
        assert created["secret"] == SECRET == endpoint.secret

    def test_creation_without_a_secret_makes_a_fresh_one(
        self, sandbox_url: str, sandbox: Sandbox
    ) -> None:
        """Not the configured secret, which would then be handed to any caller."""
        created = control(
            sandbox_url,
            "/__sandbox/stripe/webhook_endpoints",
            {"url": "http://127.0.0.1:9/hook"},
        )

        [endpoint] = gateway_of(sandbox).webhooks.all()
        assert created["secret"] == endpoint.secret
        assert str(created["secret"]).startswith("whsec_")
        assert created["secret"] != sandbox.config.stripe_webhook_secret
