# mypy: disable-error-code="union-attr, index"
# (The SDK types every response field as Optional; the tests assert the values.)
"""Refunds: partial up to the captured total, never beyond it (GATEWAYS.md C5.7)."""

from __future__ import annotations

import pytest
import stripe

from tests.gateway_sandbox.stripe_merchant import (
    id_of,
    ledger,
    off_session_payment,
    saved_card,
)

pytestmark = pytest.mark.sandbox


@pytest.fixture
def client(stripe_client: stripe.StripeClient) -> stripe.StripeClient:
    return stripe_client


@pytest.fixture
def paid(client: stripe.StripeClient) -> stripe.PaymentIntent:
    customer, card = saved_card(client, "pm_card_visa")
    return off_session_payment(
        client,
        customer=customer,
        payment_method=card,
        amount=1000,
        metadata={"invoice": "inv_9", "reference": "ref_9"},
    )


class TestRefunds:
    def test_partial_refunds_up_to_the_total_then_refused(
        self, client: stripe.StripeClient, paid: stripe.PaymentIntent
    ) -> None:
        first = client.v1.refunds.create(
            params={"payment_intent": paid.id, "amount": 300, "reason": "duplicate"}
        )
        second = client.v1.refunds.create(
            params={"payment_intent": paid.id, "amount": 700}
        )
        charge = client.v1.charges.retrieve(id_of(paid.latest_charge))

        assert isinstance(first, stripe.Refund)
        assert (first.status, first.amount, first.reason) == (
            "succeeded",
            300,
            "duplicate",
        )
        assert (first.charge, first.payment_intent) == (paid.latest_charge, paid.id)
        assert second.amount == 700
        assert (charge.amount_refunded, charge.refunded) == (1000, True)
        assert [r.id for r in charge.refunds.data] == [second.id, first.id]
        with pytest.raises(stripe.InvalidRequestError) as raised:
            client.v1.refunds.create(params={"payment_intent": paid.id, "amount": 1})
        assert raised.value.code == "charge_already_refunded"

    def test_more_than_the_remainder_is_amount_too_large(
        self, client: stripe.StripeClient, paid: stripe.PaymentIntent
    ) -> None:
        client.v1.refunds.create(params={"payment_intent": paid.id, "amount": 600})

        with pytest.raises(stripe.InvalidRequestError) as raised:
            client.v1.refunds.create(params={"payment_intent": paid.id, "amount": 401})

        assert raised.value.code == "amount_too_large"
        assert raised.value.param == "amount"
        charge = client.v1.charges.retrieve(id_of(paid.latest_charge))
        assert (charge.amount_refunded, charge.refunded) == (600, False)

    def test_refund_by_charge_defaults_to_the_remainder(
        self, client: stripe.StripeClient, paid: stripe.PaymentIntent
    ) -> None:
        client.v1.refunds.create(
            params={"charge": id_of(paid.latest_charge), "amount": 250}
        )

        rest = client.v1.refunds.create(params={"charge": id_of(paid.latest_charge)})

        assert rest.amount == 750

    def test_refunds_write_the_ledger_and_events(
        self,
        client: stripe.StripeClient,
        paid: stripe.PaymentIntent,
        sandbox_url: str,
    ) -> None:
        refund = client.v1.refunds.create(
            params={"payment_intent": paid.id, "amount": 400}
        )

        entries = ledger(sandbox_url)
        events = client.v1.events.list(
            params={"types": ["refund.created", "charge.refunded"]}
        )

        refund_entry = entries["entries"][-1]
        assert refund_entry["kind"] == "refund"
        assert refund_entry["transaction_id"] == refund.id
        assert refund_entry["amount_minor"] == 400
        assert (refund_entry["invoice_id"], refund_entry["reference"]) == (
            "inv_9",
            "ref_9",
        )
        assert entries["totals"]["USD"] == {
            "captured_minor": 1000,
            "refunded_minor": 400,
        }
        assert [e.type for e in events.data] == ["charge.refunded", "refund.created"]
        charge_refunded = events.data[0]
        assert charge_refunded.data.object.amount_refunded == 400
        assert charge_refunded.data.previous_attributes.amount_refunded == 0
        assert events.data[1].data.object.id == refund.id

    def test_an_uncaptured_payment_cannot_be_refunded(
        self, client: stripe.StripeClient
    ) -> None:
        customer, card = saved_card(client, "pm_card_visa")
        intent = off_session_payment(
            client, customer=customer, payment_method=card, capture_method="manual"
        )

        with pytest.raises(stripe.InvalidRequestError) as raised:
            client.v1.refunds.create(params={"payment_intent": intent.id})

        assert raised.value.code == "charge_not_refundable"

    def test_list_and_retrieve(
        self, client: stripe.StripeClient, paid: stripe.PaymentIntent
    ) -> None:
        first = client.v1.refunds.create(
            params={"payment_intent": paid.id, "amount": 100}
        )
        second = client.v1.refunds.create(
            params={"payment_intent": paid.id, "amount": 200}
        )

        listed = client.v1.refunds.list(params={"payment_intent": paid.id})
        retrieved = client.v1.refunds.retrieve(first.id, params={"expand": ["charge"]})

        assert [r.id for r in listed.data] == [second.id, first.id]
        assert listed.url == "/v1/refunds"
        assert isinstance(retrieved.charge, stripe.Charge)
        assert retrieved.charge.id == paid.latest_charge

    def test_a_refund_needs_a_payment_intent_or_a_charge(
        self, client: stripe.StripeClient
    ) -> None:
        with pytest.raises(stripe.InvalidRequestError) as raised:
            client.v1.refunds.create(params={"amount": 100})

        assert raised.value.code == "parameter_missing"
