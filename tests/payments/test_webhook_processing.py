"""Processing stored webhook events: two-step order, lost replies, refunds, retries."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.core.cache import cache
from django.test import Client
from pytest_django import DjangoCaptureOnCommitCallbacks

from billing.clock import OFFSET_CACHE_KEY
from billing.money import Money
from payments.gateways.base import CardDetails, PaymentSnapshot, PaymentState
from payments.models import (
    GatewayEventRecord,
    GatewayEventStatus,
    Payment,
    PaymentStatus,
    Refund,
    RefundReason,
    RefundStatus,
)
from payments.services import (
    RefundNotYetRecorded,
    gateway_events_to_retry,
    process_gateway_event,
)
from payments.tasks import retry_gateway_events
from tests.payments.webhook_messages import (
    FORM,
    NOW,
    WebhookPoster,
    cloudpayments_body,
    cloudpayments_fields,
    cloudpayments_headers,
    new_payment,
    stripe_intent_event,
    stripe_refund_event,
)

# Every test posts through the real adapters, with the test messages' secrets.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("webhook_gateways")]


def _status(payment: Payment) -> str:
    payment.refresh_from_db()
    return payment.status


class TestPaymentEvents:
    @pytest.mark.parametrize("order", [("pay", "confirm"), ("confirm", "pay")])
    def test_an_authorization_and_its_capture_end_captured_in_either_order(
        self, webhook_poster: WebhookPoster, order: tuple[str, str]
    ) -> None:
        payment = new_payment()
        notifications = {
            "pay": cloudpayments_fields(payment, "pay", Status="Authorized"),
            "confirm": cloudpayments_fields(payment, "confirm", Amount="7.00"),
        }

        for kind in order:
            webhook_poster.cloudpayments(kind, notifications[kind])

        payment.refresh_from_db()
        assert (payment.status, payment.captured_minor) == (
            PaymentStatus.SUCCEEDED,
            700,
        )

    def test_a_long_transaction_id_survives_storage_and_is_applied(
        self, webhook_poster: WebhookPoster
    ) -> None:
        """CloudPayments' ids are int64: one as long as a card number is kept."""
        payment = new_payment()
        fields = cloudpayments_fields(payment, "pay", transaction_id="123456789012345")

        webhook_poster.cloudpayments("pay", fields)

        payment.refresh_from_db()
        record = GatewayEventRecord.objects.get()
        assert record.payload["TransactionId"] == "123456789012345"
        assert (payment.status, payment.gateway_reference) == (
            PaymentStatus.SUCCEEDED,
            "123456789012345",
        )

    def test_a_cancel_releases_an_authorization(
        self, webhook_poster: WebhookPoster
    ) -> None:
        payment = new_payment(status=PaymentStatus.AUTHORIZED, gateway_reference="1001")

        webhook_poster.cloudpayments("cancel", cloudpayments_fields(payment, "cancel"))

        assert _status(payment) == PaymentStatus.CANCELED

    def test_a_stripe_authorization_is_recorded(
        self, webhook_poster: WebhookPoster
    ) -> None:
        payment = new_payment(gateway="stripe")

        webhook_poster.stripe(
            stripe_intent_event(
                payment,
                "payment_intent.amount_capturable_updated",
                status="requires_capture",
            )
        )

        assert _status(payment) == PaymentStatus.AUTHORIZED

    @pytest.mark.parametrize(
        ("event_type", "status"),
        [
            ("payment_intent.requires_action", "requires_action"),
            ("payment_intent.created", "requires_payment_method"),
        ],
    )
    def test_events_that_settle_nothing_are_kept_and_ignored(
        self, webhook_poster: WebhookPoster, event_type: str, status: str
    ) -> None:
        payment = new_payment(gateway="stripe")

        webhook_poster.stripe(stripe_intent_event(payment, event_type, status=status))

        assert GatewayEventRecord.objects.get().status == GatewayEventStatus.IGNORED
        assert _status(payment) == PaymentStatus.PENDING

    def test_a_recurrent_notification_is_kept_and_not_acted_on(
        self, webhook_poster: WebhookPoster
    ) -> None:
        fields = {
            "Id": "sc_1",
            "AccountId": str(uuid.uuid4()),
            "Amount": "10.00",
            "Currency": "RUB",
            "Status": "Active",
            "SuccessfulTransactionsNumber": "1",
            "FailedTransactionsNumber": "0",
        }

        response = webhook_poster.cloudpayments("recurrent", fields)

        assert response.json() == {"code": 0}
        assert GatewayEventRecord.objects.get().status == GatewayEventStatus.IGNORED

    def test_a_payment_whose_reply_was_lost_is_settled_with_its_card(
        self,
        webhook_poster: WebhookPoster,
        webhook_gateways: dict[str, PaymentSnapshot],
    ) -> None:
        """The gateway's record brings the token that the notification leaves out."""
        payment = new_payment(status=PaymentStatus.UNKNOWN)
        webhook_gateways[f"payment:{payment.id}"] = PaymentSnapshot(
            gateway_reference="1001",
            reference=f"payment:{payment.id}",
            state=PaymentState.SUCCEEDED,
            amount=payment.amount,
            captured=payment.amount,
            refunded=Money(0, "RUB"),
            created_at=NOW,
            token="tk_from_the_gateway",
            card=CardDetails(brand="Visa", first6="424242", last4="4242"),
        )

        webhook_poster.cloudpayments("pay", cloudpayments_fields(payment, "pay"))

        payment.refresh_from_db()
        assert payment.status == PaymentStatus.SUCCEEDED
        assert payment.payment_method is not None
        method = payment.payment_method
        assert (method.token, method.last4) == ("tk_from_the_gateway", "4242")

    def test_without_the_gateway_a_pay_after_a_fail_is_noted_for_reconciliation(
        self, webhook_poster: WebhookPoster
    ) -> None:
        """Forward only: the payment stays FAILED; the Pay is flagged, not dropped."""
        payment = new_payment()

        for kind in ("fail", "pay"):
            webhook_poster.cloudpayments(kind, cloudpayments_fields(payment, kind))

        assert _status(payment) == PaymentStatus.FAILED
        pay = GatewayEventRecord.objects.get(kind="cloudpayments.pay")
        assert pay.status == GatewayEventStatus.PROCESSED
        assert "left to reconciliation" in pay.error

    def test_a_capture_above_the_payment_is_noted_not_applied(
        self, webhook_poster: WebhookPoster
    ) -> None:
        payment = new_payment()

        webhook_poster.cloudpayments(
            "pay", cloudpayments_fields(payment, "pay", Amount="99.00")
        )

        assert _status(payment) == PaymentStatus.PENDING
        record = GatewayEventRecord.objects.get()
        assert record.status == GatewayEventStatus.PROCESSED
        assert record.error.startswith("mismatch: succeeded 99.00 RUB")


