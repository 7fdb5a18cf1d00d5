"""Card setups: verifying and saving a card without charging it, and their states."""

from __future__ import annotations

from django.db import models

from billing.models import CURRENCY_FORMAT, Payer
from billing.money import Money
from payments.models._card_attempts import CardAttempt
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


class CardSetup(CardAttempt):
    """One attempt to verify a card the payer entered, and to save it on success."""

    TRANSITIONS = ALLOWED_TRANSITIONS
    STAMPS = _STAMPS
    SUBJECT = "card_setup"

    payer = models.ForeignKey(
        Payer, on_delete=models.PROTECT, related_name="card_setups"
    )
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
