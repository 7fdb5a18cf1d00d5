"""The Stripe adapter, over HTTP through `stripe.StripeClient`, against the sandbox."""

from __future__ import annotations

import datetime as dt
import json
import logging
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import stripe
from pytest_django.fixtures import Settings

from billing.money import Money
from payments.gateways.base import (
    ChargeResult,
    Declined,
    EnteredCard,
    GatewayError,
    InvalidSignature,
    OutcomeUnknown,
    PayerAccount,
    PaymentGateway,
    PaymentState,
    RequiresAction,
    SavedCard,
    Unavailable,
)
from tests.payments.gateways.sandbox_access import (
    build,
    closed_port_url,
    ledger,
    payment_request,
    set_faults,
)
from tests.payments.sandbox.sandbox_config import SANDBOX_CONFIG
from tests.payments.sandbox.stripe_merchant import (
    ReceivedWebhook,
    WebhookReceiver,
    webhook_receiver,
)

pytestmark = pytest.mark.sandbox

TEN_DOLLARS = Money(1000, "USD")
RETURN_URL = "https://billing.example/payments/3ds/return"


@pytest.fixture
def gateway(gateway_settings: Settings) -> PaymentGateway:
    return build("stripe")


@pytest.fixture
def payer(gateway: PaymentGateway) -> PayerAccount:
    return gateway.ensure_customer(PayerAccount(payer_id=uuid.uuid4()))


@pytest.fixture
def receiver(sandbox_url: str) -> Iterator[WebhookReceiver]:
    with webhook_receiver() as running:
        response = requests.post(
            f"{sandbox_url}/__sandbox/stripe/webhook_endpoints",
            json={
                "url": running.url,
                "secret": SANDBOX_CONFIG.stripe_webhook_secret,
            },
            timeout=5,
        )
        response.raise_for_status()
        yield running


def pay(
    gateway: PaymentGateway,
    payer: PayerAccount,
    payment_method: str = "pm_card_visa",
    amount: Money = TEN_DOLLARS,
    **options: Any,
) -> ChargeResult:
    return gateway.charge(
        payment_request(
            payer=payer, source=EnteredCard(payment_method), amount=amount, **options
        )
    )


def decline_of(gateway: PaymentGateway, payer: PayerAccount, pm: str) -> Declined:
    with pytest.raises(Declined) as raised:
        pay(gateway, payer, pm)
    return raised.value


def complete_challenge(sandbox_url: str, intent_id: str, result: str) -> None:
    response = requests.post(
        f"{sandbox_url}/__sandbox/stripe/3ds/{intent_id}/complete",
        json={"result": result},
        timeout=5,
    )
    response.raise_for_status()


def captures(sandbox_url: str) -> list[dict[str, Any]]:
    return [e for e in ledger(sandbox_url, "stripe") if e["kind"] == "capture"]


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


