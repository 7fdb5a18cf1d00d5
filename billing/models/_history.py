"""The billing events outbox and the audit trail: history, written once."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import models

from billing.models._payers import Payer


class BillingEvent(models.Model):
    """A billing fact, written in the same transaction as the change it describes.

    `cursor` orders events for consumers. Writers take a transaction-level lock before
    inserting (see `billing.events.record_event`), so events commit in cursor order
    and a consumer that resumes after its last cursor never skips a late commit.
    """

    cursor = models.BigAutoField(primary_key=True)
    id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    type = models.CharField(max_length=64)
    payer = models.ForeignKey(
        Payer, null=True, blank=True, on_delete=models.PROTECT, related_name="events"
    )
    occurred_at = models.DateTimeField()
    # Bumped when a type's payload changes shape, so old consumers can tell.
    payload_version = models.PositiveSmallIntegerField(default=1)
    payload = models.JSONField(default=dict)

    class Meta:
        indexes = [
            models.Index(fields=["type", "cursor"], name="billing_event_type_cursor"),
            models.Index(fields=["payer", "cursor"], name="billing_event_payer_cursor"),
        ]

    def __str__(self) -> str:
        return f"{self.type} #{self.cursor}"


class AppendOnlyError(RuntimeError):
    """Audit rows are written once and never changed or deleted."""


class StatusChange(models.Model):
    """One status transition of a billing object: who, when, from, to and why.

    Append-only: a correction is a new transition, never an edit of history.
    """

    object_type = models.CharField(max_length=40)
    object_id = models.CharField(max_length=64)
    from_status = models.CharField(max_length=32)
    to_status = models.CharField(max_length=32)
    # "system:<job>", "user:<uuid>", "gateway:<code>", "webhook:<code>" …
    actor = models.CharField(max_length=100)
    reason = models.TextField(blank=True)
    at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(
                fields=["object_type", "object_id", "at"], name="status_change_object"
            )
        ]

    def __str__(self) -> str:
        change = f"{self.from_status} → {self.to_status}"
        return f"{self.object_type} {self.object_id}: {change}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError("status changes are never edited")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("status changes are never deleted")
