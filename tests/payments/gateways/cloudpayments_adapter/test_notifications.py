"""CloudPayments notifications: verified and parsed by the adapter."""

from __future__ import annotations

import pytest
from pytest_django.fixtures import Settings

from billing.money import Money
from gateway_sandbox.app import Sandbox
from payments.gateways.base import (
    Declined,
    GatewayError,
    InvalidSignature,
    PayerAccount,
    PaymentGateway,
    PaymentState,
)
from tests.gateway_sandbox.cloudpayments_merchant import (
    NotificationReceiver,
    Received,
    configure_notification,
    flush_notifications,
)
from tests.payments.gateways.cloudpayments_adapter.charges import (
    INSUFFICIENT_FUNDS,
    TEN_RUBLES,
    pay,
)

pytestmark = pytest.mark.sandbox


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

    @pytest.mark.parametrize("accepted", [True, False])
    def test_the_url_decoded_signature_alone_counts_only_where_settings_allow(
        self,
        gateway: PaymentGateway,
        sandbox_url: str,
        sandbox: Sandbox,
        payer: PayerAccount,
        receiver: NotificationReceiver,
        settings: Settings,
        accepted: bool,
    ) -> None:
        """`Content-HMAC` is required; `X-Content-HMAC` alone only in local use."""
        settings.CLOUDPAYMENTS_ACCEPT_X_CONTENT_HMAC = accepted
        notification = self.delivered(
            gateway, sandbox_url, sandbox, payer, receiver, "pay"
        )
        headers = {
            name.lower(): value
            for name, value in notification.headers.items()
            if name.lower() != "content-hmac"
        }

        if accepted:
            gateway.verify_webhook(body=notification.body, headers=headers)
        else:
            with pytest.raises(InvalidSignature):
                gateway.verify_webhook(body=notification.body, headers=headers)

    def test_the_gateway_signs_with_both_headers(
        self,
        gateway: PaymentGateway,
        sandbox_url: str,
        sandbox: Sandbox,
        payer: PayerAccount,
        receiver: NotificationReceiver,
        settings: Settings,
    ) -> None:
        """With the fallback off, a real notification still verifies."""
        settings.CLOUDPAYMENTS_ACCEPT_X_CONTENT_HMAC = False
        notification = self.delivered(
            gateway, sandbox_url, sandbox, payer, receiver, "pay"
        )

        gateway.verify_webhook(body=notification.body, headers=notification.headers)

        assert {"content-hmac", "x-content-hmac"} <= {
            name.lower() for name in notification.headers
        }

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