class TestTwoStepAndRefunds:
    def test_authorize_then_capture_part(
        self, gateway: PaymentGateway, sandbox_url: str, payer: PayerAccount
    ) -> None:
        authorization = pay(gateway, payer, capture=False, reference="payment:two")

        gateway.capture(
            gateway_reference=authorization.gateway_reference,
            amount=Money(700, "USD"),
            idempotency_key="capture:1",
        )

        assert authorization.state is PaymentState.AUTHORIZED
        kinds = [(e["kind"], e["amount_minor"]) for e in ledger(sandbox_url, "stripe")]
        assert kinds == [("authorize", 1000), ("capture", 700)]
        found = gateway.find_payment(reference="payment:two")
        assert found is not None
        assert (found.state, found.captured) == (
            PaymentState.SUCCEEDED,
            Money(700, "USD"),
        )

    def test_authorize_then_void(
        self, gateway: PaymentGateway, sandbox_url: str, payer: PayerAccount
    ) -> None:
        authorization = pay(gateway, payer, capture=False, reference="payment:void")

        gateway.void(
            gateway_reference=authorization.gateway_reference,
            idempotency_key="void:1",
        )

        kinds = [e["kind"] for e in ledger(sandbox_url, "stripe")]
        assert kinds == ["authorize", "void"]
        found = gateway.find_payment(reference="payment:void")
        assert found is not None
        assert found.state is PaymentState.CANCELED
        assert found.refunded == found.captured == Money(0, "USD")

    def test_refunds_in_parts_up_to_the_total_then_refuses(
        self, gateway: PaymentGateway, sandbox_url: str, payer: PayerAccount
    ) -> None:
        payment = pay(gateway, payer, reference="payment:refunds")

        first = gateway.refund(
            gateway_reference=payment.gateway_reference,
            amount=Money(250, "USD"),
            idempotency_key="refund:1",
        )
        second = gateway.refund(
            gateway_reference=payment.gateway_reference,
            amount=Money(750, "USD"),
            idempotency_key="refund:2",
        )
        with pytest.raises(GatewayError) as raised:
            gateway.refund(
                gateway_reference=payment.gateway_reference,
                amount=Money(1, "USD"),
                idempotency_key="refund:3",
            )

        assert first.gateway_reference.startswith("re_")
        assert first.gateway_reference != second.gateway_reference
        assert (first.amount, second.amount) == (Money(250, "USD"), Money(750, "USD"))
        assert type(raised.value) is GatewayError
        refunds = [
            e["amount_minor"]
            for e in ledger(sandbox_url, "stripe")
            if e["kind"] == "refund"
        ]
        assert refunds == [250, 750]
        found = gateway.find_payment(reference="payment:refunds")
        assert found is not None
        assert found.refunded == TEN_DOLLARS


class TestFindingPayments:
    def test_unknown_reference_is_none(self, gateway: PaymentGateway) -> None:
        assert gateway.find_payment(reference="payment:never-made") is None

    def test_a_declined_payment_is_found_declined(
        self, gateway: PaymentGateway, payer: PayerAccount
    ) -> None:
        with pytest.raises(Declined) as raised:
            pay(
                gateway,
                payer,
                "pm_card_chargeDeclinedInsufficientFunds",
                reference="payment:declined",
            )

        found = gateway.find_payment(reference="payment:declined")

        assert found is not None
        assert found.state is PaymentState.DECLINED
        assert found.decline_code == "insufficient_funds"
        assert found.gateway_reference == raised.value.gateway_reference

    def test_the_newest_attempt_under_a_reference_wins(
        self, gateway: PaymentGateway, payer: PayerAccount
    ) -> None:
        with pytest.raises(Declined):
            pay(
                gateway,
                payer,
                "pm_card_chargeDeclinedInsufficientFunds",
                reference="payment:retried",
            )
        retried = pay(gateway, payer, reference="payment:retried")

        found = gateway.find_payment(reference="payment:retried")

        assert found is not None
        assert (found.gateway_reference, found.state) == (
            retried.gateway_reference,
            PaymentState.SUCCEEDED,
        )

    def test_a_reference_with_quotes_is_searched_exactly(
        self, gateway: PaymentGateway, payer: PayerAccount
    ) -> None:
        paid = pay(gateway, payer, reference="order:o'brien\\1")
        pay(gateway, payer, reference="order:o")

        found = gateway.find_payment(reference="order:o'brien\\1")

        assert found is not None
        assert found.gateway_reference == paid.gateway_reference

    def test_a_dropped_reply_is_unknown_then_found_succeeded_once(
        self, gateway: PaymentGateway, sandbox_url: str, payer: PayerAccount
    ) -> None:
        set_faults(sandbox_url, drop_reply_rate=1)
        with pytest.raises(OutcomeUnknown):
            pay(gateway, payer, reference="payment:dropped")
        set_faults(sandbox_url, drop_reply_rate=0)

        found = gateway.find_payment(reference="payment:dropped")

        assert found is not None
        assert found.state is PaymentState.SUCCEEDED
        assert found.amount == found.captured == TEN_DOLLARS
        [capture] = captures(sandbox_url)
        assert capture["transaction_id"] == found.gateway_reference

    def test_list_payments_of_the_day(
        self, gateway: PaymentGateway, payer: PayerAccount
    ) -> None:
        paid = [pay(gateway, payer) for _ in range(3)]
        with pytest.raises(Declined):
            pay(gateway, payer, "pm_card_chargeDeclinedInsufficientFunds")
        today = dt.datetime.now(dt.UTC).date()

        listed = gateway.list_payments(day=today)
        tomorrow = gateway.list_payments(day=today + dt.timedelta(days=1))

        assert {p.gateway_reference for p in paid} <= {
            s.gateway_reference for s in listed
        }
        assert sorted(s.state for s in listed) == sorted(
            [PaymentState.SUCCEEDED] * 3 + [PaymentState.DECLINED]
        )
        assert tomorrow == []


