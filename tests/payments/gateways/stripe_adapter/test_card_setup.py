"""Stripe card setups: off-session SetupIntents through `stripe.StripeClient`."""

from __future__ import annotations

import uuid

import pytest
import stripe

from billing.money import Money
from payments.gateways.base import (
    CardSetupRequest,
    CardSetupResult,
    Declined,
    EnteredCard,
    GatewayError,
    PayerAccount,
    PaymentGateway,
    PaymentState,
    RequiresAction,
    SavedCard,
)
from tests.payments.gateways.sandbox_access import ledger, payment_request
from tests.payments.gateways.stripe_adapter.charges import (
    RETURN_URL,
    complete_challenge,
)

pytestmark = pytest.mark.sandbox

# Stripe verifies without an amount; the contract carries one for CloudPayments.
ONE_DOLLAR = Money(100, "USD")
AUTHENTICATES_ON_SETUP = "pm_card_authenticationRequiredOnSetup"


def set_up(
    gateway: PaymentGateway,
    payer: PayerAccount,
    payment_method: str = "pm_card_visa",
    *,
    reference: str = "card_setup:1",
) -> CardSetupResult:
    return gateway.setup_card(
        CardSetupRequest(
            reference=reference,
            idempotency_key=f"{reference}:{uuid.uuid4()}",
            payer=payer,
            card=EnteredCard(payment_method),
            verification_amount=ONE_DOLLAR,
            return_url=RETURN_URL,
        )
    )


def challenge_for(
    gateway: PaymentGateway, payer: PayerAccount, payment_method: str
) -> RequiresAction:
    with pytest.raises(RequiresAction) as raised:
        set_up(gateway, payer, payment_method)
    return raised.value


def complete(gateway: PaymentGateway, reference: str) -> CardSetupResult:
    return gateway.complete_card_setup(
        gateway_reference=reference,
        authentication_result=None,
        verification_amount=ONE_DOLLAR,
    )


class TestCardSetup:
    def test_a_plain_card_is_saved_to_the_customer_off_session(
        self,
        gateway: PaymentGateway,
        sandbox_url: str,
        payer: PayerAccount,
        stripe_client: stripe.StripeClient,
    ) -> None:
        result = set_up(gateway, payer, reference="card_setup:visa")

        intent = stripe_client.v1.setup_intents.retrieve(result.gateway_reference)
        assert result.gateway_reference.startswith("seti_")
        assert result.token.startswith("pm_")
        assert result.token != "pm_card_visa"
        assert result.card is not None
        assert (result.card.brand, result.card.last4) == ("visa", "4242")
        assert (intent.status, intent.usage) == ("succeeded", "off_session")
        assert intent.payment_method_types == ["card"]
        assert intent.customer == payer.customer_reference
        assert intent.metadata is not None
        assert intent.metadata["reference"] == "card_setup:visa"
        card = stripe_client.v1.payment_methods.retrieve(result.token)
        assert card.customer == payer.customer_reference
        assert ledger(sandbox_url, "stripe") == []

    def test_a_card_that_authenticates_on_setup_then_pays_off_session(
        self, gateway: PaymentGateway, sandbox_url: str, payer: PayerAccount
    ) -> None:
        challenge = challenge_for(gateway, payer, AUTHENTICATES_ON_SETUP).challenge
        complete_challenge(sandbox_url, challenge.gateway_reference, "success")

        result = complete(gateway, challenge.gateway_reference)
        renewal = gateway.charge(
            payment_request(
                payer=payer,
                source=SavedCard(result.token),
                amount=Money(2599, "USD"),
                merchant_initiated=True,
                scheduled=True,
                return_url=None,
            )
        )

        assert challenge.gateway_reference.startswith("seti_")
        assert challenge.url == (
            f"{sandbox_url}/__sandbox/stripe/3ds/{challenge.gateway_reference}"
        )
        assert challenge.form_fields == {}
        assert result.gateway_reference == challenge.gateway_reference
        assert result.token.startswith("pm_")
        assert renewal.state is PaymentState.SUCCEEDED
        kinds = [(e["kind"], e["amount_minor"]) for e in ledger(sandbox_url, "stripe")]
        assert kinds == [("capture", 2599)]

    def test_completing_before_the_payer_answered_still_requires_action(
        self, gateway: PaymentGateway, payer: PayerAccount
    ) -> None:
        challenge = challenge_for(gateway, payer, AUTHENTICATES_ON_SETUP).challenge

        with pytest.raises(RequiresAction) as again:
            complete(gateway, challenge.gateway_reference)

        assert again.value.challenge == challenge

    def test_failed_authentication_is_a_soft_decline(
        self, gateway: PaymentGateway, sandbox_url: str, payer: PayerAccount
    ) -> None:
        reference = challenge_for(
            gateway, payer, AUTHENTICATES_ON_SETUP
        ).challenge.gateway_reference
        complete_challenge(sandbox_url, reference, "fail")

        with pytest.raises(Declined) as declined:
            complete(gateway, reference)

        assert declined.value.reason_code == "setup_intent_authentication_failure"
        assert (declined.value.hard, declined.value.gateway_reference) == (
            False,
            reference,
        )

    def test_insufficient_funds_is_a_soft_decline_with_the_setup_intent(
        self, gateway: PaymentGateway, sandbox_url: str, payer: PayerAccount
    ) -> None:
        with pytest.raises(Declined) as raised:
            set_up(gateway, payer, "pm_card_chargeDeclinedInsufficientFunds")

        assert (raised.value.reason_code, raised.value.hard) == (
            "insufficient_funds",
            False,
        )
        assert raised.value.message == "Your card has insufficient funds."
        assert raised.value.gateway_reference is not None
        assert raised.value.gateway_reference.startswith("seti_")
        assert ledger(sandbox_url, "stripe") == []

    def test_a_setup_without_a_customer_is_refused_before_any_call(
        self, gateway: PaymentGateway, stripe_client: stripe.StripeClient
    ) -> None:
        with pytest.raises(GatewayError):
            set_up(gateway, PayerAccount(payer_id=uuid.uuid4()))

        assert stripe_client.v1.setup_intents.list().data == []

    def test_the_same_key_creates_one_setup_intent(
        self,
        gateway: PaymentGateway,
        payer: PayerAccount,
        stripe_client: stripe.StripeClient,
    ) -> None:
        request = CardSetupRequest(
            reference="card_setup:again",
            idempotency_key="card_setup:again",
            payer=payer,
            card=EnteredCard("pm_card_visa"),
            verification_amount=ONE_DOLLAR,
        )

        first = gateway.setup_card(request)
        second = gateway.setup_card(request)

        assert first == second
        assert len(stripe_client.v1.setup_intents.list().data) == 1
