"""Refund requests: a refund that waits for a second accounting user to approve it.

A refund at or above the approval threshold of its currency (and any refund support
asks for) is filed as a request; another accounting user approves it, and the
refund then runs through `refund_payment`, or rejects it with a note. The database
refuses a request decided by its own requester, and a second open request for one
payment.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from billing.models import CURRENCY_FORMAT, StatusMachine
from billing.money import Money
from payments.models._payments import Payment
from payments.models._refunds import Refund, RefundReason


class RefundRequestStatus(models.TextChoices):
    PENDING = "PENDING", "Waiting for a second approver"
    # Approved, and the refund is being sent: a request left here by a crash names
    # no refund, and is looked into by hand (docs/api.md#the-refund-desk).
    APPROVED = "APPROVED", "Approved, refund running"
    # The refund was made, or its outcome is unknown until the janitor asks the
    # gateway: the refund's own status tells which.
    EXECUTED = "EXECUTED", "Refund made"
    REJECTED = "REJECTED", "Rejected"
    # The gateway declined the refund, or what was left to refund no longer
    # covered it: nothing was refunded, and a new request may be filed.
    FAILED = "FAILED", "Refund failed"


ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    RefundRequestStatus.PENDING: frozenset(
        {RefundRequestStatus.APPROVED, RefundRequestStatus.REJECTED}
    ),
    RefundRequestStatus.APPROVED: frozenset(
        {RefundRequestStatus.EXECUTED, RefundRequestStatus.FAILED}
    ),
    RefundRequestStatus.EXECUTED: frozenset(),
    RefundRequestStatus.REJECTED: frozenset(),
    RefundRequestStatus.FAILED: frozenset(),
}
# A payment has at most one request in these states: two requests that are each
# within what is left to refund could otherwise be approved together.
OPEN_STATUSES = (RefundRequestStatus.PENDING, RefundRequestStatus.APPROVED)


class RefundRequestQuerySet(models.QuerySet["RefundRequest"]):
    def matching(
        self,
        *,
        status: str | None = None,
        currency: str | None = None,
        ids: uuid.UUID | None = None,
    ) -> RefundRequestQuerySet:
        """Requests in `status` and `currency`, and (when `ids` is given) whose own,
        payment or payer id it is."""
        exact = {"status": status, "currency": currency}
        rows = self.filter(**{name: value for name, value in exact.items() if value})
        if ids is None:
            return rows
        return rows.filter(
            models.Q(id=ids)
            | models.Q(payment_id=ids)
            | models.Q(payment__payer_id=ids)
        )


class RefundRequest(StatusMachine, models.Model):
    TRANSITIONS = ALLOWED_TRANSITIONS
    STAMPS = {
        RefundRequestStatus.APPROVED: "decided_at",
        RefundRequestStatus.REJECTED: "decided_at",
    }
    SUBJECT = "refund_request"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, related_name="refund_requests"
    )
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    reason = models.CharField(max_length=24, choices=RefundReason.choices)
    note = models.TextField(blank=True)
    status = models.CharField(
        max_length=10,
        choices=RefundRequestStatus.choices,
        default=RefundRequestStatus.PENDING,
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)
    refund = models.OneToOneField(
        Refund,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="refund_request",
    )
    # Why the approved refund was not made: the gateway's decline code, or the
    # code of the error that refused it.
    failure_code = models.CharField(max_length=40, blank=True)
    updated_at = models.DateTimeField()

    objects = RefundRequestQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount_minor__gt=0),
                name="refund_request_amount_positive",
            ),
            models.CheckConstraint(
                condition=CURRENCY_FORMAT, name="refund_request_currency_iso"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=RefundRequestStatus.values),
                name="refund_request_status_valid",
            ),
            # Four eyes: whoever asked for the refund never decides on it.
            models.CheckConstraint(
                condition=models.Q(decided_by__isnull=True)
                | ~models.Q(decided_by=models.F("requested_by")),
                name="refund_request_decided_by_another",
            ),
            models.UniqueConstraint(
                fields=["payment"],
                condition=models.Q(status__in=OPEN_STATUSES),
                name="refund_request_one_open_per_payment",
            ),
        ]
        indexes = [
            models.Index(
                fields=["status", "requested_at"], name="refund_request_status"
            ),
        ]

    def __str__(self) -> str:
        return f"Refund request {self.id} {self.amount} {self.status}"

    @property
    def amount(self) -> Money:
        return Money(self.amount_minor, self.currency)
