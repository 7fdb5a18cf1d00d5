"""Payment attempts and their state machine."""

from __future__ import annotations

from typing import Any

from django.db import models

from billing.models import CURRENCY_FORMAT, Payer
from billing.money import Money
from payments.models._card_attempts import CardAttempt
from payments.models._methods import PaymentMethod


class PaymentKind(models.TextChoices):
    INITIAL = "INITIAL", "First payment with a new card"
    RECURRING = "RECURRING", "Recurring charge of a saved card"
    ONE_OFF = "ONE_OFF", "One-off charge of a saved card"
    ORDER = "ORDER", "Shop order (authorize, then capture)"


class PaymentStatus(models.TextChoices):
    PENDING = "PENDING", "Pending"
    REQUIRES_ACTION = "REQUIRES_ACTION", "Requires 3-D Secure"
    AUTHORIZED = "AUTHORIZED", "Authorized"
    SUCCEEDED = "SUCCEEDED", "Succeeded"
    FAILED = "FAILED", "Failed"
    CANCELED = "CANCELED", "Canceled"
    # The gateway may or may not have moved money (timeout, lost reply): settled only
    # by asking the gateway, never by charging again.
    UNKNOWN = "UNKNOWN", "Outcome unknown"


ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    PaymentStatus.PENDING: frozenset(
        {
            PaymentStatus.REQUIRES_ACTION,
            PaymentStatus.AUTHORIZED,
            PaymentStatus.SUCCEEDED,
            PaymentStatus.FAILED,
            PaymentStatus.CANCELED,
            PaymentStatus.UNKNOWN,
        }
    ),
    PaymentStatus.REQUIRES_ACTION: frozenset(
        {
            PaymentStatus.AUTHORIZED,
            PaymentStatus.SUCCEEDED,
            PaymentStatus.FAILED,
            PaymentStatus.CANCELED,
            PaymentStatus.UNKNOWN,
        }
    ),
    PaymentStatus.AUTHORIZED: frozenset(
        {PaymentStatus.SUCCEEDED, PaymentStatus.CANCELED, PaymentStatus.UNKNOWN}
    ),
    PaymentStatus.UNKNOWN: frozenset(
        {
            PaymentStatus.REQUIRES_ACTION,
            PaymentStatus.AUTHORIZED,
            PaymentStatus.SUCCEEDED,
            PaymentStatus.FAILED,
            PaymentStatus.CANCELED,
        }
    ),
    PaymentStatus.SUCCEEDED: frozenset(),
    PaymentStatus.FAILED: frozenset(),
    PaymentStatus.CANCELED: frozenset(),
}
# A paid object has at most one payment in these states: the backstop against
# charging an invoice or an order twice, whatever retries or crashes happen.
LIVE_STATUSES = (
    PaymentStatus.PENDING,
    PaymentStatus.REQUIRES_ACTION,
    PaymentStatus.AUTHORIZED,
    PaymentStatus.SUCCEEDED,
    PaymentStatus.UNKNOWN,
)
_STAMPS: dict[str, str] = {
    PaymentStatus.AUTHORIZED: "authorized_at",
    PaymentStatus.SUCCEEDED: "succeeded_at",
    PaymentStatus.FAILED: "failed_at",
    PaymentStatus.CANCELED: "canceled_at",
}


class Payment(CardAttempt):
    """One attempt to move money; a retry is a new Payment with a new key."""

    TRANSITIONS = ALLOWED_TRANSITIONS
    STAMPS = _STAMPS
    SUBJECT = "payment"

    payer = models.ForeignKey(Payer, on_delete=models.PROTECT, related_name="payments")
    kind = models.CharField(max_length=10, choices=PaymentKind.choices)
    status = models.CharField(
        max_length=16, choices=PaymentStatus.choices, default=PaymentStatus.PENDING
    )
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    captured_minor = models.BigIntegerField(default=0)
    # Sum of succeeded refunds, kept beside the captured amount so that a database
    # constraint can refuse refunding more than was captured.
    refunded_minor = models.BigIntegerField(default=0)
    # What the money is for: "invoice:<id>", "order:<uuid>", or empty for a card check.
    pays = models.CharField(max_length=80, blank=True)
    description = models.CharField(max_length=200, blank=True)
    payment_method = models.ForeignKey(
        PaymentMethod,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="payments",
    )
    attempt = models.PositiveSmallIntegerField(default=1)
    outcome_checks = models.PositiveSmallIntegerField(default=0)
    next_outcome_check_at = models.DateTimeField(null=True, blank=True)
    authorized_at = models.DateTimeField(null=True, blank=True)
    canceled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount_minor__gt=0), name="payment_amount_positive"
            ),
            models.CheckConstraint(
                condition=CURRENCY_FORMAT, name="payment_currency_iso"
            ),
            models.CheckConstraint(
                condition=models.Q(
                    captured_minor__gte=0, captured_minor__lte=models.F("amount_minor")
                ),
                name="payment_captured_within_amount",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    refunded_minor__gte=0,
                    refunded_minor__lte=models.F("captured_minor"),
                ),
                name="payment_refunded_within_captured",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=PaymentStatus.values),
                name="payment_status_valid",
            ),
            models.UniqueConstraint(
                fields=["gateway", "gateway_reference"],
                condition=models.Q(gateway_reference__isnull=False),
                name="payment_gateway_reference_once",
            ),
            models.UniqueConstraint(
                fields=["pays"],
                condition=~models.Q(pays="") & models.Q(status__in=LIVE_STATUSES),
                name="payment_one_live_per_paid_object",
            ),
        ]
        indexes = [
            models.Index(
                fields=["status", "next_outcome_check_at"], name="payment_outcome_due"
            ),
            models.Index(fields=["payer", "created_at"], name="payment_payer_created"),
            # A gateway's day of payments, for reconciliation.
            models.Index(
                fields=["gateway", "created_at"], name="payment_gateway_created"
            ),
            models.Index(fields=["pays"], name="payment_pays"),
            models.Index(
                fields=["cryptogram_expires_at"], name="payment_cryptogram_expiry"
            ),
        ]

    def __str__(self) -> str:
        return f"Payment {self.id} {self.amount} {self.status}"

    @property
    def amount(self) -> Money:
        return Money(self.amount_minor, self.currency)

    @property
    def captured(self) -> Money:
        return Money(self.captured_minor, self.currency)

    @property
    def refunded(self) -> Money:
        return Money(self.refunded_minor, self.currency)

    @property
    def refund_state(self) -> str:
        """`REFUNDED` or `PARTIALLY_REFUNDED` (derived from refunds), else empty."""
        if self.refunded_minor == 0:
            return ""
        return (
            "REFUNDED"
            if self.refunded_minor == self.captured_minor
            else "PARTIALLY_REFUNDED"
        )

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.idempotency_key == "":
            self.idempotency_key = f"payment:{self.id}"
        super().save(*args, **kwargs)
