"""Webhooks in (SPEC §6): verified over the raw body, stored once, applied forward.

What happens to a stored event afterwards, in detail, is in
`test_webhook_processing.py`.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from pytest_django.fixtures import Settings

from billing.models import BillingEvent, StatusChange
from billing.money import Money
from billing.services import ensure_payer
from payments.api.webhooks import MAX_BODY_BYTES
from payments.gateways.base import PaymentSnapshot, PaymentState
from payments.models import (
    CardSetup,
    GatewayEventRecord,
    GatewayEventStatus,
    Payment,
    PaymentStatus,
)
from tests.fixtures.webhooks import ENTRY_POINTS
from tests.payments.webhook_messages import (
    CARD_TOKEN,
    CLIENT_SECRET,
    CLOUDPAYMENTS_SECRET,
    NOW,
    PAYER_EMAIL,
    PAYER_NAME,
    Response,
    WebhookPoster,
    cloudpayments_body,
    cloudpayments_fields,
    cloudpayments_headers,
    new_payment,
    stripe_body,
    stripe_headers,
    stripe_intent_event,
)

# Every test posts through the real adapters, with the test messages' secrets, to
# each entry point: the WSGI views and the ASGI edge keep one contract.
pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("webhook_gateways"),
    pytest.mark.parametrize("webhook_poster", ENTRY_POINTS, indirect=True),
]


def _transitions(payment: Payment) -> list[tuple[str, str]]:
    return list(
        StatusChange.objects.filter(object_type="payment", object_id=str(payment.id))
        .order_by("id")
        .values_list("from_status", "to_status")
    )


def _events(payment: Payment) -> list[str]:
    return list(
        BillingEvent.objects.filter(payload__payment_id=str(payment.id))
        .order_by("cursor")
        .values_list("type", flat=True)
    )


def _error_code(response: Response) -> str:
    body = response.json()
    assert set(body) == {"code", "message", "extra"}
    return str(body["code"])


def _status(payment: Payment) -> str:
    payment.refresh_from_db()
    return payment.status


class TestCloudPaymentsNotification:
    def test_a_signed_pay_is_stored_once_and_settles_the_payment(
        self, webhook_poster: WebhookPoster
    ) -> None:
        """The reply is `{"code": 0}`; the payment succeeds with the captured sum."""
        payment = new_payment()

        response = webhook_poster.cloudpayments(
            "pay", cloudpayments_fields(payment, "pay")
        )

        assert (response.status_code, response.json()) == (200, {"code": 0})
        record = GatewayEventRecord.objects.get()
        assert (record.kind, record.external_id) == ("cloudpayments.pay", "1001")
        assert (record.status, record.payment_id) == (
            GatewayEventStatus.PROCESSED,
            payment.id,
        )
        payment.refresh_from_db()
        assert (payment.status, payment.captured_minor) == (
            PaymentStatus.SUCCEEDED,
            1000,
        )
        assert _events(payment) == ["payment.succeeded"]

    def test_the_signature_of_the_decoded_body_alone_is_accepted_locally(
        self, webhook_poster: WebhookPoster, settings: Settings
    ) -> None:
        """`X-Content-HMAC` signs the URL-decoded body (GATEWAYS.md B4)."""
        settings.CLOUDPAYMENTS_ACCEPT_X_CONTENT_HMAC = True
        body = cloudpayments_body(cloudpayments_fields(new_payment(), "pay"))
        headers = cloudpayments_headers(body, decoded=True)

        response = webhook_poster.cloudpayments("pay", {}, body=body, headers=headers)

        assert response.json() == {"code": 0}
        assert GatewayEventRecord.objects.count() == 1

    def test_the_signature_of_the_decoded_body_alone_is_refused_in_production(
        self, webhook_poster: WebhookPoster, settings: Settings
    ) -> None:
        """Without `Content-HMAC` nothing is stored unless settings allow it."""
        settings.CLOUDPAYMENTS_ACCEPT_X_CONTENT_HMAC = False
        payment = new_payment()
        body = cloudpayments_body(cloudpayments_fields(payment, "pay"))
        headers = cloudpayments_headers(body, decoded=True)

        response = webhook_poster.cloudpayments("pay", {}, body=body, headers=headers)

        assert response.status_code == 401
        assert _error_code(response) == "invalid_signature"
        assert GatewayEventRecord.objects.count() == 0
        assert _status(payment) == PaymentStatus.PENDING

    @pytest.mark.parametrize("fault", ["missing", "wrong_secret", "tampered_body"])
    def test_a_bad_signature_is_refused_and_nothing_is_stored(
        self, webhook_poster: WebhookPoster, fault: str
    ) -> None:
        payment = new_payment()
        body = cloudpayments_body(cloudpayments_fields(payment, "pay"))
        headers = {
            "missing": {},
            "wrong_secret": cloudpayments_headers(body, secret="not-the-secret"),
            "tampered_body": cloudpayments_headers(body),
        }[fault]
        if fault == "tampered_body":
            body = body.replace(b"Amount=10.00", b"Amount=0.01")

        response = webhook_poster.cloudpayments("pay", {}, body=body, headers=headers)

        assert response.status_code == 401
        assert _error_code(response) == "invalid_signature"
        assert GatewayEventRecord.objects.count() == 0
        assert _status(payment) == PaymentStatus.PENDING
        assert _transitions(payment) == []

    def test_a_body_over_one_mebibyte_is_refused(
        self, webhook_poster: WebhookPoster
    ) -> None:
        body = b"TransactionId=1&Data=" + b"x" * MAX_BODY_BYTES

        response = webhook_poster.cloudpayments("pay", {}, body=body)

        assert response.status_code == 413
        assert _error_code(response) == "payload_too_large"
        assert GatewayEventRecord.objects.count() == 0

    def test_a_declared_length_over_the_limit_is_refused_unread(
        self, webhook_poster: WebhookPoster
    ) -> None:
        body = b"TransactionId=1"

        response = webhook_poster.send(
            "/webhooks/cloudpayments/pay/",
            body,
            headers=cloudpayments_headers(body),
            content_length=MAX_BODY_BYTES + 1,
        )

        assert response.status_code == 413
        assert GatewayEventRecord.objects.count() == 0

    def test_a_verified_body_that_is_no_notification_is_refused(
        self, webhook_poster: WebhookPoster
    ) -> None:
        fields = cloudpayments_fields(new_payment(), "pay")
        del fields["TransactionId"]

        response = webhook_poster.cloudpayments("pay", fields)

        assert response.status_code == 400
        assert _error_code(response) == "malformed_webhook"
        assert GatewayEventRecord.objects.count() == 0

    def test_an_unknown_notification_type_is_not_found(
        self, webhook_poster: WebhookPoster
    ) -> None:
        response = webhook_poster.cloudpayments("payout", {"TransactionId": "1"})

        assert response.status_code == 404
        assert _error_code(response) == "not_found"

    def test_only_post_is_allowed(self, webhook_poster: WebhookPoster) -> None:
        response = webhook_poster.send("/webhooks/cloudpayments/pay/", method="GET")

        assert response.status_code == 405

    def test_a_duplicate_is_stored_once_and_applied_once(
        self, webhook_poster: WebhookPoster
    ) -> None:
        """The repeat gets the same answer, so that the gateway stops sending it."""
        payment = new_payment()
        fields = cloudpayments_fields(payment, "pay")

        replies = [webhook_poster.cloudpayments("pay", fields) for _ in range(2)]

        assert [reply.json() for reply in replies] == [{"code": 0}, {"code": 0}]
        assert GatewayEventRecord.objects.count() == 1
        assert _transitions(payment) == [
            (PaymentStatus.PENDING, PaymentStatus.SUCCEEDED)
        ]
        assert _events(payment) == ["payment.succeeded"]

    def test_the_stored_payload_holds_no_token_and_no_personal_data(
        self, webhook_poster: WebhookPoster
    ) -> None:
        webhook_poster.cloudpayments("pay", cloudpayments_fields(new_payment(), "pay"))

        payload = GatewayEventRecord.objects.get().payload
        assert {"Token", "Name", "Email"}.isdisjoint(payload)
        stored = json.dumps(payload)
        assert all(s not in stored for s in (CARD_TOKEN, PAYER_NAME, PAYER_EMAIL))
        assert payload["CardLastFour"] == "4242"

    def test_a_fail_records_the_decline_reason(
        self, webhook_poster: WebhookPoster
    ) -> None:
        payment = new_payment()

        webhook_poster.cloudpayments("fail", cloudpayments_fields(payment, "fail"))

        payment.refresh_from_db()
        assert (payment.status, payment.failure_code) == (PaymentStatus.FAILED, "5051")


Change = Callable[[Payment], dict[str, str]]


def _unchanged(payment: Payment) -> dict[str, str]:
    return {}


def _card_setup(*, status: str) -> CardSetup:
    payer = ensure_payer(payer_id=uuid.uuid4())
    return CardSetup.objects.create(
        payer=payer,
        gateway="cloudpayments",
        status=status,
        verification_amount_minor=100,
        currency="RUB",
        idempotency_key=f"card_setup:{uuid.uuid4()}",
        payment_method=None,
        created_at=dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC),
        updated_at=dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC),
    )


def _no_such_payment(payment: Payment) -> dict[str, str]:
    return {"InvoiceId": f"payment:{uuid.uuid4()}"}


class TestCloudPaymentsCheck:
    @pytest.mark.parametrize(
        ("change", "status", "code"),
        [
            (_unchanged, PaymentStatus.PENDING, 0),
            (_unchanged, PaymentStatus.REQUIRES_ACTION, 0),
            (lambda payment: {"InvoiceId": "order:42"}, PaymentStatus.PENDING, 10),
            (_no_such_payment, PaymentStatus.PENDING, 10),
            (
                lambda payment: {"AccountId": str(uuid.uuid4())},
                PaymentStatus.PENDING,
                11,
            ),
            (lambda payment: {"Amount": "10.01"}, PaymentStatus.PENDING, 12),
            (lambda payment: {"Currency": "USD"}, PaymentStatus.PENDING, 12),
            (_unchanged, PaymentStatus.SUCCEEDED, 13),
            (_unchanged, PaymentStatus.FAILED, 13),
        ],
    )
    def test_answers_whether_the_payment_may_take_the_money(
        self, webhook_poster: WebhookPoster, change: Change, status: str, code: int
    ) -> None:
        payment = new_payment(status=status)
        fields = cloudpayments_fields(payment, "check", **change(payment))

        response = webhook_poster.cloudpayments("check", fields)

        assert response.json() == {"code": code}

    @pytest.mark.parametrize(
        ("status", "amount", "code"),
        [
            ("PENDING", "1.00", 0),
            ("REQUIRES_ACTION", "1.00", 0),
            ("PENDING", "2.00", 12),
            ("FAILED", "1.00", 13),
        ],
    )
    def test_answers_for_a_card_check_too(
        self, webhook_poster: WebhookPoster, status: str, amount: str, code: int
    ) -> None:
        """A trial's card check authorizes 1.00 under `card_setup:<id>`."""
        setup = _card_setup(status=status)
        fields = cloudpayments_fields(
            new_payment(),
            "check",
            InvoiceId=f"card_setup:{setup.id}",
            AccountId=str(setup.payer_id),
            Amount=amount,
            Currency="RUB",
        )

        response = webhook_poster.cloudpayments("check", fields)

        assert response.json() == {"code": code}

    def test_the_pay_of_a_card_check_is_ignored_not_orphaned(
        self, webhook_poster: WebhookPoster
    ) -> None:
        setup = _card_setup(status="FAILED")
        fields = cloudpayments_fields(
            new_payment(),
            "pay",
            InvoiceId=f"card_setup:{setup.id}",
            AccountId=str(setup.payer_id),
            Amount="1.00",
        )

        webhook_poster.cloudpayments("pay", fields)

        record = GatewayEventRecord.objects.get()
        assert record.status == GatewayEventStatus.IGNORED

    def test_a_check_is_stored_and_changes_nothing(
        self, webhook_poster: WebhookPoster
    ) -> None:
        payment = new_payment()

        webhook_poster.cloudpayments("check", cloudpayments_fields(payment, "check"))

        record = GatewayEventRecord.objects.get()
        assert (record.kind, record.status) == (
            "cloudpayments.check",
            GatewayEventStatus.IGNORED,
        )
        assert "Token" not in record.payload
        assert _status(payment) == PaymentStatus.PENDING


