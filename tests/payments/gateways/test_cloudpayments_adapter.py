"""The CloudPayments adapter: the official SDK over HTTP against the sandbox."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests

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
from payments.sandbox.app import Sandbox
from tests.payments.gateways.sandbox_access import (
    build,
    closed_port_url,
    ledger,
    payment_request,
    set_faults,
)
from tests.payments.sandbox.cloudpayments_merchant import (
    NotificationReceiver,
    Received,
    configure_notification,
    flush_notifications,
    gateway_of,
)

pytestmark = pytest.mark.sandbox

NO_3DS = "4000000000003055"
WITH_3DS = "4242424242424242"
DECLINES_AFTER_3DS = "4012888888881881"
INSUFFICIENT_FUNDS = "4000056655665556"
TOKEN_DECLINES = "4111111111111111"
TEN_RUBLES = Money(1000, "RUB")


@pytest.fixture
def gateway(gateway_settings: Any) -> PaymentGateway:
    return build("cloudpayments")


@pytest.fixture
def payer() -> PayerAccount:
    return PayerAccount(payer_id=uuid.uuid4())


@pytest.fixture
def receiver() -> Iterator[NotificationReceiver]:
    with NotificationReceiver() as running:
        yield running


def cryptogram(sandbox_url: str, number: str, exp: str = "1230") -> EnteredCard:
    """The card widget's output, made by the sandbox's helper."""
    response = requests.post(
        f"{sandbox_url}/__sandbox/cp/cryptogram",
        json={"number": number, "exp": exp, "cvv": "123", "name": "IVAN PETROV"},
        timeout=5,
    )
    response.raise_for_status()
    return EnteredCard(response.json()["CardCryptogramPacket"], "IVAN PETROV")


def pa_res(sandbox_url: str, transaction_id: str, result: str) -> str:
    """What the ACS would post back to TermUrl once the payer answered."""
    response = requests.post(
        f"{sandbox_url}/__sandbox/cp/acs/complete",
        json={"TransactionId": int(transaction_id), "result": result},
        timeout=5,
    )
    response.raise_for_status()
    answer: str = response.json()["PaRes"]
    return answer


def pay(
    gateway: PaymentGateway,
    sandbox_url: str,
    payer: PayerAccount,
    number: str = NO_3DS,
    **options: Any,
) -> ChargeResult:
    source = cryptogram(sandbox_url, number)
    return gateway.charge(
        payment_request(payer=payer, source=source, amount=TEN_RUBLES, **options)
    )


def challenge_for(
    gateway: PaymentGateway, sandbox_url: str, payer: PayerAccount, number: str
) -> RequiresAction:
    with pytest.raises(RequiresAction) as raised:
        pay(gateway, sandbox_url, payer, number)
    return raised.value


class TestCardPayment:
    def test_card_without_3ds_succeeds_with_a_token_and_masked_card(
        self, gateway: PaymentGateway, sandbox_url: str, payer: PayerAccount
    ) -> None:
        result = pay(gateway, sandbox_url, payer)

        assert result.state is PaymentState.SUCCEEDED
        assert result.amount == TEN_RUBLES
        assert result.token
        assert result.card is not None
        assert (result.card.brand, result.card.first6, result.card.last4) == (
            "Visa",
            "400000",
            "3055",
        )
        assert (result.card.exp_month, result.card.exp_year) == (12, 2030)
        [entry] = ledger(sandbox_url, "cloudpayments")
        assert (entry["kind"], entry["amount_minor"], entry["currency"]) == (
            "capture",
            1000,
            "RUB",
        )
        assert entry["transaction_id"] == result.gateway_reference
        assert entry["account_id"] == str(payer.payer_id)

    def test_exact_kopecks_reach_the_gateway(
        self, gateway: PaymentGateway, sandbox_url: str, payer: PayerAccount
    ) -> None:
        source = cryptogram(sandbox_url, NO_3DS)
        amount = Money(123457, "RUB")

        result = gateway.charge(
            payment_request(payer=payer, source=source, amount=amount)
        )

        assert result.amount == amount
        [entry] = ledger(sandbox_url, "cloudpayments")
        assert entry["amount_minor"] == 123457

    def test_3ds_card_asks_for_a_challenge_then_post3ds_succeeds(
        self, gateway: PaymentGateway, sandbox_url: str, payer: PayerAccount
    ) -> None:
        challenge = challenge_for(gateway, sandbox_url, payer, WITH_3DS).challenge

        result = gateway.complete_3ds(
            gateway_reference=challenge.gateway_reference,
            authentication_result=pa_res(
                sandbox_url, challenge.gateway_reference, "success"
            ),
            amount=TEN_RUBLES,
        )

        assert challenge.url == f"{sandbox_url}/__sandbox/cp/acs"
        assert challenge.form_fields["MD"] == challenge.gateway_reference
        assert challenge.form_fields["PaReq"]
        assert result.state is PaymentState.SUCCEEDED
        assert result.gateway_reference == challenge.gateway_reference
        assert result.token
        assert len(ledger(sandbox_url, "cloudpayments")) == 1

    def test_failed_3ds_is_a_soft_decline_5206(
        self, gateway: PaymentGateway, sandbox_url: str, payer: PayerAccount
    ) -> None:
        challenge = challenge_for(gateway, sandbox_url, payer, WITH_3DS).challenge

        with pytest.raises(Declined) as raised:
            gateway.complete_3ds(
                gateway_reference=challenge.gateway_reference,
                authentication_result=pa_res(
                    sandbox_url, challenge.gateway_reference, "fail"
                ),
                amount=TEN_RUBLES,
            )

        assert (raised.value.reason_code, raised.value.hard) == ("5206", False)
        assert raised.value.gateway_reference == challenge.gateway_reference
        assert ledger(sandbox_url, "cloudpayments") == []

    def test_insufficient_funds_after_3ds_is_a_soft_decline_5051(
        self, gateway: PaymentGateway, sandbox_url: str, payer: PayerAccount
    ) -> None:
        challenge = challenge_for(gateway, sandbox_url, payer, DECLINES_AFTER_3DS)
        reference = challenge.challenge.gateway_reference

        with pytest.raises(Declined) as raised:
            gateway.complete_3ds(
                gateway_reference=reference,
                authentication_result=pa_res(sandbox_url, reference, "success"),
                amount=TEN_RUBLES,
            )

        assert (raised.value.reason_code, raised.value.hard) == ("5051", False)
        assert raised.value.message == "Недостаточно средств на карте"

    def test_insufficient_funds_is_a_soft_decline_with_the_transaction(
        self, gateway: PaymentGateway, sandbox_url: str, payer: PayerAccount
    ) -> None:
        with pytest.raises(Declined) as raised:
            pay(gateway, sandbox_url, payer, INSUFFICIENT_FUNDS)

        assert (raised.value.reason_code, raised.value.hard) == ("5051", False)
        assert raised.value.gateway_reference
        assert raised.value.gateway_reference.isdigit()

    def test_expired_card_is_a_hard_decline_5054(
        self, gateway: PaymentGateway, sandbox_url: str, payer: PayerAccount
    ) -> None:
        expired = cryptogram(sandbox_url, NO_3DS, exp="0120")

        with pytest.raises(Declined) as raised:
            gateway.charge(
                payment_request(payer=payer, source=expired, amount=TEN_RUBLES)
            )

        assert (raised.value.reason_code, raised.value.hard) == ("5054", True)

    def test_a_garbled_cryptogram_is_our_error_without_the_packet(
        self, gateway: PaymentGateway, payer: PayerAccount
    ) -> None:
        packet = "not-a-cryptogram-4000000000003055"

        with pytest.raises(GatewayError) as raised:
            gateway.charge(
                payment_request(
                    payer=payer, source=EnteredCard(packet), amount=TEN_RUBLES
                )
            )

        assert type(raised.value) is GatewayError
        assert "Invalid CardCryptogramPacket" in str(raised.value)
        assert packet not in str(raised.value)
        assert "4000000000003055" not in str(raised.value)


class TestTokenPayment:
    def test_a_saved_card_is_charged_as_a_scheduled_merchant_payment(
        self,
        gateway: PaymentGateway,
        sandbox_url: str,
        sandbox: Sandbox,
        payer: PayerAccount,
    ) -> None:
        first = pay(gateway, sandbox_url, payer)
        assert first.token is not None

        renewal = gateway.charge(
            payment_request(
                payer=payer,
                source=SavedCard(first.token),
                amount=TEN_RUBLES,
                merchant_initiated=True,
                scheduled=True,
            )
        )

        assert renewal.state is PaymentState.SUCCEEDED
        assert renewal.gateway_reference != first.gateway_reference
        stored = gateway_of(sandbox).transactions.get(int(renewal.gateway_reference))
        assert stored is not None
        assert (stored.tr_initiator_code, stored.payment_scheduled) == (0, 1)

    def test_a_payer_present_token_payment_says_so(
        self,
        gateway: PaymentGateway,
        sandbox_url: str,
        sandbox: Sandbox,
        payer: PayerAccount,
    ) -> None:
        first = pay(gateway, sandbox_url, payer)
        assert first.token is not None

        again = gateway.charge(
            payment_request(
                payer=payer, source=SavedCard(first.token), amount=TEN_RUBLES
            )
        )

        stored = gateway_of(sandbox).transactions.get(int(again.gateway_reference))
        assert stored is not None
        assert (stored.tr_initiator_code, stored.payment_scheduled) == (1, 0)

    def test_4111_pays_once_then_its_token_is_declined_5051(
        self, gateway: PaymentGateway, sandbox_url: str, payer: PayerAccount
    ) -> None:
        first = pay(gateway, sandbox_url, payer, TOKEN_DECLINES)
        assert first.state is PaymentState.SUCCEEDED
        assert first.token is not None

        with pytest.raises(Declined) as raised:
            gateway.charge(
                payment_request(
                    payer=payer,
                    source=SavedCard(first.token),
                    amount=TEN_RUBLES,
                    merchant_initiated=True,
                    scheduled=True,
                )
            )

        assert (raised.value.reason_code, raised.value.hard) == ("5051", False)

    def test_an_unknown_token_is_our_error_and_is_not_echoed(
        self, gateway: PaymentGateway, payer: PayerAccount
    ) -> None:
        token = "tk_does_not_exist_0123456789"

        with pytest.raises(GatewayError) as raised:
            gateway.charge(
                payment_request(payer=payer, source=SavedCard(token), amount=TEN_RUBLES)
            )

        assert type(raised.value) is GatewayError
        assert token not in str(raised.value)


class TestTwoStepAndRefunds:
    def test_authorize_then_capture_part(
        self, gateway: PaymentGateway, sandbox_url: str, payer: PayerAccount
    ) -> None:
        authorization = pay(gateway, sandbox_url, payer, capture=False)

        gateway.capture(
            gateway_reference=authorization.gateway_reference,
            amount=Money(600, "RUB"),
            idempotency_key="capture:1",
        )

        assert authorization.state is PaymentState.AUTHORIZED
        kinds = [
            (entry["kind"], entry["amount_minor"])
            for entry in ledger(sandbox_url, "cloudpayments")
        ]
        assert kinds == [("authorize", 1000), ("capture", 600)]
        found = gateway.find_payment(reference=ledger_reference(sandbox_url))
        assert found is not None
        assert found.state is PaymentState.SUCCEEDED
        assert found.captured == Money(600, "RUB")

    def test_authorize_then_void(
        self, gateway: PaymentGateway, sandbox_url: str, payer: PayerAccount
    ) -> None:
        authorization = pay(gateway, sandbox_url, payer, capture=False)

        gateway.void(
            gateway_reference=authorization.gateway_reference,
            idempotency_key="void:1",
        )

        kinds = [entry["kind"] for entry in ledger(sandbox_url, "cloudpayments")]
        assert kinds == ["authorize", "void"]
        found = gateway.find_payment(reference=ledger_reference(sandbox_url))
        assert found is not None
        assert found.state is PaymentState.CANCELED
        assert found.captured == Money(0, "RUB")

    def test_capture_of_a_completed_payment_is_our_error(
        self, gateway: PaymentGateway, sandbox_url: str, payer: PayerAccount
    ) -> None:
        payment = pay(gateway, sandbox_url, payer)

        with pytest.raises(GatewayError) as raised:
            gateway.capture(
                gateway_reference=payment.gateway_reference,
                amount=TEN_RUBLES,
                idempotency_key="capture:2",
            )

        assert type(raised.value) is GatewayError

    def test_refunds_in_parts_up_to_the_total_then_refuses(
        self, gateway: PaymentGateway, sandbox_url: str, payer: PayerAccount
    ) -> None:
        payment = pay(gateway, sandbox_url, payer)
        reference = payment.gateway_reference

        first = gateway.refund(
            gateway_reference=reference,
            amount=Money(400, "RUB"),
            idempotency_key="refund:1",
        )
        second = gateway.refund(
            gateway_reference=reference,
            amount=Money(600, "RUB"),
            idempotency_key="refund:2",
        )
        with pytest.raises(GatewayError) as raised:
            gateway.refund(
                gateway_reference=reference,
                amount=Money(1, "RUB"),
                idempotency_key="refund:3",
            )

        assert first.amount == Money(400, "RUB")
        assert second.amount == Money(600, "RUB")
        assert len({first.gateway_reference, second.gateway_reference, reference}) == 3
        assert type(raised.value) is GatewayError
        refunds = [
            entry["amount_minor"]
            for entry in ledger(sandbox_url, "cloudpayments")
            if entry["kind"] == "refund"
        ]
        assert refunds == [400, 600]
        found = gateway.find_payment(reference=ledger_reference(sandbox_url))
        assert found is not None
        assert found.refunded == TEN_RUBLES

    def test_a_repeated_refund_key_refunds_once(
        self, gateway: PaymentGateway, sandbox_url: str, payer: PayerAccount
    ) -> None:
        payment = pay(gateway, sandbox_url, payer)

        answers = [
            gateway.refund(
                gateway_reference=payment.gateway_reference,
                amount=Money(300, "RUB"),
                idempotency_key="refund:same",
            )
            for _ in range(2)
        ]

        assert answers[0] == answers[1]
        refunds = [
            e for e in ledger(sandbox_url, "cloudpayments") if e["kind"] == "refund"
        ]
        assert len(refunds) == 1


def ledger_reference(sandbox_url: str) -> str:
    references = {entry["reference"] for entry in ledger(sandbox_url, "cloudpayments")}
    [reference] = references
    assert isinstance(reference, str)
    return reference


class TestFindingPayments:
    def test_unknown_reference_is_none(self, gateway: PaymentGateway) -> None:
        assert gateway.find_payment(reference="payment:never-made") is None

    def test_a_declined_payment_is_found_declined(
        self, gateway: PaymentGateway, sandbox_url: str, payer: PayerAccount
    ) -> None:
        with pytest.raises(Declined) as raised:
            pay(gateway, sandbox_url, payer, INSUFFICIENT_FUNDS, reference="pay:d1")

        found = gateway.find_payment(reference="pay:d1")

        assert found is not None
        assert found.state is PaymentState.DECLINED
        assert found.decline_code == "5051"
        assert found.gateway_reference == raised.value.gateway_reference
        assert found.captured == Money(0, "RUB")

    def test_a_dropped_reply_is_unknown_then_found_succeeded_once(
        self, gateway: PaymentGateway, sandbox_url: str, payer: PayerAccount
    ) -> None:
        set_faults(sandbox_url, drop_reply_rate=1)
        with pytest.raises(OutcomeUnknown):
            pay(gateway, sandbox_url, payer, reference="payment:dropped")
        set_faults(sandbox_url, drop_reply_rate=0)

        found = gateway.find_payment(reference="payment:dropped")

        assert found is not None
        assert found.state is PaymentState.SUCCEEDED
        assert found.amount == found.captured == TEN_RUBLES
        assert found.token
        captures = [
            e for e in ledger(sandbox_url, "cloudpayments") if e["kind"] == "capture"
        ]
        assert len(captures) == 1
        assert captures[0]["transaction_id"] == found.gateway_reference

    def test_list_payments_of_the_day_leaves_refunds_out(
        self, gateway: PaymentGateway, sandbox_url: str, payer: PayerAccount
    ) -> None:
        paid = pay(gateway, sandbox_url, payer)
        gateway.refund(
            gateway_reference=paid.gateway_reference,
            amount=Money(100, "RUB"),
            idempotency_key="refund:list",
        )
        with pytest.raises(Declined):
            pay(gateway, sandbox_url, payer, INSUFFICIENT_FUNDS)
        today = dt.datetime.now(dt.UTC).date()

        listed = gateway.list_payments(day=today)
        yesterday = gateway.list_payments(day=today - dt.timedelta(days=1))

        states = sorted(snapshot.state for snapshot in listed)
        assert states == sorted([PaymentState.SUCCEEDED, PaymentState.DECLINED])
        assert paid.gateway_reference in {s.gateway_reference for s in listed}
        assert yesterday == []


class TestTransportFailures:
    def test_timeout_is_an_unknown_outcome(
        self,
        gateway_settings: Any,
        sandbox_url: str,
        payer: PayerAccount,
    ) -> None:
        gateway_settings.GATEWAY_TIMEOUT_SECONDS = 0.5
        gateway = build("cloudpayments")
        set_faults(sandbox_url, timeout_rate=1, timeout_hang_seconds=3)

        with pytest.raises(OutcomeUnknown):
            pay(gateway, sandbox_url, payer)

    @pytest.mark.parametrize("knob", ["error_rate", "rate_limit_rate"])
    def test_a_server_error_or_too_many_requests_is_unavailable(
        self, gateway: PaymentGateway, sandbox_url: str, payer: PayerAccount, knob: str
    ) -> None:
        """HTTP 5xx and 429 come before any processing: nothing moved, retry is safe."""
        set_faults(sandbox_url, **{knob: 1})

        with pytest.raises(Unavailable):
            pay(gateway, sandbox_url, payer)

        assert ledger(sandbox_url, "cloudpayments") == []

    def test_refused_connection_is_unavailable(
        self, gateway_settings: Any, sandbox_url: str, payer: PayerAccount
    ) -> None:
        source = cryptogram(sandbox_url, NO_3DS)
        gateway_settings.CLOUDPAYMENTS_API_URL = f"{closed_port_url()}/"
        gateway = build("cloudpayments")

        with pytest.raises(Unavailable):
            gateway.charge(
                payment_request(payer=payer, source=source, amount=TEN_RUBLES)
            )

    def test_bad_credentials_are_our_error(
        self, gateway_settings: Any, sandbox_url: str, payer: PayerAccount
    ) -> None:
        gateway_settings.CLOUDPAYMENTS_API_SECRET = "wrong-secret"
        gateway = build("cloudpayments")

        with pytest.raises(GatewayError) as raised:
            pay(gateway, sandbox_url, payer)

        assert type(raised.value) is GatewayError
        assert "401" in str(raised.value)

    def test_the_same_idempotency_key_charges_once(
        self, gateway: PaymentGateway, sandbox_url: str, payer: PayerAccount
    ) -> None:
        request = payment_request(
            payer=payer, source=cryptogram(sandbox_url, NO_3DS), amount=TEN_RUBLES
        )

        first = gateway.charge(request)
        second = gateway.charge(request)

        assert first == second
        assert len(ledger(sandbox_url, "cloudpayments")) == 1


class TestNotifications:
    def test_a_real_pay_notification_verifies_and_parses(
        self,
        gateway: PaymentGateway,
        sandbox_url: str,
        sandbox: Sandbox,
        payer: PayerAccount,
        receiver: NotificationReceiver,
    ) -> None:
        notification = self.delivered(
            gateway, sandbox_url, sandbox, payer, receiver, "pay"
        )

        gateway.verify_webhook(body=notification.body, headers=notification.headers)
        event = gateway.parse_webhook(kind="pay", body=notification.body)

        assert event.type == "cloudpayments.pay"
        assert event.state is PaymentState.SUCCEEDED
        assert event.amount == TEN_RUBLES
        assert event.reference == "payment:notified"
        assert event.gateway_reference == event.external_id
        assert notification.fields["Token"]
        assert "Token" not in event.safe_payload
        assert "Name" not in event.safe_payload
        assert event.safe_payload["CardLastFour"] == "3055"

    def test_the_url_decoded_signature_is_accepted_alone(
        self,
        gateway: PaymentGateway,
        sandbox_url: str,
        sandbox: Sandbox,
        payer: PayerAccount,
        receiver: NotificationReceiver,
    ) -> None:
        notification = self.delivered(
            gateway, sandbox_url, sandbox, payer, receiver, "pay"
        )
        headers = {
            name.lower(): value
            for name, value in notification.headers.items()
            if name.lower() != "content-hmac"
        }

        gateway.verify_webhook(body=notification.body, headers=headers)

    @pytest.mark.parametrize(
        "tamper",
        [
            "body",
            "missing headers",
            "wrong signature",
            "garbled signature",
        ],
    )
    def test_tampering_is_refused(
        self,
        gateway: PaymentGateway,
        sandbox_url: str,
        sandbox: Sandbox,
        payer: PayerAccount,
        receiver: NotificationReceiver,
        tamper: str,
    ) -> None:
        notification = self.delivered(
            gateway, sandbox_url, sandbox, payer, receiver, "pay"
        )
        body = notification.body
        headers = dict(notification.headers)
        signed = {k: v for k, v in headers.items() if "hmac" not in k.lower()}
        if tamper == "body":
            body = body.replace(b"Amount=10.00", b"Amount=99.00")
            assert body != notification.body
        elif tamper == "missing headers":
            headers = signed
        elif tamper == "wrong signature":
            headers = {**signed, "Content-HMAC": "AAAA" + headers["Content-HMAC"][4:]}
        else:
            headers = {**signed, "Content-HMAC": "not base64!"}

        with pytest.raises(InvalidSignature):
            gateway.verify_webhook(body=body, headers=headers)

    def test_a_refund_names_the_payment_and_keeps_both_ids(
        self,
        gateway: PaymentGateway,
        sandbox_url: str,
        sandbox: Sandbox,
        payer: PayerAccount,
        receiver: NotificationReceiver,
    ) -> None:
        configure_notification(sandbox_url, sandbox, "refund", receiver.url + "/refund")
        paid = pay(gateway, sandbox_url, payer, reference="payment:refunded")
        refund = gateway.refund(
            gateway_reference=paid.gateway_reference,
            amount=Money(250, "RUB"),
            idempotency_key="refund:n",
        )
        flush_notifications(sandbox_url)
        [notification] = receiver.of_kind("refund")

        gateway.verify_webhook(body=notification.body, headers=notification.headers)
        event = gateway.parse_webhook(kind="refund", body=notification.body)

        assert event.gateway_reference == paid.gateway_reference
        assert event.external_id == refund.gateway_reference
        assert event.safe_payload["PaymentTransactionId"] == paid.gateway_reference
        assert event.safe_payload["TransactionId"] == refund.gateway_reference
        assert event.state is None
        assert event.amount is None
        assert event.reference == "payment:refunded"

    def test_a_fail_notification_is_a_decline(
        self,
        gateway: PaymentGateway,
        sandbox_url: str,
        sandbox: Sandbox,
        payer: PayerAccount,
        receiver: NotificationReceiver,
    ) -> None:
        configure_notification(sandbox_url, sandbox, "fail", receiver.url + "/fail")
        with pytest.raises(Declined):
            pay(gateway, sandbox_url, payer, INSUFFICIENT_FUNDS)
        flush_notifications(sandbox_url)
        [notification] = receiver.of_kind("fail")

        gateway.verify_webhook(body=notification.body, headers=notification.headers)
        event = gateway.parse_webhook(kind="Fail", body=notification.body)

        assert event.type == "cloudpayments.fail"
        assert event.state is PaymentState.DECLINED
        assert event.safe_payload["ReasonCode"] == "5051"

    @pytest.mark.parametrize(
        ("kind", "body"),
        [
            ("pay", b"TransactionId=1&Amount=10.00&Amount=99.00&Currency=RUB"),
            ("pay", b"Amount=10.00&Currency=RUB"),
            ("pay", b"\xff\xfe"),
            ("pay", b"TransactionId=1&Amount=ten&Currency=RUB"),
            ("unknown", b"TransactionId=1"),
        ],
    )
    def test_malformed_notifications_are_errors(
        self, gateway: PaymentGateway, kind: str, body: bytes
    ) -> None:
        with pytest.raises(GatewayError):
            gateway.parse_webhook(kind=kind, body=body)

    @staticmethod
    def delivered(
        gateway: PaymentGateway,
        sandbox_url: str,
        sandbox: Sandbox,
        payer: PayerAccount,
        receiver: NotificationReceiver,
        kind: str,
    ) -> Received:
        configure_notification(sandbox_url, sandbox, kind, f"{receiver.url}/{kind}")
        pay(gateway, sandbox_url, payer, reference="payment:notified")
        flush_notifications(sandbox_url)
        [notification] = receiver.of_kind(kind)
        return notification