class TestRefundEvents:
    @pytest.fixture
    def paid(self) -> Payment:
        payment = new_payment(status=PaymentStatus.SUCCEEDED, gateway_reference="1001")
        Payment.objects.filter(id=payment.id).update(captured_minor=1000)
        payment.refresh_from_db()
        return payment

    def _refund(self, payment: Payment, status: str, reference: str | None) -> Refund:
        return Refund.objects.create(
            payment=payment,
            amount_minor=1000,
            currency=payment.currency,
            reason=RefundReason.REQUESTED_BY_CUSTOMER,
            status=status,
            idempotency_key=f"refund:{uuid.uuid4()}",
            gateway_reference=reference,
            requested_by="user:support",
            created_at=NOW,
            updated_at=NOW,
        )

    def test_a_refund_of_ours_is_confirmed_and_nothing_new_is_recorded(
        self, webhook_poster: WebhookPoster, paid: Payment
    ) -> None:
        self._refund(paid, RefundStatus.SUCCEEDED, "2002")
        fields = cloudpayments_fields(paid, "refund", transaction_id="2002")

        webhook_poster.cloudpayments("refund", fields)

        record = GatewayEventRecord.objects.get()
        assert (record.status, record.error) == (GatewayEventStatus.PROCESSED, "")
        assert Refund.objects.count() == 1

    def test_a_refund_made_in_the_dashboard_is_noted_and_not_recorded(
        self, webhook_poster: WebhookPoster, paid: Payment
    ) -> None:
        fields = cloudpayments_fields(paid, "refund", transaction_id="2003")

        webhook_poster.cloudpayments("refund", fields)

        record = GatewayEventRecord.objects.get()
        assert record.status == GatewayEventStatus.PROCESSED
        assert "2003" in record.error
        assert "reconciliation" in record.error
        assert Refund.objects.count() == 0
        paid.refresh_from_db()
        assert paid.refunded_minor == 0

    def test_a_refund_ahead_of_our_own_reply_is_left_for_a_retry(
        self, webhook_poster: WebhookPoster, paid: Payment
    ) -> None:
        self._refund(paid, RefundStatus.PENDING, None)
        fields = cloudpayments_fields(paid, "refund", transaction_id="2004")

        webhook_poster.cloudpayments("refund", fields)

        record = GatewayEventRecord.objects.get()
        assert (record.status, record.attempts) == (GatewayEventStatus.FAILED, 1)
        assert record.error.startswith(RefundNotYetRecorded.__name__)

    def test_a_stripe_refund_of_ours_is_confirmed(
        self, webhook_poster: WebhookPoster
    ) -> None:
        payment = new_payment(
            gateway="stripe",
            status=PaymentStatus.SUCCEEDED,
            gateway_reference="pi_webhook_1",
        )
        self._refund(payment, RefundStatus.SUCCEEDED, "re_1")

        webhook_poster.stripe(stripe_refund_event(payment, refund_id="re_1"))

        record = GatewayEventRecord.objects.get()
        assert (record.status, record.error) == (GatewayEventStatus.PROCESSED, "")
        assert record.payment_id == payment.id