def _succeeded(payment: Payment, **fields: Any) -> dict[str, Any]:
    return stripe_intent_event(
        payment, "payment_intent.succeeded", status="succeeded", **fields
    )


class TestStripeWebhook:
    def test_a_signed_event_is_stored_once_and_settles_the_payment(
        self, webhook_poster: WebhookPoster
    ) -> None:
        payment = new_payment(gateway="stripe")
        event = _succeeded(payment)

        response = webhook_poster.stripe(event)

        assert (response.status_code, response.json()) == (200, {"received": True})
        record = GatewayEventRecord.objects.get()
        assert (record.external_id, record.status) == (
            event["id"],
            GatewayEventStatus.PROCESSED,
        )
        payment.refresh_from_db()
        assert (payment.status, payment.gateway_reference) == (
            PaymentStatus.SUCCEEDED,
            "pi_webhook_1",
        )

    @pytest.mark.parametrize("fault", ["missing", "wrong_secret", "tampered_body"])
    def test_a_bad_signature_is_refused_and_nothing_is_stored(
        self, webhook_poster: WebhookPoster, fault: str
    ) -> None:
        payment = new_payment(gateway="stripe")
        body = stripe_body(_succeeded(payment))
        headers = {
            "missing": {},
            "wrong_secret": stripe_headers(body, secret="whsec_other"),
            "tampered_body": stripe_headers(body),
        }[fault]
        if fault == "tampered_body":
            body = body.replace(b'"amount": 1000', b'"amount": 1')

        response = webhook_poster.stripe({}, body=body, headers=headers)

        assert response.status_code == 401
        assert _error_code(response) == "invalid_signature"
        assert GatewayEventRecord.objects.count() == 0
        assert _status(payment) == PaymentStatus.PENDING

    @pytest.mark.parametrize(("age", "status_code"), [(290, 200), (301, 401)])
    def test_a_signature_older_than_300_seconds_is_a_replay(
        self, webhook_poster: WebhookPoster, age: int, status_code: int
    ) -> None:
        body = stripe_body(_succeeded(new_payment(gateway="stripe")))
        headers = stripe_headers(body, timestamp=int(time.time()) - age)

        response = webhook_poster.stripe({}, body=body, headers=headers)

        assert response.status_code == status_code
        assert GatewayEventRecord.objects.count() == (1 if status_code == 200 else 0)

    def test_a_body_over_one_mebibyte_is_refused(
        self, webhook_poster: WebhookPoster
    ) -> None:
        response = webhook_poster.stripe({}, body=b" " * (MAX_BODY_BYTES + 1))

        assert response.status_code == 413
        assert GatewayEventRecord.objects.count() == 0

    def test_a_verified_body_that_is_no_event_is_refused(
        self, webhook_poster: WebhookPoster
    ) -> None:
        response = webhook_poster.stripe({"object": "charge", "id": "ch_1"})

        assert response.status_code == 400
        assert _error_code(response) == "malformed_webhook"
        assert GatewayEventRecord.objects.count() == 0

    def test_a_duplicate_is_stored_once_and_applied_once(
        self, webhook_poster: WebhookPoster
    ) -> None:
        payment = new_payment(gateway="stripe")
        event = _succeeded(payment)

        replies = [webhook_poster.stripe(event) for _ in range(2)]

        assert [reply.status_code for reply in replies] == [200, 200]
        assert GatewayEventRecord.objects.count() == 1
        assert _transitions(payment) == [
            (PaymentStatus.PENDING, PaymentStatus.SUCCEEDED)
        ]
        assert _events(payment) == ["payment.succeeded"]

    def test_the_stored_payload_holds_no_client_secret_or_e_mail(
        self, webhook_poster: WebhookPoster
    ) -> None:
        webhook_poster.stripe(_succeeded(new_payment(gateway="stripe")))

        stored = json.dumps(GatewayEventRecord.objects.get().payload)
        assert CLIENT_SECRET not in stored
        assert PAYER_EMAIL not in stored

    def test_a_failed_intent_records_the_decline_code(
        self, webhook_poster: WebhookPoster
    ) -> None:
        payment = new_payment(gateway="stripe")
        error = {"code": "card_declined", "decline_code": "insufficient_funds"}

        webhook_poster.stripe(
            stripe_intent_event(
                payment,
                "payment_intent.payment_failed",
                status="requires_payment_method",
                last_payment_error=error,
            )
        )

        payment.refresh_from_db()
        assert (payment.status, payment.failure_code) == (
            PaymentStatus.FAILED,
            "insufficient_funds",
        )


