"""Refunds: money going back to the payer, never more than was captured."""

from __future__ import annotations

import uuid

from django.db import models

from billing.models import CURRENCY_FORMAT
from billing.money import Money
from payments.models._payments import Payment


class RefundReason(models.TextChoices):
    REQUESTED_BY_CUSTOMER = "REQUESTED_BY_CUSTOMER", "Requested by the customer"
    DUPLICATE = "DUPLICATE", "Duplicate payment"
    FRAUDULENT = "FRAUDULENT", "Fraudulent payment"
    SERVICE_ISSUE = "SERVICE_ISSUE", "Service not delivered as promised"
    PRORATION = "PRORATION", "Unused part of a canceled period"
    OTHER = "OTHER", "Other (see the note)"


class RefundStatus(models.TextChoices):
    PENDING = "PENDING", "Pending"
    SUCCEEDED = "SUCCEEDED", "Succeeded"
    FAILED = "FAILED", "Failed"
    UNKNOWN = "UNKNOWN", "Outcome unknown"


# Refunds in these states count against what is left to refund.
OUTSTANDING_REFUND_STATUSES = (
    RefundStatus.PENDING,
    RefundStatus.SUCCEEDED,
    RefundStatus.UNKNOWN,
)


class Refund(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, related_name="refunds"
    )
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    reason = models.CharField(max_length=24, choices=RefundReason.choices)
    note = models.TextField(blank=True)
    status = models.CharField(
        max_length=10, choices=RefundStatus.choices, default=RefundStatus.PENDING
    )
    idempotency_key = models.CharField(max_length=100, unique=True)
    gateway_reference = models.CharField(max_length=64, null=True, blank=True)
    failure_code = models.CharField(max_length=40, blank=True)
    requested_by = models.CharField(max_length=100)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    succeeded_at = models.DateTimeField(null=True, blank=True)
    # An UNKNOWN refund is settled by asking the gateway on the payments' back-off
    # schedule: how many times it was asked, and when to ask next (null: not asking).
    checks = models.PositiveSmallIntegerField(default=0)
    next_check_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount_minor__gt=0), name="refund_amount_positive"
            ),
            models.CheckConstraint(
                condition=CURRENCY_FORMAT, name="refund_currency_iso"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=RefundStatus.values),
                name="refund_status_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "next_check_at"], name="refund_check_due"),
            # Reconciliation finds refunds by the gateway's id and by day.
            models.Index(fields=["gateway_reference"], name="refund_gateway_reference"),
            models.Index(fields=["created_at"], name="refund_created"),
        ]

    def __str__(self) -> str:
        return f"Refund {self.id} {self.amount} {self.status}"

    @property
    def amount(self) -> Money:
        return Money(self.amount_minor, self.currency)
