"""The Stripe adapter: customers, payments with cards just entered and saved,
and what the SDK logs."""

from __future__ import annotations

import logging
import uuid

import pytest

from billing.money import Money
from payments.gateways.base import (
    Declined,
    GatewayError,
    PayerAccount,
    PaymentGateway,
    PaymentState,
    RequiresAction,
    SavedCard,
)
from tests.payments.gateways.sandbox_access import ledger, payment_request
from tests.payments.gateways.stripe_adapter.charges import (
    TEN_DOLLARS,
    captures,
    complete_challenge,
    decline_of,
    pay,
)

pytestmark = pytest.mark.sandbox


class TestCustomers:
    def test_creates_one_customer_per_payer(
        self, gateway: PaymentGateway, sandbox_url: str
    ) -> None:
        payer = PayerAccount(payer_id=uuid.uuid4())

        first = gateway.ensure_customer(payer)
        second = gateway.ensure_customer(payer)

        assert first.customer_reference is not None
        assert first.customer_reference.startswith("cus_")
        assert second == first
        assert gateway.ensure_customer(first) is first

    def test_a_charge_without_a_customer_is_refused_before_any_call(
        self, gateway: PaymentGateway, sandbox_url: str
    ) -> None:
        with pytest.raises(GatewayError):
            pay(gateway, PayerAccount(payer_id=uuid.uuid4()))

        assert ledger(sandbox_url, "stripe") == []


class TestPayments:
    def test_entered_card_succeeds_and_is_saved_as_the_token(
        self, gateway: PaymentGateway, sandbox_url: str, payer: PayerAccount
    ) -> None:
        result = pay(gateway, payer, reference="payment:visa")

        assert result.state is PaymentState.SUCCEEDED
        assert result.amount == TEN_DOLLARS
        assert result.gateway_reference.startswith("pi_")
        assert result.token is not None
        assert result.token.startswith("pm_")
        assert result.token != "pm_card_visa"
        assert result.card is not None
        assert (result.card.brand, result.card.last4) == ("visa", "4242")
        [entry] = captures(sandbox_url)
        assert (entry["amount_minor"], entry["currency"]) == (1000, "USD")
        assert entry["reference"] == "payment:visa"
        assert entry["account_id"] == payer.customer_reference

    def test_the_token_pays_off_session(
        self, gateway: PaymentGateway, sandbox_url: str, payer: PayerAccount
    ) -> None:
        first = pay(gateway, payer)
        assert first.token is not None

        renewal = gateway.charge(
            payment_request(
                payer=payer,
                source=SavedCard(first.token),
                amount=Money(2599, "USD"),
                merchant_initiated=True,
                scheduled=True,
                return_url=None,
            )
        )

        assert renewal.state is PaymentState.SUCCEEDED
        assert renewal.token == first.token
        assert [e["amount_minor"] for e in captures(sandbox_url)] == [1000, 2599]

    def test_3ds_card_redirects_then_succeeds(
        self, gateway: PaymentGateway, sandbox_url: str, payer: PayerAccount
    ) -> None:
        with pytest.raises(RequiresAction) as raised:
            pay(gateway, payer, "pm_card_threeDSecure2Required")
        challenge = raised.value.challenge
        complete_challenge(sandbox_url, challenge.gateway_reference, "success")

        result = gateway.complete_3ds(
            gateway_reference=challenge.gateway_reference,
            authentication_result=None,
            amount=TEN_DOLLARS,
        )

        assert challenge.url.startswith(f"{sandbox_url}/__sandbox/stripe/3ds/pi_")
        assert challenge.form_fields == {}
        assert result.state is PaymentState.SUCCEEDED
        assert result.token is not None
        assert len(captures(sandbox_url)) == 1

    def test_failed_3ds_is_a_soft_decline(
        self, gateway: PaymentGateway, sandbox_url: str, payer: PayerAccount
    ) -> None:
        with pytest.raises(RequiresAction) as raised:
            pay(gateway, payer, "pm_card_threeDSecure2Required")
        reference = raised.value.challenge.gateway_reference
        complete_challenge(sandbox_url, reference, "fail")

        with pytest.raises(Declined) as declined:
            gateway.complete_3ds(
                gateway_reference=reference,
                authentication_result=None,
                amount=TEN_DOLLARS,
            )

        assert declined.value.reason_code == "payment_intent_authentication_failure"
        assert (declined.value.hard, declined.value.gateway_reference) == (
            False,
            reference,
        )
        assert captures(sandbox_url) == []

    def test_complete_3ds_before_the_payer_answered_still_requires_action(
        self, gateway: PaymentGateway, payer: PayerAccount
    ) -> None:
        with pytest.raises(RequiresAction) as raised:
            pay(gateway, payer, "pm_card_threeDSecure2Required")

        with pytest.raises(RequiresAction):
            gateway.complete_3ds(
                gateway_reference=raised.value.challenge.gateway_reference,
                authentication_result=None,
                amount=TEN_DOLLARS,
            )

    def test_insufficient_funds_is_a_soft_decline(
        self, gateway: PaymentGateway, payer: PayerAccount
    ) -> None:
        declined = decline_of(gateway, payer, "pm_card_chargeDeclinedInsufficientFunds")

        assert (declined.reason_code, declined.hard) == ("insufficient_funds", False)
        assert declined.message == "Your card has insufficient funds."
        assert declined.gateway_reference is not None
        assert declined.gateway_reference.startswith("pi_")

    @pytest.mark.parametrize(
        ("payment_method", "reason_code"),
        [
            ("pm_card_chargeDeclinedExpiredCard", "expired_card"),
            ("pm_card_chargeDeclinedLostCard", "lost_card"),
            ("pm_card_chargeDeclinedStolenCard", "stolen_card"),
        ],
    )
    def test_gone_cards_are_hard_declines(
        self,
        gateway: PaymentGateway,
        payer: PayerAccount,
        payment_method: str,
        reason_code: str,
    ) -> None:
        declined = decline_of(gateway, payer, payment_method)

        assert (declined.reason_code, declined.hard) == (reason_code, True)

    def test_off_session_authentication_is_a_soft_decline(
        self, gateway: PaymentGateway, payer: PayerAccount
    ) -> None:
        with pytest.raises(Declined) as raised:
            pay(
                gateway,
                payer,
                "pm_card_authenticationRequired",
                merchant_initiated=True,
            )

        assert (raised.value.reason_code, raised.value.hard) == (
            "authentication_required",
            False,
        )

    def test_an_unknown_payment_method_is_our_error_and_not_echoed(
        self, gateway: PaymentGateway, payer: PayerAccount
    ) -> None:
        token = "pm_DoesNotExist0123456789"

        with pytest.raises(GatewayError) as raised:
            gateway.charge(
                payment_request(
                    payer=payer, source=SavedCard(token), amount=TEN_DOLLARS
                )
            )

        assert type(raised.value) is GatewayError
        assert "resource_missing" in str(raised.value)
        assert token not in str(raised.value)


class TestLogging:
    def test_the_sdk_logs_no_token_and_no_client_secret(
        self,
        gateway: PaymentGateway,
        payer: PayerAccount,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        caplog.set_level(logging.DEBUG)
        unknown = "pm_NeverIssued0123456789"

        result = pay(gateway, payer)
        with pytest.raises(GatewayError):
            pay(gateway, payer, unknown)

        assert result.token is not None
        assert "Stripe API response" in caplog.text
        assert "Stripe v1 API error received" in caplog.text
        for secret in (result.token, unknown, "_secret_", "pm_card_visa"):
            assert secret not in caplog.text
