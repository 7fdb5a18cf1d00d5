"""What a payment and a card setup share: one try at a card through a gateway."""

from __future__ import annotations

import uuid

from django.db import models

from billing.models import StatusMachine
from payments.encryption import EncryptedTextField
from payments.models._common import Gateway


class CardAttempt(StatusMachine, models.Model):
    """The fields the outcome pipeline reads and writes on either kind of attempt.

    Each kind adds its payer and saved card (under its own related names), its
    status with its own states, and its amounts.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    gateway = models.CharField(max_length=20, choices=Gateway.choices)
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
        abstract = True

    @property
    def is_final(self) -> bool:
        """Whether no transition leads out of the current status."""
        return not self.TRANSITIONS[self.status]
