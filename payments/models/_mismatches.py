"""Gateway reports that the settlement rule refused to apply to a payment."""

from __future__ import annotations

from django.db import models

from payments.models._payments import Payment


class PaymentMismatch(models.Model):
    """What a gateway reported about a payment that does not match it.

    The payment was left as it was (see `payments.services._settlement_rule`); this
    row keeps the gateway's facts beside ours until reconciliation deals with it.
    Neither holds a secret: ids, amounts, the payer's account id and a state.
    """

    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, related_name="mismatches"
    )
    # Who learnt it: "webhook:cloudpayments", "system:janitor", "system:renewals" …
    actor = models.CharField(max_length=100)
    reason = models.TextField()
    reported = models.JSONField()
    expected = models.JSONField()
    detected_at = models.DateTimeField()
    # Set when reconciliation (or a person) has dealt with it.
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["resolved_at", "detected_at"], name="payment_mismatch_open"
            )
        ]

    def __str__(self) -> str:
        return f"Mismatch {self.id} of payment {self.payment_id}: {self.reason}"
