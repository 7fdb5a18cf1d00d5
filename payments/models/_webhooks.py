"""Webhooks and notifications received from the gateways, stored once each."""

from __future__ import annotations

from django.db import models

from payments.models._common import Gateway
from payments.models._payments import Payment


class GatewayEventStatus(models.TextChoices):
    RECEIVED = "RECEIVED", "Received, not yet processed"
    PROCESSED = "PROCESSED", "Processed"
    IGNORED = "IGNORED", "Nothing to apply (duplicate or older state)"
    # Names a payment this service does not know: kept and flagged, never dropped.
    ORPHANED = "ORPHANED", "Unknown payment"
    FAILED = "FAILED", "Processing failed (will be retried)"


class GatewayEventRecord(models.Model):
    """A verified gateway event with secrets removed, kept whatever becomes of it."""

    gateway = models.CharField(max_length=20, choices=Gateway.choices)
    kind = models.CharField(max_length=64)
    external_id = models.CharField(max_length=100)
    gateway_reference = models.CharField(max_length=64, blank=True)
    payload = models.JSONField()
    status = models.CharField(
        max_length=10,
        choices=GatewayEventStatus.choices,
        default=GatewayEventStatus.RECEIVED,
    )
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    payment = models.ForeignKey(
        Payment,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="gateway_events",
    )
    received_at = models.DateTimeField()
    # Set by the drain that took the record on (`drain_gateway_events`), so that a
    # parallel drain leaves it alone; the row lock still decides who applies it.
    claimed_at = models.DateTimeField(null=True, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["gateway", "external_id", "kind"], name="gateway_event_once"
            )
        ]
        indexes = [
            models.Index(fields=["status", "received_at"], name="gateway_event_status")
        ]

    def __str__(self) -> str:
        return f"{self.gateway} {self.kind} {self.external_id} ({self.status})"
