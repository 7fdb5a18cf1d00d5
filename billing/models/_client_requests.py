"""Idempotency keys of callers' write requests (gRPC's `idempotency_key`)."""

from __future__ import annotations

from django.db import models


class ClientRequest(models.Model):
    """A write request a caller made under its idempotency key, and what it made.

    Written in the same transaction as the row it made (a payment, a refund, a
    subscription), so that either both exist or neither: a retry of the same key
    finds the first result, never a second charge. `fingerprint` is a digest of the
    request without its key; the same key with another request is refused.
    """

    # Who asked: `service:<name>` or `user:<uuid>`; keys are the caller's own.
    client = models.CharField(max_length=160)
    key = models.CharField(max_length=255)
    # The RPC's operation, e.g. `authorize_payment`.
    operation = models.CharField(max_length=40)
    fingerprint = models.CharField(max_length=64)
    # What the request made, as `<kind>:<uuid>` (`payment:…`, `refund:…`).
    result = models.CharField(max_length=80)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["client", "key"], name="client_request_unique_key"
            )
        ]
        indexes = [models.Index(fields=["created_at"], name="client_request_created")]

    def __str__(self) -> str:
        return f"{self.operation} {self.client}/{self.key} → {self.result} ({self.id})"
