"""Output shapes of the subscriptions support API; the views nest their own inputs.

Money is given as in the payments API: in minor units with its currency, for
programs, and formatted (`"999.00 RUB"`), for people.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from billing.api.serializers import InvoiceOutput
from kit.api.audit import StatusChangeOutput
from payments.api.serializers import CheckoutSessionOutput, RefundOutput
from payments.models import CheckoutSession
from subscriptions.models import Subscription, SubscriptionStatus
from subscriptions.services import PlanChange, Timing


class PlanOutput(serializers.Serializer[Any]):
    """A plan offered to new subscribers, at its current price."""

    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    interval = serializers.CharField()
    interval_count = serializers.IntegerField()
    trial_days = serializers.IntegerField()
    gateway = serializers.CharField()
    price_id = serializers.IntegerField(source="current_price.id")
    amount_minor = serializers.IntegerField(source="current_price.amount_minor")
    currency = serializers.CharField(source="current_price.currency")
    amount = serializers.CharField(source="current_price.amount.format")


class SubscriptionOutput(serializers.Serializer[Any]):
    """A subscription as listed: plan, price, period and what is due next."""

    id = serializers.UUIDField()
    payer_id = serializers.UUIDField()
    plan = serializers.CharField(source="plan.code")
    status = serializers.CharField()
    gateway = serializers.CharField()
    price_id = serializers.IntegerField()
    currency = serializers.CharField(source="price.currency")
    amount_minor = serializers.IntegerField(source="price.amount_minor")
    amount = serializers.CharField(source="price.amount.format")
    current_period_starts_at = serializers.DateTimeField()
    current_period_ends_at = serializers.DateTimeField()
    trial_ends_at = serializers.DateTimeField(allow_null=True)
    cancel_at = serializers.DateTimeField(
        allow_null=True, help_text="A cancellation scheduled for the period end."
    )
    next_retry_at = serializers.DateTimeField(
        allow_null=True, help_text="When a past-due invoice is charged again."
    )
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class DunningOutput(serializers.Serializer[Any]):
    is_past_due = serializers.BooleanField()
    past_due_since = serializers.DateTimeField(allow_null=True)
    retry_count = serializers.IntegerField(help_text="Retries made so far.")
    next_retry_at = serializers.DateTimeField(allow_null=True)
    needs_new_payment_method = serializers.BooleanField(
        help_text="A hard decline: no retry until the payer gives a new card."
    )


class PendingCancellationOutput(serializers.Serializer[Any]):
    cancel_at = serializers.DateTimeField()
    reason = serializers.CharField(source="cancel_reason")


class PendingPlanChangeOutput(serializers.Serializer[Any]):
    """A downgrade waiting for the end of the period."""

    plan = serializers.CharField(source="scheduled_plan.code")
    plan_name = serializers.CharField(source="scheduled_plan.name")
    price_id = serializers.IntegerField(source="scheduled_price.id", allow_null=True)
    amount_minor = serializers.IntegerField(
        source="scheduled_price.amount_minor", allow_null=True
    )
    currency = serializers.CharField(source="scheduled_price.currency", allow_null=True)
    amount = serializers.CharField(
        source="scheduled_price.amount.format", allow_null=True
    )
    at = serializers.DateTimeField(source="current_period_ends_at")


class SubscriptionDetailOutput(SubscriptionOutput):
    """A subscription with its dunning state, pending changes, latest invoices and
    audit trail (`context`: `invoices`, `audit_trail` and the `request`)."""

    plan_name = serializers.CharField(source="plan.name")
    billing_anchor_at = serializers.DateTimeField()
    time_zone = serializers.CharField()
    payment_method_id = serializers.UUIDField(
        allow_null=True, help_text="None: the payer's default card is charged."
    )
    credit_minor = serializers.IntegerField(
        help_text="Credit taken off the next invoices, in the price's currency."
    )
    dunning = serializers.SerializerMethodField()
    pending_cancellation = serializers.SerializerMethodField()
    pending_plan_change = serializers.SerializerMethodField()
    activated_at = serializers.DateTimeField(allow_null=True)
    paused_at = serializers.DateTimeField(allow_null=True)
    canceled_at = serializers.DateTimeField(allow_null=True)
    ended_at = serializers.DateTimeField(allow_null=True)
    invoices = serializers.SerializerMethodField()
    audit_trail = serializers.SerializerMethodField()

    @extend_schema_field(DunningOutput)
    def get_dunning(self, subscription: Subscription) -> dict[str, Any]:
        return {
            "is_past_due": subscription.status == SubscriptionStatus.PAST_DUE,
            "past_due_since": subscription.past_due_since,
            "retry_count": subscription.retry_count,
            "next_retry_at": subscription.next_retry_at,
            "needs_new_payment_method": subscription.needs_new_payment_method,
        }

    @extend_schema_field(PendingCancellationOutput(allow_null=True))
    def get_pending_cancellation(
        self, subscription: Subscription
    ) -> dict[str, Any] | None:
        if subscription.cancel_at is None or not subscription.is_live:
            return None
        return dict(PendingCancellationOutput(subscription).data)

    @extend_schema_field(PendingPlanChangeOutput(allow_null=True))
    def get_pending_plan_change(
        self, subscription: Subscription
    ) -> dict[str, Any] | None:
        if subscription.scheduled_plan is None or not subscription.is_live:
            return None
        return dict(PendingPlanChangeOutput(subscription).data)

    @extend_schema_field(InvoiceOutput(many=True))
    def get_invoices(self, subscription: Subscription) -> list[dict[str, Any]]:
        invoices = self.context["invoices"]
        return list(InvoiceOutput(invoices, many=True, context=self.context).data)

    @extend_schema_field(StatusChangeOutput(many=True))
    def get_audit_trail(self, subscription: Subscription) -> list[dict[str, Any]]:
        return list(StatusChangeOutput(self.context["audit_trail"], many=True).data)


class SubscriptionCancelOutput(SubscriptionDetailOutput):
    """The canceled subscription, and the refunds of the unused part if they were
    asked for: one per invoice paid for the period (`context["refunds"]`)."""

    refunds = serializers.SerializerMethodField()

    @extend_schema_field(RefundOutput(many=True))
    def get_refunds(self, subscription: Subscription) -> list[dict[str, Any]]:
        refunds = self.context.get("refunds") or ()
        return [dict(RefundOutput(refund).data) for refund in refunds]


class PlanChangeOutcomeOutput(serializers.Serializer[Any]):
    timing = serializers.ChoiceField(
        choices=[timing.value for timing in Timing],
        help_text="now: on the new plan already; period_end: a downgrade, waiting "
        "(see pending_plan_change); awaiting_payment: the upgrade's payment is "
        "still in progress; unchanged: already on that plan and price.",
    )
    invoice_id = serializers.IntegerField(
        allow_null=True, help_text="The upgrade's invoice, if one was issued."
    )
    payment_id = serializers.UUIDField(
        allow_null=True, help_text="The upgrade's payment, if the card was charged."
    )


class SubscriptionPlanChangeOutput(SubscriptionDetailOutput):
    """The subscription after a plan change, and how the change went
    (`context["plan_change"]`)."""

    plan_change = serializers.SerializerMethodField()

    @extend_schema_field(PlanChangeOutcomeOutput)
    def get_plan_change(self, subscription: Subscription) -> dict[str, Any]:
        change: PlanChange = self.context["plan_change"]
        return {
            "timing": change.timing.value,
            "invoice_id": change.invoice.id if change.invoice else None,
            "payment_id": str(change.payment.id) if change.payment else None,
        }


class CheckoutSessionCreateOutput(CheckoutSessionOutput):
    """A checkout session just opened, and the subscription it starts when it was
    opened for a plan (`context["subscription_id"]`, else None)."""

    subscription_id = serializers.SerializerMethodField()

    @extend_schema_field(serializers.UUIDField(allow_null=True))
    def get_subscription_id(self, session: CheckoutSession) -> str | None:
        subscription_id = self.context.get("subscription_id")
        return str(subscription_id) if subscription_id is not None else None
