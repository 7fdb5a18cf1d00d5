"""Payers: who pays, known only by the auth service's UUID."""

from __future__ import annotations

from django.db import models


class Payer(models.Model):
    """Someone who pays, known by the UUID the auth service gave them.

    Billing keeps no name and no e-mail: when it must write to a payer it asks the auth
    service at send time, so personal data lives in one place only.
    """

    id = models.UUIDField(primary_key=True, editable=False)
    # Stripe needs a Customer to save cards for off-session charges; CloudPayments
    # keys tokens by AccountId, which is this payer's UUID, so needs nothing here.
    stripe_customer_id = models.CharField(
        max_length=64, null=True, blank=True, unique=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Set when a privacy request forgot the payer: their saved cards are revoked and
    # dropped, and nothing may charge them again. The books about them remain.
    forgotten_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Payer {self.id}"

    @property
    def is_forgotten(self) -> bool:
        return self.forgotten_at is not None
