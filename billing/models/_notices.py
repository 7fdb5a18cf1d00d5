"""Notices: each e-mail to a payer, recorded once per fact it tells of."""

from __future__ import annotations

from django.db import models


class NoticeKind(models.TextChoices):
    RECEIPT = "RECEIPT", "Payment receipt"
    DUNNING = "DUNNING", "Failed renewal reminder"
    CARD_EXPIRED = "CARD_EXPIRED", "Card expired"


class NoticeStatus(models.TextChoices):
    # Claimed by nobody yet, or given back after an outage: a retry may send it.
    PENDING = "PENDING"
    # Claimed by one worker, which is sending it now.
    SENDING = "SENDING"
    SENT = "SENT"
    # The directory knows no such active payer: nothing to send, nothing to retry.
    SKIPPED = "SKIPPED"


class PayerNotice(models.Model):
    """An e-mail to a payer about one fact: a payment, a failed charge, a card.

    Unique on (`kind`, `object_key`), so a replayed webhook or renewal finds the
    row and sends nothing. A worker claims the row (PENDING → SENDING) before it
    sends: a notice is sent at most once, and one lost to a crash mid-send stays
    SENDING for support to see rather than being sent twice.
    """

    kind = models.CharField(max_length=20, choices=NoticeKind.choices)
    # What the notice is about, as `payment:<uuid>` or `payment_method:<uuid>`.
    object_key = models.CharField(max_length=120)
    payer_id = models.UUIDField()
    status = models.CharField(
        max_length=10, choices=NoticeStatus.choices, default=NoticeStatus.PENDING
    )
    created_at = models.DateTimeField()
    # When it was sent or skipped.
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "object_key"], name="payer_notice_once_per_fact"
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=NoticeKind.values),
                name="payer_notice_kind_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=NoticeStatus.values),
                name="payer_notice_status_valid",
            ),
        ]
        indexes = [models.Index(fields=["payer_id"], name="payer_notice_payer")]

    def __str__(self) -> str:
        return f"{self.kind} notice {self.id} for {self.object_key}"
