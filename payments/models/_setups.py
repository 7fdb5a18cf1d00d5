"""Card setups: verifying and saving a card without charging it, and their states."""

from __future__ import annotations

import uuid

from django.db import models

from billing.models import CURRENCY_FORMAT, Payer, StatusMachine
from billing.money import Money
from payments.encryption import EncryptedTextField
from payments.models._common import Gateway
from payments.models._methods import PaymentMethod


class CardSetupStatus(models.TextChoices):
    PENDING = "PENDING", "Pending"
    REQUIRES_ACTION = "REQUIRES_ACTION", "Requires 3-D Secure"
    SUCCEEDED = "SUCCEEDED", "Succeeded (card saved)"
    # Declined, not authenticated, abandoned, or the gateway's answer was lost: no
    # money is ever taken by a setup, so an unclear outcome fails rather than waits.
    FAILED = "FAILED", "Failed"


ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    CardSetupStatus.PENDING: frozenset(
        {
            CardSetupStatus.REQUIRES_ACTION,
            CardSetupStatus.SUCCEEDED,
            CardSetupStatus.FAILED,
        }
    ),
    CardSetupStatus.REQUIRES_ACTION: frozenset(
        {CardSetupStatus.SUCCEEDED, CardSetupStatus.FAILED}
    ),
    CardSetupStatus.SUCCEEDED: frozenset(),
    CardSetupStatus.FAILED: frozenset(),
}
_STAMPS: dict[str, str] = {
    CardSetupStatus.SUCCEEDED: "succeeded_at",
    CardSetupStatus.FAILED: "failed_at",
}


class CardSetup(StatusMachine, models.Model):
    """One attempt to verify a card the payer entered, and to save it on success."""

    TRANSITIONS = ALLOWED_TRANSITIONS
    STAMPS = _STAMPS
    SUBJECT = "card_setup"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    payer = models.ForeignKey(
        Payer, on_delete=models.PROTECT, related_name="card_setups"
    )
    gateway = models.CharField(max_length=20, choices=Gateway.choices)
    status = models.CharField(
        max_length=16, choices=CardSetupStatus.choices, default=CardSetupStatus.PENDING
    )
    # What the setup is for, opaque to payments ("subscription:<uuid>"), so that a
    # receiver of `card_setup_status_changed` can tell its own setups apart.
    purpose = models.CharField(max_length=80, blank=True)
    # The amount CloudPayments authorizes and voids at once to prove the card; never
    # captured. Stripe verifies without an amount and ignores it.
    verification_amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    payment_method = models.ForeignKey(
        PaymentMethod,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="card_setups",
    )
    # Saved before the gateway call and sent with it: a repeated call is replayed by
    # the gateway, not carried out again.
    idempotency_key = models.CharField(max_length=100, unique=True)
    gateway_reference = models.CharField(max_length=64, null=True, blank=True)
    failure_code = models.CharField(max_length=40, blank=True)
    failure_message = models.CharField(max_length=255, blank=True)
    # The 3-D Secure challenge shown to the payer: {"url", "form_fields"}.
    action = models.JSONField(null=True, blank=True)
    # The card cryptogram, kept only until the first gateway call consumes it.
    cryptogram = EncryptedTextField(null=True, blank=True)
    cryptogram_expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    succeeded_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(verification_amount_minor__gt=0),
                name="card_setup_amount_positive",
            ),
            models.CheckConstraint(
                condition=CURRENCY_FORMAT, name="card_setup_currency_iso"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=CardSetupStatus.values),
                name="card_setup_status_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(status=CardSetupStatus.SUCCEEDED)
                | models.Q(payment_method__isnull=False),
                name="card_setup_succeeded_has_payment_method",
            ),
            models.UniqueConstraint(
                fields=["gateway", "gateway_reference"],
                condition=models.Q(gateway_reference__isnull=False),
                name="card_setup_gateway_reference_once",
            ),
        ]
        indexes = [
            models.Index(
                fields=["status", "updated_at"], name="card_setup_status_updated"
            ),
            models.Index(fields=["payer", "created_at"], name="card_setup_payer"),
            models.Index(fields=["purpose"], name="card_setup_purpose"),
            models.Index(
                fields=["cryptogram_expires_at"], name="card_setup_cryptogram_expiry"
            ),
        ]

    def __str__(self) -> str:
        return f"Card setup {self.id} {self.status}"

    @property
    def verification_amount(self) -> Money:
        return Money(self.verification_amount_minor, self.currency)

    @property
    def is_final(self) -> bool:
        return not ALLOWED_TRANSITIONS[self.status]