class TestTransportFailures:
    def test_timeout_is_an_unknown_outcome(
        self, gateway_settings: Settings, sandbox_url: str, payer: PayerAccount
    ) -> None:
        gateway_settings.GATEWAY_TIMEOUT_SECONDS = 0.5
        gateway = build("stripe")
        set_faults(sandbox_url, timeout_rate=1, timeout_hang_seconds=3)

        with pytest.raises(OutcomeUnknown):
            pay(gateway, payer)

    def test_server_error_before_execution_is_unavailable(
        self, gateway: PaymentGateway, sandbox_url: str, payer: PayerAccount
    ) -> None:
        set_faults(sandbox_url, error_rate=1)

        with pytest.raises(Unavailable):
            pay(gateway, payer)

        assert captures(sandbox_url) == []

    def test_rate_limit_is_unavailable(
        self, gateway: PaymentGateway, sandbox_url: str, payer: PayerAccount
    ) -> None:
        set_faults(sandbox_url, rate_limit_rate=1)

        with pytest.raises(Unavailable):
            pay(gateway, payer)

    def test_refused_connection_is_unavailable(
        self, gateway_settings: Settings, payer: PayerAccount
    ) -> None:
        gateway_settings.STRIPE_API_BASE = closed_port_url()
        gateway = build("stripe")

        with pytest.raises(Unavailable):
            pay(gateway, payer)

    def test_bad_key_is_our_error(
        self, gateway_settings: Settings, payer: PayerAccount
    ) -> None:
        gateway_settings.STRIPE_SECRET_KEY = "sk_test_wrong"
        gateway = build("stripe")

        with pytest.raises(GatewayError) as raised:
            pay(gateway, payer)

        assert type(raised.value) is GatewayError
        assert "AuthenticationError" in str(raised.value)

    def test_the_same_idempotency_key_charges_once(
        self, gateway: PaymentGateway, sandbox_url: str, payer: PayerAccount
    ) -> None:
        request = payment_request(
            payer=payer, source=EnteredCard("pm_card_visa"), amount=TEN_DOLLARS
        )

        first = gateway.charge(request)
        second = gateway.charge(request)

        assert first == second
        assert len(captures(sandbox_url)) == 1