class TestProcessing:
    @pytest.fixture
    def stored(
        self,
        client: Client,
        django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
    ) -> GatewayEventRecord:
        """A Pay stored by the view, its processing enqueued but not run."""
        body = cloudpayments_body(cloudpayments_fields(new_payment(), "pay"))
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            client.post(
                "/webhooks/cloudpayments/pay/",
                data=body,
                content_type=FORM,
                headers=cloudpayments_headers(body),
            )
        assert len(callbacks) == 1
        return GatewayEventRecord.objects.get()

    def test_an_error_marks_the_record_failed_and_is_raised_for_a_retry(
        self, stored: GatewayEventRecord, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        def explode(*args: object, **kwargs: object) -> None:
            raise RuntimeError("the disk is full")

        monkeypatch.setattr(
            "payments.services._webhook_handlers.apply_snapshot", explode
        )

        with pytest.raises(RuntimeError):
            process_gateway_event(record_id=stored.id, now=NOW)

        stored.refresh_from_db()
        assert (stored.status, stored.attempts) == (GatewayEventStatus.FAILED, 1)
        assert stored.error == "RuntimeError: the disk is full"
        assert Payment.objects.get().status == PaymentStatus.PENDING

    def test_a_processed_record_is_not_applied_again(
        self, stored: GatewayEventRecord
    ) -> None:
        first = process_gateway_event(record_id=stored.id, now=NOW)

        second = process_gateway_event(record_id=stored.id, now=NOW)

        assert (first, second) == (
            GatewayEventStatus.PROCESSED,
            GatewayEventStatus.PROCESSED,
        )
        stored.refresh_from_db()
        assert stored.attempts == 1

    def test_the_sweep_finds_unprocessed_and_failed_records_after_a_minute(
        self, stored: GatewayEventRecord
    ) -> None:
        received = stored.received_at
        exhausted = GatewayEventRecord.objects.create(
            gateway="cloudpayments",
            kind="cloudpayments.pay",
            external_id="77",
            payload={},
            status=GatewayEventStatus.FAILED,
            attempts=10,
            received_at=received,
        )

        early = gateway_events_to_retry(now=received + dt.timedelta(seconds=59))
        due = gateway_events_to_retry(now=received + dt.timedelta(seconds=61))

        assert early == []
        assert due == [stored.id]
        assert exhausted.id not in due

    def test_the_beat_task_processes_what_the_sweep_finds(
        self, stored: GatewayEventRecord
    ) -> None:
        cache.set(OFFSET_CACHE_KEY, 120)
        try:
            enqueued = retry_gateway_events.delay().get()
        finally:
            cache.delete(OFFSET_CACHE_KEY)

        assert enqueued == 1
        stored.refresh_from_db()
        assert stored.status == GatewayEventStatus.PROCESSED
        assert Payment.objects.get().status == PaymentStatus.SUCCEEDED
