"""Output shapes of the support API; the views nest their own input serializers.

Money is given twice: in minor units with its currency, for programs, and formatted
(`"1,250.00 RUB"`), for people. Saved cards show only what is printed on a receipt.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from kit.actors import user_actor
from kit.api.audit import StatusChangeOutput
from payments.models import CheckoutSession, Payment, RefundRequest


class PaymentMethodOutput(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    gateway = serializers.CharField()
    brand = serializers.CharField()
    first6 = serializers.CharField()
    last4 = serializers.CharField()
    exp_month = serializers.IntegerField(allow_null=True)
    exp_year = serializers.IntegerField(allow_null=True)
    is_default = serializers.BooleanField()
    status = serializers.CharField()
    created_at = serializers.DateTimeField()


class RefundOutput(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    status = serializers.CharField()
    amount_minor = serializers.IntegerField()
    currency = serializers.CharField()
    amount = serializers.CharField(source="amount.format")
    reason = serializers.CharField()
    note = serializers.CharField()
    gateway_reference = serializers.CharField(allow_null=True)
    failure_code = serializers.CharField()
    requested_by = serializers.CharField()
    created_at = serializers.DateTimeField()
    succeeded_at = serializers.DateTimeField(allow_null=True)


class RefundListOutput(RefundOutput):
    """A refund as listed: with the payment it refunds and the payer."""

    payment_id = serializers.UUIDField()
    payer_id = serializers.UUIDField(source="payment.payer_id")
    gateway = serializers.CharField(source="payment.gateway")


class RefundRequestOutput(serializers.Serializer[Any]):
    """A refund request; staff are named as the audit trail names them."""

    id = serializers.UUIDField()
    payment_id = serializers.UUIDField()
    payer_id = serializers.UUIDField(source="payment.payer_id")
    status = serializers.CharField()
    amount_minor = serializers.IntegerField()
    currency = serializers.CharField()
    amount = serializers.CharField(source="amount.format")
    reason = serializers.CharField()
    note = serializers.CharField()
    requested_by = serializers.SerializerMethodField()
    requested_at = serializers.DateTimeField()
    decided_by = serializers.SerializerMethodField()
    decided_at = serializers.DateTimeField(allow_null=True)
    decision_note = serializers.CharField()
    failure_code = serializers.CharField()
    refund = RefundOutput(allow_null=True)

    @extend_schema_field(serializers.CharField())
    def get_requested_by(self, row: RefundRequest) -> str:
        return user_actor(row.requested_by)

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_decided_by(self, row: RefundRequest) -> str | None:
        return user_actor(row.decided_by) if row.decided_by_id else None


class RefundRequestDetailOutput(RefundRequestOutput):
    """With the request's audit trail (`context["audit_trail"]`)."""

    audit_trail = serializers.SerializerMethodField()

    @extend_schema_field(StatusChangeOutput(many=True))
    def get_audit_trail(self, row: RefundRequest) -> list[dict[str, Any]]:
        return list(StatusChangeOutput(self.context["audit_trail"], many=True).data)


class PaymentOutput(serializers.Serializer[Any]):
    """A payment as listed: amounts, status and references."""

    id = serializers.UUIDField()
    payer_id = serializers.UUIDField()
    kind = serializers.CharField()
    gateway = serializers.CharField()
    status = serializers.CharField()
    refund_state = serializers.CharField()
    currency = serializers.CharField()
    amount_minor = serializers.IntegerField()
    amount = serializers.CharField(source="amount.format")
    captured_minor = serializers.IntegerField()
    captured = serializers.CharField(source="captured.format")
    refunded_minor = serializers.IntegerField()
    refunded = serializers.CharField(source="refunded.format")
    pays = serializers.CharField()
    description = serializers.CharField()
    gateway_reference = serializers.CharField(allow_null=True)
    failure_code = serializers.CharField()
    failure_message = serializers.CharField()
    attempt = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class PaymentDetailOutput(PaymentOutput):
    """A payment with its card, refunds and audit trail (`context["audit_trail"]`)."""

    idempotency_key = serializers.CharField()
    payment_method = PaymentMethodOutput(allow_null=True)
    authorized_at = serializers.DateTimeField(allow_null=True)
    succeeded_at = serializers.DateTimeField(allow_null=True)
    failed_at = serializers.DateTimeField(allow_null=True)
    canceled_at = serializers.DateTimeField(allow_null=True)
    next_outcome_check_at = serializers.DateTimeField(allow_null=True)
    refunds = RefundOutput(many=True, source="refunds.all")
    audit_trail = serializers.SerializerMethodField()

    @extend_schema_field(StatusChangeOutput(many=True))
    def get_audit_trail(self, payment: Payment) -> list[dict[str, Any]]:
        rows = self.context["audit_trail"]
        return list(StatusChangeOutput(rows, many=True).data)


class PayerCountsOutput(serializers.Serializer[Any]):
    payments = serializers.IntegerField()
    payments_by_status = serializers.DictField(child=serializers.IntegerField())
    refunds = serializers.IntegerField()
    payment_methods = serializers.IntegerField()
    checkout_sessions = serializers.IntegerField()


class PayerOverviewOutput(serializers.Serializer[Any]):
    """Built from `payments.selectors.PayerOverview`."""

    id = serializers.UUIDField(source="payer.id")
    stripe_customer_id = serializers.CharField(
        source="payer.stripe_customer_id", allow_null=True
    )
    created_at = serializers.DateTimeField(source="payer.created_at")
    payment_methods = PaymentMethodOutput(many=True)
    recent_payments = PaymentOutput(many=True)
    counts = PayerCountsOutput()


class CheckoutSessionOutput(serializers.Serializer[Any]):
    """A checkout session; `context` holds the `request` and the `now` to read it at."""

    id = serializers.UUIDField()
    url = serializers.SerializerMethodField()
    status = serializers.SerializerMethodField()
    mode = serializers.CharField(
        help_text="PAYMENT: the amount is charged. AUTHORIZE: the amount is held on "
        "the card, not charged, for its caller to capture or void. CARD_SETUP: "
        "nothing is charged; the card is verified and saved."
    )
    payer_id = serializers.UUIDField()
    gateway = serializers.CharField()
    currency = serializers.CharField()
    amount_minor = serializers.IntegerField(
        help_text="PAYMENT: the amount charged. AUTHORIZE: the amount held. "
        "CARD_SETUP: the amount authorized and voided at once to verify the card "
        "(CloudPayments), never captured."
    )
    amount = serializers.CharField(source="amount.format")
    description = serializers.CharField()
    pays = serializers.CharField(
        help_text="What the payment pays, e.g. `invoice:42`, or what the hold is "
        "for, e.g. `order:<uuid>`; empty: the session."
    )
    setup_purpose = serializers.CharField(
        help_text="What the card is verified for, e.g. `subscription:<uuid>`."
    )
    success_url = serializers.URLField()
    failure_url = serializers.URLField()
    payment_id = serializers.UUIDField(allow_null=True)
    payment_status = serializers.CharField(source="payment.status", allow_null=True)
    card_setup_id = serializers.UUIDField(allow_null=True)
    card_setup_status = serializers.CharField(
        source="card_setup.status", allow_null=True
    )
    created_by = serializers.CharField()
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    completed_at = serializers.DateTimeField(allow_null=True)

    def get_url(self, session: CheckoutSession) -> str:
        path = reverse("checkout:page", args=[session.id])
        return str(self.context["request"].build_absolute_uri(path))

    @extend_schema_field(serializers.CharField())
    def get_status(self, session: CheckoutSession) -> str:
        return session.status_at(self.context["now"])
