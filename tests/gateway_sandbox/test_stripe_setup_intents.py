# mypy: disable-error-code="union-attr, index"
# (The SDK types every response field as Optional; the tests assert the values.)
"""SetupIntents and the off-session rules they unlock (GATEWAYS.md C5.5)."""

from __future__ import annotations

import pytest
import stripe

from tests.gateway_sandbox.stripe_merchant import (
    complete_3ds,
    id_of,
    off_session_payment,
)

pytestmark = pytest.mark.sandbox


@pytest.fixture
def client(stripe_client: stripe.StripeClient) -> stripe.StripeClient:
    return stripe_client


def save_card(
    client: stripe.StripeClient, customer: str, magic_id: str
) -> stripe.SetupIntent:
    return client.v1.setup_intents.create(
        params={
            "customer": customer,
            "payment_method": magic_id,
            "confirm": True,
            "usage": "off_session",
            "allowed_payment_method_types": ["card"],
        }
    )


class TestSetupIntents:
    def test_plain_card_is_saved_and_attached(
        self, client: stripe.StripeClient
    ) -> None:
        customer = client.v1.customers.create().id

        intent = save_card(client, customer, "pm_card_visa")
        card = client.v1.payment_methods.retrieve(id_of(intent.payment_method))
        events = client.v1.events.list(params={"type": "setup_intent.*"})

        assert isinstance(intent, stripe.SetupIntent)
        assert intent.status == "succeeded"
        assert intent.usage == "off_session"
        assert intent.client_secret.startswith(f"{intent.id}_secret_")
        assert intent.payment_method_types == ["card"]
        assert intent.latest_attempt.startswith("setatt_")
        assert card.customer == customer
        assert [e.type for e in events.data] == [
            "setup_intent.succeeded",
            "setup_intent.created",
        ]

    def test_card_set_up_with_authentication_then_pays_off_session(
        self, client: stripe.StripeClient, sandbox_url: str
    ) -> None:
        """The 3155 card: challenged once on setup, then charged without one."""
        customer = client.v1.customers.create().id

        intent = save_card(client, customer, "pm_card_authenticationRequiredOnSetup")
        answer = complete_3ds(sandbox_url, intent.id, "success")
        saved = client.v1.setup_intents.retrieve(intent.id)
        payment = off_session_payment(
            client, customer=customer, payment_method=id_of(saved.payment_method)
        )

        assert intent.status == "requires_action"
        assert intent.next_action.type == "use_stripe_sdk"
        assert answer["status"] == "succeeded"
        assert saved.status == "succeeded"
        assert payment.status == "succeeded"

    def test_same_card_attached_directly_needs_authentication_off_session(
        self, client: stripe.StripeClient
    ) -> None:
        customer = client.v1.customers.create().id
        card = client.v1.payment_methods.attach(
            "pm_card_authenticationRequiredOnSetup", params={"customer": customer}
        )

        with pytest.raises(stripe.CardError) as raised:
            off_session_payment(client, customer=customer, payment_method=card.id)

        error = raised.value
        assert error.code == "authentication_required"
        assert error.error.decline_code == "authentication_required"
        assert error.error.payment_intent.status == "requires_payment_method"

    def test_always_authenticate_card_stays_so_after_setup(
        self, client: stripe.StripeClient, sandbox_url: str
    ) -> None:
        """The 3184 card wants a challenge on every payment, set up or not."""
        customer = client.v1.customers.create().id
        intent = save_card(client, customer, "pm_card_authenticationRequired")
        complete_3ds(sandbox_url, intent.id, "success")
        saved = client.v1.setup_intents.retrieve(intent.id)

        with pytest.raises(stripe.CardError) as raised:
            off_session_payment(
                client, customer=customer, payment_method=id_of(saved.payment_method)
            )

        assert saved.status == "succeeded"
        assert raised.value.code == "authentication_required"

    def test_declining_card_fails_with_the_setup_intent_in_the_error(
        self, client: stripe.StripeClient
    ) -> None:
        customer = client.v1.customers.create().id

        with pytest.raises(stripe.CardError) as raised:
            save_card(client, customer, "pm_card_chargeDeclined")

        error = raised.value
        intent = error.error.setup_intent
        assert error.http_status == 402
        assert (error.code, error.error.decline_code) == (
            "card_declined",
            "generic_decline",
        )
        assert isinstance(intent, stripe.SetupIntent)
        assert intent.status == "requires_payment_method"
        assert intent.last_setup_error.code == "card_declined"
        assert error.error.payment_method.customer is None
        stored = client.v1.setup_intents.retrieve(intent.id)
        assert stored.status == "requires_payment_method"

    def test_charge_customer_fail_card_saves_but_its_payments_decline(
        self, client: stripe.StripeClient
    ) -> None:
        customer = client.v1.customers.create().id

        intent = save_card(client, customer, "pm_card_chargeCustomerFail")
        with pytest.raises(stripe.CardError) as raised:
            off_session_payment(
                client, customer=customer, payment_method=id_of(intent.payment_method)
            )

        assert intent.status == "succeeded"
        assert raised.value.error.decline_code == "generic_decline"

    def test_failed_authentication_fails_the_setup(
        self, client: stripe.StripeClient, sandbox_url: str
    ) -> None:
        customer = client.v1.customers.create().id
        intent = save_card(client, customer, "pm_card_threeDSecure2Required")

        complete_3ds(sandbox_url, intent.id, "fail")
        failed = client.v1.setup_intents.retrieve(intent.id)

        assert failed.status == "requires_payment_method"
        assert failed.last_setup_error.code == "setup_intent_authentication_failure"
        assert failed.payment_method is None

    def test_two_step_confirm_and_cancel_rules(
        self, client: stripe.StripeClient
    ) -> None:
        customer = client.v1.customers.create().id
        pending = client.v1.setup_intents.create(
            params={"customer": customer, "allowed_payment_method_types": ["card"]}
        )

        confirmed = client.v1.setup_intents.confirm(
            pending.id, params={"payment_method": "pm_card_visa"}
        )
        other = client.v1.setup_intents.create(params={"customer": customer})
        canceled = client.v1.setup_intents.cancel(
            other.id, params={"cancellation_reason": "abandoned"}
        )

        assert pending.status == "requires_payment_method"
        assert confirmed.status == "succeeded"
        assert (canceled.status, canceled.cancellation_reason) == (
            "canceled",
            "abandoned",
        )
        for intent_id in (confirmed.id, canceled.id):
            with pytest.raises(stripe.InvalidRequestError) as raised:
                client.v1.setup_intents.confirm(
                    intent_id, params={"payment_method": "pm_card_visa"}
                )
            assert raised.value.code == "setup_intent_unexpected_state"
        with pytest.raises(stripe.InvalidRequestError) as raised:
            client.v1.setup_intents.cancel(confirmed.id)
        assert raised.value.code == "setup_intent_unexpected_state"
