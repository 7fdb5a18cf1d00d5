"""Where the shop stands in billing's event stream."""

from __future__ import annotations

from django.db import models


class BillingEventCursor(models.Model):
    """The last billing event a consumer applied. It is saved in the transaction that
    applies the event, so a consumer that crashes resumes with no gap and applies
    nothing twice."""

    consumer = models.CharField(primary_key=True, max_length=100)
    cursor = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(cursor__gte=0), name="snacks_cursor_not_negative"
            )
        ]

    def __str__(self) -> str:
        return f"BillingEventCursor {self.consumer} at {self.cursor}"