class TestWebhooks:
    def test_a_delivered_event_verifies_and_parses(
        self,
        gateway: PaymentGateway,
        sandbox_url: str,
        payer: PayerAccount,
        receiver: WebhookReceiver,
    ) -> None:
        paid = pay(gateway, payer, reference="payment:hooked")
        webhook = delivered(sandbox_url, receiver, "payment_intent.succeeded")

        gateway.verify_webhook(body=webhook.body, headers=webhook.headers)
        event = gateway.parse_webhook(kind="", body=webhook.body)

        raw = json.loads(webhook.body)
        assert event.external_id == raw["id"]
        assert event.type == "stripe.payment_intent.succeeded"
        assert event.gateway_reference == paid.gateway_reference
        assert event.reference == "payment:hooked"
        assert event.state is PaymentState.SUCCEEDED
        assert event.amount == TEN_DOLLARS
        assert raw["data"]["object"]["client_secret"]
        assert "client_secret" not in json.dumps(event.safe_payload)
        token = raw["data"]["object"]["payment_method"]
        assert token.startswith("pm_")
        assert token not in json.dumps(event.safe_payload)

    def test_a_refund_event_names_the_payment(
        self,
        gateway: PaymentGateway,
        sandbox_url: str,
        payer: PayerAccount,
        receiver: WebhookReceiver,
    ) -> None:
        paid = pay(gateway, payer)
        gateway.refund(
            gateway_reference=paid.gateway_reference,
            amount=Money(300, "USD"),
            idempotency_key="refund:hook",
        )
        webhook = delivered(sandbox_url, receiver, "refund.created")

        gateway.verify_webhook(body=webhook.body, headers=webhook.headers)
        event = gateway.parse_webhook(kind="", body=webhook.body)

        assert event.gateway_reference == paid.gateway_reference
        assert event.amount == Money(300, "USD")
        assert event.state is None

    @pytest.mark.parametrize("tamper", ["body", "missing header", "wrong secret"])
    def test_tampering_is_refused(
        self,
        gateway: PaymentGateway,
        sandbox_url: str,
        payer: PayerAccount,
        receiver: WebhookReceiver,
        tamper: str,
    ) -> None:
        pay(gateway, payer)
        webhook = delivered(sandbox_url, receiver, "payment_intent.succeeded")
        body, headers = webhook.body, dict(webhook.headers)
        if tamper == "body":
            body = body.replace(b'"amount": 1000', b'"amount": 1')
            assert body != webhook.body
        elif tamper == "missing header":
            headers = {k: v for k, v in headers.items() if k != "Stripe-Signature"}
        else:
            signature = headers["Stripe-Signature"]
            timestamp = signature.split(",")[0].removeprefix("t=")
            headers["Stripe-Signature"] = f"t={timestamp},v1={'0' * 64}"

        with pytest.raises(InvalidSignature):
            gateway.verify_webhook(body=body, headers=headers)

    def test_a_signature_older_than_five_minutes_is_refused(
        self,
        gateway: PaymentGateway,
        sandbox_url: str,
        payer: PayerAccount,
        receiver: WebhookReceiver,
    ) -> None:
        past = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=301 + 5)
        response = requests.post(
            f"{sandbox_url}/__sandbox/clock", json={"now": past.isoformat()}, timeout=5
        )
        response.raise_for_status()
        pay(gateway, payer)
        webhook = delivered(sandbox_url, receiver, "payment_intent.succeeded")

        with pytest.raises(InvalidSignature):
            gateway.verify_webhook(body=webhook.body, headers=webhook.headers)
        # The signature itself is right: only its age is refused.
        assert stripe.WebhookSignature.verify_header(
            webhook.body.decode(),
            webhook.headers["Stripe-Signature"],
            SANDBOX_CONFIG.stripe_webhook_secret,
            tolerance=None,
        )

    def test_a_body_that_is_not_an_event_is_an_error(
        self, gateway: PaymentGateway
    ) -> None:
        for body in (b"not json", b"[]", b'{"object": "payment_intent"}'):
            with pytest.raises(GatewayError):
                gateway.parse_webhook(kind="", body=body)


def delivered(
    sandbox_url: str, receiver: WebhookReceiver, event_type: str
) -> ReceivedWebhook:
    """The delivery of the only `event_type` event, with the headers Stripe sent."""
    response = requests.post(
        f"{sandbox_url}/__sandbox/stripe/webhooks/flush", timeout=10
    )
    response.raise_for_status()
    received = receiver.wait_for(1)
    matching = [
        webhook
        for webhook in received
        if json.loads(webhook.body)["type"] == event_type
    ]
    assert len(matching) == 1, [json.loads(w.body)["type"] for w in received]
    return matching[0]
