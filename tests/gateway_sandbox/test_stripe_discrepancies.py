"""`POST /__sandbox/discrepancies` on Stripe: each kind of difference that
reconciliation must find, made with no Event and so no webhook [SANDBOX]."""

from __future__ import annotations

import pytest
import stripe

from tests.gateway_sandbox.reconciliation_controls import (
    discrepancy,
    ledger_of,
    made,
    movements,
)
from tests.gateway_sandbox.stripe_merchant import id_of

GATEWAY = "stripe"
EXPAND = ["latest_charge", "payment_method"]


def paid(client: stripe.StripeClient, amount: int = 2_000) -> stripe.PaymentIntent:
    return client.v1.payment_intents.create(
        params={
            "amount": amount,
            "currency": "usd",
            "payment_method": "pm_card_visa",
            "confirm": True,
            "allowed_payment_method_types": ["card"],
            "metadata": {"reference": "order-1"},
        }
    )


def retrieved(client: stripe.StripeClient, intent_id: str) -> stripe.PaymentIntent:
    return client.v1.payment_intents.retrieve(intent_id, params={"expand": EXPAND})


def event_types(client: stripe.StripeClient) -> list[str]:
    return [event.type for event in client.v1.events.list().auto_paging_iter()]


class TestUnknownCapture:
    def test_makes_a_succeeded_payment_with_no_event(
        self, stripe_client: stripe.StripeClient, sandbox_url: str
    ) -> None:
        customer = stripe_client.v1.customers.create()

        intent_id = made(
            sandbox_url,
            gateway=GATEWAY,
            kind="unknown_capture",
            amount_minor=4_200,
            currency="EUR",
            account=customer.id,
            reference="order-9",
        )

        intent = retrieved(stripe_client, intent_id)
        assert intent.status == "succeeded"
        assert (intent.amount, intent.amount_received, intent.currency) == (
            4_200,
            4_200,
            "eur",
        )
        assert intent.metadata["reference"] == "order-9"
        assert id_of(intent.customer) == customer.id
        assert isinstance(intent.latest_charge, stripe.Charge)
        assert intent.latest_charge.amount_captured == 4_200
        assert isinstance(intent.payment_method, stripe.PaymentMethod)
        assert event_types(stripe_client) == ["customer.created"]
        assert movements(sandbox_url, GATEWAY) == [("capture", intent_id, 4_200)]


class TestDashboardRefund:
    def test_refunds_the_charge_with_no_event(
        self, stripe_client: stripe.StripeClient, sandbox_url: str
    ) -> None:
        intent = paid(stripe_client)
        events_before = event_types(stripe_client)

        refund_id = made(
            sandbox_url,
            gateway=GATEWAY,
            kind="dashboard_refund",
            payment=intent.id,
            amount_minor=500,
        )

        refunds = stripe_client.v1.refunds.list(params={"payment_intent": intent.id})
        assert [r.id for r in refunds.data] == [refund_id]
        charge = retrieved(stripe_client, intent.id).latest_charge
        assert isinstance(charge, stripe.Charge)
        assert (charge.amount_refunded, charge.refunded) == (500, False)
        assert event_types(stripe_client) == events_before
        assert ledger_of(sandbox_url, GATEWAY)["totals"]["USD"] == {
            "captured_minor": 2_000,
            "refunded_minor": 500,
        }

    def test_refuses_more_than_the_charge(
        self, stripe_client: stripe.StripeClient, sandbox_url: str
    ) -> None:
        intent = paid(stripe_client)

        response = discrepancy(
            sandbox_url,
            gateway=GATEWAY,
            kind="dashboard_refund",
            payment=intent.id,
            amount_minor=2_001,
        )

        assert response.status_code == 400
        assert "greater than unrefunded amount" in response.json()["error"]


class TestAmount:
    def test_changes_the_amount_and_the_captured_money(
        self, stripe_client: stripe.StripeClient, sandbox_url: str
    ) -> None:
        intent = paid(stripe_client)

        made(
            sandbox_url,
            gateway=GATEWAY,
            kind="amount",
            payment=intent.id,
            amount_minor=2_500,
        )

        changed = retrieved(stripe_client, intent.id)
        assert (changed.amount, changed.amount_received) == (2_500, 2_500)
        assert isinstance(changed.latest_charge, stripe.Charge)
        assert changed.latest_charge.amount_captured == 2_500
        assert movements(sandbox_url, GATEWAY) == [
            ("capture", intent.id, 2_000),
            ("adjustment", intent.id, 500),
        ]


def forced(
    client: stripe.StripeClient, sandbox_url: str, status: str
) -> stripe.PaymentIntent:
    """A paid PaymentIntent as read after the status knob gave it `status`."""
    intent = paid(client)
    made(sandbox_url, gateway=GATEWAY, kind="status", payment=intent.id, status=status)
    return retrieved(client, intent.id)


class TestStatus:
    def test_declined_shows_a_failed_attempt(
        self, stripe_client: stripe.StripeClient, sandbox_url: str
    ) -> None:
        declined = forced(stripe_client, sandbox_url, "declined")

        assert declined.status == "requires_payment_method"
        assert declined.last_payment_error is not None
        assert declined.last_payment_error.decline_code == "generic_decline"
        assert isinstance(declined.latest_charge, stripe.Charge)
        assert declined.latest_charge.status == "failed"
        assert ledger_of(sandbox_url, GATEWAY)["totals"]["USD"]["captured_minor"] == 0

    def test_canceled_shows_a_released_authorization(
        self, stripe_client: stripe.StripeClient, sandbox_url: str
    ) -> None:
        canceled = forced(stripe_client, sandbox_url, "canceled")

        assert (canceled.status, canceled.amount_received) == ("canceled", 0)
        assert canceled.canceled_at is not None
        assert isinstance(canceled.latest_charge, stripe.Charge)
        assert canceled.latest_charge.captured is False
        assert ledger_of(sandbox_url, GATEWAY)["totals"]["USD"]["captured_minor"] == 0


class TestDrop:
    def test_forgets_the_payment_its_charge_and_refunds(
        self, stripe_client: stripe.StripeClient, sandbox_url: str
    ) -> None:
        intent = paid(stripe_client)
        stripe_client.v1.refunds.create(params={"payment_intent": intent.id})
        charge_id = id_of(intent.latest_charge)

        made(sandbox_url, gateway=GATEWAY, kind="drop", payment=intent.id)

        with pytest.raises(stripe.InvalidRequestError) as missing:
            stripe_client.v1.payment_intents.retrieve(intent.id)
        assert missing.value.http_status == 404
        with pytest.raises(stripe.InvalidRequestError):
            stripe_client.v1.charges.retrieve(charge_id)
        assert stripe_client.v1.refunds.list().data == []
        assert stripe_client.v1.payment_intents.list().data == []
        assert movements(sandbox_url, GATEWAY) == []


class TestBadInput:
    def test_answers_404_for_an_unknown_payment(self, sandbox_url: str) -> None:
        response = discrepancy(
            sandbox_url, gateway=GATEWAY, kind="amount", payment="pi_x", amount_minor=1
        )

        assert response.status_code == 404
        assert response.json() == {"error": "no payment pi_x"}

    def test_refuses_a_currency_stripe_does_not_take(self, sandbox_url: str) -> None:
        response = discrepancy(
            sandbox_url,
            gateway=GATEWAY,
            kind="unknown_capture",
            amount_minor=100,
            currency="XYZ",
        )

        assert response.status_code == 400
        assert response.json() == {"error": "Stripe does not take XYZ"}