def _recorded_success(payment: Payment) -> PaymentSnapshot:
    return PaymentSnapshot(
        gateway_reference="1001",
        reference=f"payment:{payment.id}",
        state=PaymentState.SUCCEEDED,
        amount=payment.amount,
        captured=payment.amount,
        refunded=Money(0, payment.currency),
        created_at=NOW,
    )


class TestOrderAndOrphans:
    @pytest.mark.parametrize("order", [("fail", "pay"), ("pay", "fail")])
    def test_a_fail_and_a_pay_for_one_payment_end_alike_in_either_order(
        self,
        webhook_poster: WebhookPoster,
        webhook_gateways: dict[str, PaymentSnapshot],
        order: tuple[str, str],
    ) -> None:
        """The gateway's current record decides: captured money outranks a decline."""
        payment = new_payment()
        webhook_gateways[f"payment:{payment.id}"] = _recorded_success(payment)

        for kind in order:
            webhook_poster.cloudpayments(kind, cloudpayments_fields(payment, kind))

        assert _status(payment) == PaymentStatus.SUCCEEDED
        assert _transitions(payment) == [
            (PaymentStatus.PENDING, PaymentStatus.SUCCEEDED)
        ]

    def test_a_fail_after_the_pay_changes_nothing(
        self, webhook_poster: WebhookPoster
    ) -> None:
        payment = new_payment()

        for kind in ("pay", "fail"):
            webhook_poster.cloudpayments(kind, cloudpayments_fields(payment, kind))

        assert _status(payment) == PaymentStatus.SUCCEEDED
        fail = GatewayEventRecord.objects.get(kind="cloudpayments.fail")
        assert fail.status == GatewayEventStatus.IGNORED

    def test_a_pay_after_the_fail_of_another_attempt_settles_that_attempt(
        self, webhook_poster: WebhookPoster
    ) -> None:
        declined, retried = new_payment(), new_payment()

        webhook_poster.cloudpayments("fail", cloudpayments_fields(declined, "fail"))
        webhook_poster.cloudpayments(
            "pay", cloudpayments_fields(retried, "pay", transaction_id="1002")
        )

        assert (_status(declined), _status(retried)) == (
            PaymentStatus.FAILED,
            PaymentStatus.SUCCEEDED,
        )

    def test_an_event_for_an_unknown_payment_is_kept_as_orphaned(
        self, webhook_poster: WebhookPoster, caplog: pytest.LogCaptureFixture
    ) -> None:
        stranger = new_payment()
        fields = cloudpayments_fields(
            stranger, "pay", InvoiceId=f"payment:{uuid.uuid4()}", transaction_id="9"
        )

        with caplog.at_level(logging.WARNING):
            response = webhook_poster.cloudpayments("pay", fields)

        assert response.json() == {"code": 0}
        assert GatewayEventRecord.objects.get().status == GatewayEventStatus.ORPHANED
        assert "payments.webhook.orphaned" in caplog.messages
        assert _status(stranger) == PaymentStatus.PENDING


def test_no_token_or_secret_reaches_the_logs(
    webhook_poster: WebhookPoster, caplog: pytest.LogCaptureFixture
) -> None:
    fields = cloudpayments_fields(new_payment(), "pay")
    forged = cloudpayments_headers(cloudpayments_body(fields), secret="x")

    with caplog.at_level(logging.DEBUG):
        webhook_poster.cloudpayments("pay", fields, headers=forged)
        webhook_poster.cloudpayments("pay", fields)

    logged = " ".join(str(record.__dict__) for record in caplog.records)
    assert all(s not in logged for s in (CARD_TOKEN, CLOUDPAYMENTS_SECRET, PAYER_EMAIL))


class TestMethods:
    @pytest.mark.parametrize(
        "path", ["/webhooks/cloudpayments/pay/", "/webhooks/stripe/"]
    )
    def test_only_post_is_accepted_and_the_refusal_has_the_error_shape(
        self, webhook_poster: WebhookPoster, path: str
    ) -> None:
        response = webhook_poster.send(path, method="GET")

        assert response.status_code == 405
        assert response["Allow"] == "POST"
        assert response.json()["code"] == "method_not_allowed"
        assert GatewayEventRecord.objects.count() == 0
