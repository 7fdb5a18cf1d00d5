"""Notifications (Part B): settings, bodies, both signatures, retries, faults, Check."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import re
import urllib.parse
from collections.abc import Iterator

import pytest
import requests
from cloudpayments import CloudPayments, CloudPaymentsError, PaymentError
from cloudpayments.models import Transaction

from gateway_sandbox.app import Sandbox, SandboxConfig
from gateway_sandbox.cloudpayments import notifications
from gateway_sandbox.server import SandboxThread
from tests.gateway_sandbox.cloudpayments_merchant import (
    NotificationReceiver,
    Received,
    advance_clock,
    api_post,
    configure_notification,
    cryptogram,
    flush_notifications,
    notification_log,
    set_faults,
)
from tests.polling import wait_until

DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")


@pytest.fixture
def client(cloudpayments_client: CloudPayments) -> CloudPayments:
    return cloudpayments_client


@pytest.fixture
def receiver() -> Iterator[NotificationReceiver]:
    with NotificationReceiver() as running:
        yield running


@pytest.fixture
def paused_delivery(sandbox_url: str) -> Iterator[None]:
    """Only flush delivers, so a test decides when notifications leave."""
    settings = f"{sandbox_url}/__sandbox/notifications/settings"
    requests.post(settings, json={"auto_deliver": False}, timeout=5).raise_for_status()
    yield
    requests.post(settings, json={"auto_deliver": True}, timeout=5).raise_for_status()


def charge(client: CloudPayments, number: str = "4000000000003055") -> Transaction:
    return client.charge_card(
        cryptogram(number),
        10,
        "RUB",
        "IVAN PETROV",
        "203.0.113.7",
        invoice_id="inv-1",
        account_id="acc-1",
        email="ivan@example.com",
        data={"plan": "pro", "note": "месяц & год"},
    )


def seconds_between(earlier: str, later: str) -> float:
    delta = dt.datetime.fromisoformat(later) - dt.datetime.fromisoformat(earlier)
    return delta.total_seconds()


def expected_hmac(secret: str, message: bytes) -> str:
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def assert_signed(received: Received, secret: str) -> None:
    """Content-HMAC over the raw body, X-Content-HMAC over the decoded one (B4)."""
    decoded = urllib.parse.unquote_plus(received.body.decode()).encode()
    assert hmac.compare_digest(
        received.headers["Content-HMAC"], expected_hmac(secret, received.body)
    )
    assert hmac.compare_digest(
        received.headers["X-Content-HMAC"], expected_hmac(secret, decoded)
    )


class TestSettings:
    def test_a_type_without_an_address_is_disabled(
        self, sandbox_url: str, sandbox: Sandbox
    ) -> None:
        response = api_post(sandbox_url, sandbox, "site/notifications/pay/get")

        assert response.json() == {
            "Model": {
                "IsEnabled": False,
                "Address": None,
                "HttpMethod": "POST",
                "Encoding": "UTF8",
                "Format": "CloudPayments",
            },
            "Success": True,
            "Message": None,
        }

    def test_update_sets_the_address(self, sandbox_url: str, sandbox: Sandbox) -> None:
        configure_notification(sandbox_url, sandbox, "Refund", "http://127.0.0.1:9/r/")

        model = api_post(sandbox_url, sandbox, "site/notifications/refund/get").json()

        assert model["Model"]["IsEnabled"] is True
        assert model["Model"]["Address"] == "http://127.0.0.1:9/r/"

    def test_an_unknown_type_is_a_bad_request(
        self, sandbox_url: str, sandbox: Sandbox
    ) -> None:
        response = api_post(sandbox_url, sandbox, "site/notifications/payout/get")

        assert response.json() == {
            "Success": False,
            "Message": "Unknown notification type",
        }

    def test_nothing_is_sent_without_an_address(
        self, client: CloudPayments, sandbox_url: str
    ) -> None:
        charge(client)

        flush_notifications(sandbox_url)

        assert notification_log(sandbox_url) == []

    def test_the_default_address_is_the_base_plus_the_type(self) -> None:
        """With cloudpayments_notification_url every type goes to `<base><type>/`."""
        with NotificationReceiver() as receiver:
            config = SandboxConfig(cloudpayments_notification_url=receiver.url + "/cp/")
            server = SandboxThread(config).start()
            try:
                client = CloudPayments(
                    config.cloudpayments_public_id, config.cloudpayments_api_secret
                )
                client.URL = server.url + "/"
                payment = charge(client)
                refund_id = client.refund(payment.id, 4)
                flush_notifications(server.url)
                wait_until(
                    lambda: len(receiver.received) == 3,
                    message="the merchant did not get three notifications",
                )
            finally:
                server.stop()

        # Check, then Pay, then Refund; Check decides the payment, so it comes first.
        assert [r.path for r in receiver.received] == [
            "/cp/check/",
            "/cp/pay/",
            "/cp/refund/",
        ]
        refund = receiver.of_kind("refund")[0].fields
        assert refund["TransactionId"] == str(refund_id)
        assert refund["PaymentTransactionId"] == str(payment.id)
        assert refund["Amount"] == "4.00"
        assert refund["OperationType"] == "Refund"
        assert_signed(receiver.received[2], config.cloudpayments_api_secret)


class TestPaymentNotifications:
    def test_pay_carries_the_documented_fields_signed(
        self,
        client: CloudPayments,
        sandbox_url: str,
        sandbox: Sandbox,
        receiver: NotificationReceiver,
    ) -> None:
        configure_notification(sandbox_url, sandbox, "pay", receiver.url + "/pay/")
        payment = charge(client)

        flush_notifications(sandbox_url)

        wait_until(
            lambda: len(receiver.of_kind("pay")) == 1,
            message="the merchant did not get the Pay notification",
        )
        received = receiver.of_kind("pay")[0]
        fields = received.fields
        assert received.headers["Content-Type"].startswith(
            "application/x-www-form-urlencoded"
        )
        assert_signed(received, sandbox.config.cloudpayments_api_secret)
        assert fields["TransactionId"] == str(payment.id)
        assert fields["Amount"] == fields["PaymentAmount"] == "10.00"
        assert fields["Currency"] == fields["PaymentCurrency"] == "RUB"
        assert DATE_TIME.fullmatch(fields["DateTime"])
        assert fields["TestMode"] == "1"
        assert fields["Status"] == "Completed"
        assert fields["OperationType"] == "Payment"
        assert fields["GatewayName"] == "Test"
        assert fields["Token"] == payment.token
        assert fields["InvoiceId"] == "inv-1"
        assert fields["AccountId"] == "acc-1"
        assert fields["Email"] == "ivan@example.com"
        assert fields["CardFirstSix"] == "400000"
        assert fields["CardLastFour"] == "3055"
        assert fields["CardExpDate"] == "12/30"
        assert fields["CardType"] == "Visa"
        assert fields["IpCity"] == "Москва"
        assert json.loads(fields["Data"]) == {"plan": "pro", "note": "месяц & год"}
        assert "SubscriptionId" not in fields
        assert "4000000000003055" not in received.body.decode()
        assert not {name.lower() for name in fields} & {"cvv", "cardcryptogrampacket"}

    def test_fail_carries_the_reason(
        self,
        client: CloudPayments,
        sandbox_url: str,
        sandbox: Sandbox,
        receiver: NotificationReceiver,
    ) -> None:
        configure_notification(sandbox_url, sandbox, "fail", receiver.url + "/fail/")
        with pytest.raises(PaymentError):
            charge(client, "4000056655665556")

        flush_notifications(sandbox_url)

        wait_until(
            lambda: len(receiver.of_kind("fail")) == 1,
            message="the merchant did not get the Fail notification",
        )
        fields = receiver.of_kind("fail")[0].fields
        assert (fields["Reason"], fields["ReasonCode"]) == ("InsufficientFunds", "5051")

    def test_two_stage_payments_send_pay_confirm_and_cancel(
        self,
        client: CloudPayments,
        sandbox_url: str,
        sandbox: Sandbox,
        receiver: NotificationReceiver,
    ) -> None:
        for kind in ("pay", "confirm", "cancel"):
            configure_notification(
                sandbox_url, sandbox, kind, f"{receiver.url}/{kind}/"
            )
        confirmed = client.charge_card(
            cryptogram("4000000000003055"), 50, "RUB", "I", "203.0.113.7",
            require_confirmation=True,
        )  # fmt: skip
        voided = client.charge_card(
            cryptogram("4000000000003055"), 20, "RUB", "I", "203.0.113.7",
            require_confirmation=True,
        )  # fmt: skip
        client.confirm_payment(confirmed.id, 40)
        client.void_payment(voided.id)

        flush_notifications(sandbox_url)

        wait_until(
            lambda: len(receiver.received) == 4,
            message="the merchant did not get four notifications",
        )
        pay_statuses = [r.fields["Status"] for r in receiver.of_kind("pay")]
        confirm = receiver.of_kind("confirm")[0].fields
        cancel = receiver.of_kind("cancel")[0].fields
        assert pay_statuses == ["Authorized", "Authorized"]
        assert (confirm["TransactionId"], confirm["Amount"], confirm["Status"]) == (
            str(confirmed.id),
            "40.00",
            "Completed",
        )
        assert (cancel["TransactionId"], cancel["Amount"]) == (str(voided.id), "20.00")


class TestDelivery:
    def test_an_unacknowledged_notification_is_retried_a_minute_later(
        self,
        client: CloudPayments,
        sandbox_url: str,
        sandbox: Sandbox,
    ) -> None:
        """A 500 is not an acknowledgment; the next attempt follows after 60 s."""
        with NotificationReceiver(replies=[(500, b"oops"), (200, b'{"code":0}')]) as r:
            configure_notification(sandbox_url, sandbox, "pay", r.url + "/pay/")
            charge(client)
            wait_until(
                lambda: len(r.received) == 1,
                message="the merchant did not get the first attempt",
            )
            wait_until(
                lambda: len(notification_log(sandbox_url)[0]["attempts"]) == 1,
                message="the log does not show the first attempt",
            )
            # A second payment's Pay goes out at once: once the merchant has it, the
            # sender has had its chance to retry the first too early.
            charge(client)
            wait_until(
                lambda: len(r.received) == 2,
                message="the merchant did not get the second payment's Pay",
            )
            pending = notification_log(sandbox_url)[0]

            advance_clock(sandbox_url, 60)

            wait_until(
                lambda: len(r.received) == 3,
                message="the merchant did not get the retry",
            )
            wait_until(
                lambda: notification_log(sandbox_url)[0]["state"] == "delivered",
                message="the log does not show the notification delivered",
            )
        assert pending["state"] == "pending"
        assert [a["status"] for a in pending["attempts"]] == [500]
        assert seconds_between(
            pending["attempts"][0]["at"], pending["next_attempt_at"]
        ) == pytest.approx(60, abs=1)
        assert r.received[0].body == r.received[2].body

    def test_a_reply_other_than_code_0_is_retried(
        self, client: CloudPayments, sandbox_url: str, sandbox: Sandbox
    ) -> None:
        with NotificationReceiver(replies=[(200, b'{"code": 13}')]) as r:
            configure_notification(sandbox_url, sandbox, "pay", r.url + "/pay/")
            charge(client)
            wait_until(
                lambda: len(notification_log(sandbox_url)[0]["attempts"]) == 1,
                message="the log does not show the first attempt",
            )

            delivery = notification_log(sandbox_url)[0]

        assert delivery["state"] == "pending"
        assert delivery["attempts"][0]["status"] == 200
        assert seconds_between(
            delivery["attempts"][0]["at"], delivery["next_attempt_at"]
        ) == pytest.approx(60, abs=1)

    def test_duplicates_are_delivered_twice(
        self,
        client: CloudPayments,
        sandbox_url: str,
        sandbox: Sandbox,
        receiver: NotificationReceiver,
    ) -> None:
        set_faults(sandbox_url, duplicate_notification_rate=1)
        configure_notification(sandbox_url, sandbox, "pay", receiver.url + "/pay/")
        charge(client)

        flush_notifications(sandbox_url)

        wait_until(
            lambda: len(receiver.received) == 2,
            message="the merchant did not get two notifications",
        )
        assert receiver.received[0].body == receiver.received[1].body

    def test_reordering_reverses_a_pair(
        self,
        client: CloudPayments,
        sandbox_url: str,
        sandbox: Sandbox,
        receiver: NotificationReceiver,
        paused_delivery: None,
    ) -> None:
        set_faults(sandbox_url, reorder_notifications=True)
        configure_notification(sandbox_url, sandbox, "pay", receiver.url + "/pay/")
        first, second = charge(client), charge(client)

        flush_notifications(sandbox_url)

        sent = [r.fields["TransactionId"] for r in receiver.received]
        assert sent == [str(second.id), str(first.id)]


class TestCheck:
    @pytest.mark.parametrize(
        ("status", "reply", "reason_code"),
        [
            (200, b'{"code": 10}', 3001),
            (200, b'{"code": 11}', 3002),
            (200, b'{"code": 12}', 3003),
            (200, b'{"code": 20}', 3004),
            (200, b'{"code": 13}', 3008),
            (200, b'{"code": 99}', 3005),
            (200, b"not json", 3005),
            (500, b'{"code": 0}', 3006),
        ],
    )
    def test_a_refusing_check_declines_the_payment(
        self,
        client: CloudPayments,
        sandbox_url: str,
        sandbox: Sandbox,
        status: int,
        reply: bytes,
        reason_code: int,
    ) -> None:
        with NotificationReceiver(replies=[(status, reply)]) as receiver:
            configure_notification(sandbox_url, sandbox, "check", receiver.url + "/c/")

            with pytest.raises(PaymentError) as caught:
                charge(client)

        assert caught.value.reason_code == reason_code
        assert client.get_transaction(caught.value.transaction_id).status == "Declined"
        assert notification_log(sandbox_url)[0]["kind"] == "check"

    def test_an_accepting_check_lets_the_payment_through(
        self,
        client: CloudPayments,
        sandbox_url: str,
        sandbox: Sandbox,
        receiver: NotificationReceiver,
    ) -> None:
        configure_notification(sandbox_url, sandbox, "check", receiver.url + "/check/")

        payment = charge(client)

        check = receiver.of_kind("check")[0]
        assert payment.status == "Completed"
        assert check.fields["TransactionId"] == str(payment.id)
        assert check.fields["Status"] == "Completed"
        assert "GatewayName" not in check.fields
        assert_signed(check, sandbox.config.cloudpayments_api_secret)
        assert notification_log(sandbox_url)[0]["state"] == "delivered"

    def test_an_unreachable_check_declines_with_3007(
        self, client: CloudPayments, sandbox_url: str, sandbox: Sandbox
    ) -> None:
        with NotificationReceiver() as closed:
            address = closed.url + "/check/"
        configure_notification(sandbox_url, sandbox, "check", address)

        with pytest.raises(PaymentError) as caught:
            charge(client)

        assert caught.value.reason_code == 3007

    def test_a_slow_check_declines_with_3006(
        self,
        client: CloudPayments,
        sandbox_url: str,
        sandbox: Sandbox,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        monkeypatch.setattr(notifications, "CHECK_TIMEOUT_SECONDS", 0.2)
        with NotificationReceiver(delay=1.0) as slow:
            configure_notification(sandbox_url, sandbox, "check", slow.url + "/check/")

            with pytest.raises(PaymentError) as caught:
                charge(client)

        assert caught.value.reason_code == 3006

    def test_token_payments_are_not_checked(
        self,
        client: CloudPayments,
        sandbox_url: str,
        sandbox: Sandbox,
        receiver: NotificationReceiver,
    ) -> None:
        first = charge(client)
        configure_notification(sandbox_url, sandbox, "check", receiver.url + "/check/")

        client.charge_token(first.token, "acc-1", 5, "RUB")

        assert receiver.received == []

    def test_a_refused_check_is_not_a_cloudpayments_error_without_model(
        self, client: CloudPayments, sandbox_url: str, sandbox: Sandbox
    ) -> None:
        """The decline is a full Transaction model, so the SDK raises PaymentError."""
        with NotificationReceiver(replies=[(200, b'{"code": 13}')]) as receiver:
            configure_notification(sandbox_url, sandbox, "check", receiver.url + "/c/")
            with pytest.raises(CloudPaymentsError) as caught:
                charge(client)

        assert isinstance(caught.value, PaymentError)
        assert caught.value.response["Model"]["Status"] == "Declined"
