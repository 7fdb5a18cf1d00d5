"""Gateway notifications that do not match the payment they name are not applied.

Signed messages as the gateways send them (`webhook_messages`), processed by the
real adapters: each leaves the payment as it was and records what came in.
"""

from __future__ import annotations

import dataclasses
import uuid

import pytest

from billing.models import Payer
from billing.money import Money
from payments.gateways.base import PaymentSnapshot, PaymentState
from payments.models import (
    GatewayEventRecord,
    GatewayEventStatus,
    Payment,
    PaymentStatus,
)
from tests.payments.mismatches import mismatch_recorded
from tests.payments.webhook_messages import (
    NOW,
    WebhookPoster,
    cloudpayments_fields,
    new_payment,
    stripe_intent_event,
)

# Every test posts through the real adapters, with the test messages' secrets.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("webhook_gateways")]


def _unchanged(payment: Payment) -> bool:
    """Whether the stored payment is still what it was before the message."""
    stored = Payment.objects.get(id=payment.id)
    return (
        stored.status,
        stored.captured_minor,
        stored.gateway_reference,
        stored.payment_method_id,
    ) == (payment.status, 0, payment.gateway_reference, None)


def _noted() -> str:
    record = GatewayEventRecord.objects.get()
    assert record.status == GatewayEventStatus.PROCESSED
    return record.error


class TestCloudPaymentsPay:
    def test_a_forged_amount_is_not_applied(
        self, webhook_poster: WebhookPoster
    ) -> None:
        payment = new_payment()

        webhook_poster.cloudpayments(
            "pay", cloudpayments_fields(payment, "pay", Amount="1.00")
        )

        assert _unchanged(payment)
        assert mismatch_recorded(payment) == (
            "succeeded 1.00 RUB for a payment of 10.00 RUB"
        )
        assert _noted().startswith("mismatch: succeeded 1.00 RUB")

    def test_another_currency_is_not_applied(
        self, webhook_poster: WebhookPoster
    ) -> None:
        payment = new_payment()

        webhook_poster.cloudpayments(
            "pay", cloudpayments_fields(payment, "pay", Currency="USD")
        )

        assert _unchanged(payment)
        assert "another currency" in mismatch_recorded(payment)

    def test_another_transactions_pay_under_our_invoice_is_not_applied(
        self, webhook_poster: WebhookPoster
    ) -> None:
        """The payment waits for 3-D Secure in transaction 1001."""
        payment = new_payment(
            status=PaymentStatus.REQUIRES_ACTION, gateway_reference="1001"
        )

        webhook_poster.cloudpayments(
            "pay", cloudpayments_fields(payment, "pay", transaction_id="2002")
        )

        assert _unchanged(payment)
        assert mismatch_recorded(payment) == (
            "gateway transaction 2002 is not the payment's 1001"
        )

    def test_a_wrong_account_is_not_applied(
        self, webhook_poster: WebhookPoster
    ) -> None:
        payment = new_payment()
        stranger = str(uuid.uuid4())

        webhook_poster.cloudpayments(
            "pay", cloudpayments_fields(payment, "pay", AccountId=stranger)
        )

        assert _unchanged(payment)
        assert mismatch_recorded(payment).startswith(f"account {stranger!r}")

    def test_a_pay_without_an_account_is_not_applied(
        self, webhook_poster: WebhookPoster
    ) -> None:
        """Every payment is sent with an AccountId: its Pay must name it."""
        payment = new_payment()
        fields = cloudpayments_fields(payment, "pay")
        del fields["AccountId"]

        webhook_poster.cloudpayments("pay", fields)

        assert _unchanged(payment)
        assert mismatch_recorded(payment).startswith("account ''")


class TestStripePaymentIntent:
    def test_a_smaller_amount_received_is_not_applied(
        self, webhook_poster: WebhookPoster
    ) -> None:
        payment = new_payment(gateway="stripe")

        webhook_poster.stripe(
            stripe_intent_event(
                payment,
                "payment_intent.succeeded",
                status="succeeded",
                amount_received=1,
            )
        )

        assert _unchanged(payment)
        assert mismatch_recorded(payment) == (
            "succeeded 0.01 USD for a payment of 10.00 USD"
        )

    def test_another_currency_is_not_applied(
        self, webhook_poster: WebhookPoster
    ) -> None:
        payment = new_payment(gateway="stripe")

        webhook_poster.stripe(
            stripe_intent_event(
                payment, "payment_intent.succeeded", status="succeeded", currency="eur"
            )
        )

        assert _unchanged(payment)
        assert "another currency" in mismatch_recorded(payment)

    def test_another_customers_intent_is_not_applied(
        self, webhook_poster: WebhookPoster
    ) -> None:
        payment = new_payment(gateway="stripe")
        Payer.objects.filter(id=payment.payer_id).update(stripe_customer_id="cus_ours")

        webhook_poster.stripe(
            stripe_intent_event(payment, "payment_intent.succeeded", status="succeeded")
        )

        assert _unchanged(payment)
        assert mismatch_recorded(payment).startswith("account 'cus_webhook_1'")

    def test_a_retrieved_intent_with_another_amount_is_not_applied(
        self,
        webhook_poster: WebhookPoster,
        webhook_gateways: dict[str, PaymentSnapshot],
    ) -> None:
        """The event is right; the gateway's own record of it, read before it is
        applied, says another amount was taken."""
        payment = new_payment(gateway="stripe")
        taken = Money(500, "USD")
        webhook_gateways[f"payment:{payment.id}"] = PaymentSnapshot(
            gateway_reference="pi_webhook_1",
            reference=f"payment:{payment.id}",
            state=PaymentState.SUCCEEDED,
            amount=payment.amount,
            captured=taken,
            refunded=Money.zero("USD"),
            created_at=NOW,
            account="cus_webhook_1",
        )

        webhook_poster.stripe(
            stripe_intent_event(payment, "payment_intent.succeeded", status="succeeded")
        )

        assert _unchanged(payment)
        assert mismatch_recorded(payment) == (
            "succeeded 5.00 USD for a payment of 10.00 USD"
        )

    def test_a_matching_intent_still_settles_the_payment(
        self,
        webhook_poster: WebhookPoster,
        webhook_gateways: dict[str, PaymentSnapshot],
    ) -> None:
        payment = new_payment(gateway="stripe")
        Payer.objects.filter(id=payment.payer_id).update(
            stripe_customer_id="cus_webhook_1"
        )
        record = PaymentSnapshot(
            gateway_reference="pi_webhook_1",
            reference=f"payment:{payment.id}",
            state=PaymentState.SUCCEEDED,
            amount=payment.amount,
            captured=payment.amount,
            refunded=Money.zero("USD"),
            created_at=NOW,
            account="cus_webhook_1",
        )
        webhook_gateways[f"payment:{payment.id}"] = dataclasses.replace(record)

        webhook_poster.stripe(
            stripe_intent_event(payment, "payment_intent.succeeded", status="succeeded")
        )

        payment.refresh_from_db()
        assert (payment.status, payment.captured_minor) == (
            PaymentStatus.SUCCEEDED,
            payment.amount_minor,
        )
        assert not payment.mismatches.exists()
