"""Saved cards: the gateway token, encrypted, and what may be shown of the card."""

from __future__ import annotations

import hashlib
import uuid

from django.db import models

from billing.models import Payer
from payments.encryption import EncryptedTextField
from payments.models._common import Gateway


class PaymentMethodStatus(models.TextChoices):
    USABLE = "USABLE", "Usable"
    # The gateway said the card is expired, lost or stolen: never charge it again.
    EXPIRED = "EXPIRED", "Expired"
    REVOKED = "REVOKED", "Revoked"


class PaymentMethod(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    payer = models.ForeignKey(
        Payer, on_delete=models.PROTECT, related_name="payment_methods"
    )
    gateway = models.CharField(max_length=20, choices=Gateway.choices)
    # None once the payer is forgotten: the card is revoked at the gateway and the
    # token dropped (`payments.services.revoke_payer_cards`).
    token = EncryptedTextField(null=True, blank=True)
    # SHA-256 of gateway and token: finds the same card saved twice without decrypting.
    # Tokens are long random strings, so the digest reveals nothing usable. It is
    # unique per payer only: a card shared by two payers may get the same token.
    token_digest = models.CharField(max_length=64, editable=False)
    brand = models.CharField(max_length=20, blank=True)
    first6 = models.CharField(max_length=6, blank=True)
    last4 = models.CharField(max_length=4, blank=True)
    exp_month = models.PositiveSmallIntegerField(null=True, blank=True)
    exp_year = models.PositiveSmallIntegerField(null=True, blank=True)
    is_default = models.BooleanField(default=False)
    status = models.CharField(
        max_length=10,
        choices=PaymentMethodStatus.choices,
        default=PaymentMethodStatus.USABLE,
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["payer", "gateway", "token_digest"],
                name="payment_method_token_once_per_payer",
            ),
            models.UniqueConstraint(
                fields=["payer"],
                condition=models.Q(is_default=True),
                name="payment_method_one_default_per_payer",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=PaymentMethodStatus.values),
                name="payment_method_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.brand or 'Card'} ····{self.last4} ({self.id})"

    @staticmethod
    def digest(gateway: str, token: str) -> str:
        return hashlib.sha256(f"{gateway}:{token}".encode()).hexdigest()

    @property
    def is_usable(self) -> bool:
        return self.status == PaymentMethodStatus.USABLE
