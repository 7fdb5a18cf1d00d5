"""Reconciliation: a gateway's day of operations against ours, and what differed."""

from __future__ import annotations

from django.db import models

from billing.models import CURRENCY_FORMAT
from billing.money import Money
from payments.models._common import Gateway
from payments.models._payments import Payment
from payments.models._refunds import Refund


class ReconciliationStatus(models.TextChoices):
    RUNNING = "RUNNING", "Running"
    COMPLETED = "COMPLETED", "Completed"
    # The gateway stopped answering: the next run resumes after the last page.
    FAILED = "FAILED", "Failed (resumable)"


class ReconciliationRun(models.Model):
    """One gateway's day, reconciled; run again, it starts a new pass.

    A pass reads the gateway's pages in order and records, page by page in the same
    transaction as the page's findings, the cursor of the next page: a pass that
    stops (the gateway fails, the worker dies) resumes there.
    """

    gateway = models.CharField(max_length=20, choices=Gateway.choices)
    day = models.DateField()
    status = models.CharField(
        max_length=10,
        choices=ReconciliationStatus.choices,
        default=ReconciliationStatus.RUNNING,
    )
    # Where the gateway's next page starts; "" before the first one.
    cursor = models.CharField(max_length=200, blank=True)
    # Set once every page of the pass was read: what is left is our unseen side.
    listed_at = models.DateTimeField(null=True, blank=True)
    passes = models.PositiveIntegerField(default=1)
    started_by = models.CharField(max_length=100)
    started_at = models.DateTimeField()
    # Written with every page: a run whose heartbeat is old is no longer running.
    heartbeat_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    operations = models.PositiveIntegerField(default=0)
    settled = models.PositiveIntegerField(default=0)
    # {"found": {kind: n}, "amounts": {kind: {currency: minor}}, "new": n,
    #  "gateway": {"captured"|"refunded"|"fees": {currency: minor}}}
    report = models.JSONField(default=dict)
    error = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["gateway", "day"], name="reconciliation_run_once_a_day"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=ReconciliationStatus.values),
                name="reconciliation_run_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"Reconciliation of {self.gateway} on {self.day}"


class DiscrepancyKind(models.TextChoices):
    MISSING_AT_GATEWAY = "MISSING_AT_GATEWAY", "Missing at the gateway"
    MISSING_HERE = "MISSING_HERE", "Missing here"
    STATUS_MISMATCH = "STATUS_MISMATCH", "Status mismatch"
    AMOUNT_MISMATCH = "AMOUNT_MISMATCH", "Amount or currency mismatch"
    REFUND_MISMATCH = "REFUND_MISMATCH", "Refund mismatch"


class Discrepancy(models.Model):
    """Something the gateway and we tell differently, until a person resolves it.

    `subject` names what it is about (`payment:<id>`, `refund:<id>`, or the
    gateway's `transaction:<ref>` / `refund-transaction:<ref>` we have no row for);
    a kind of discrepancy about a subject is recorded once, however often found.
    """

    run = models.ForeignKey(
        ReconciliationRun, on_delete=models.PROTECT, related_name="discrepancies"
    )
    gateway = models.CharField(max_length=20, choices=Gateway.choices)
    day = models.DateField()
    kind = models.CharField(max_length=20, choices=DiscrepancyKind.choices)
    subject = models.CharField(max_length=120)
    payment = models.ForeignKey(
        Payment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="discrepancies",
    )
    refund = models.ForeignKey(
        Refund,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="discrepancies",
    )
    gateway_reference = models.CharField(max_length=64, blank=True)
    # The money in question (see `payments.services._reconciliation_checks`).
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    reason = models.TextField()
    ours = models.JSONField(default=dict)
    theirs = models.JSONField(default=dict)
    detected_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.CharField(max_length=100, blank=True)
    resolution_note = models.TextField(blank=True)

    class Meta:
        verbose_name_plural = "discrepancies"
        constraints = [
            models.UniqueConstraint(
                fields=["gateway", "kind", "subject"], name="discrepancy_once"
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=DiscrepancyKind.values),
                name="discrepancy_kind_valid",
            ),
            models.CheckConstraint(
                condition=CURRENCY_FORMAT, name="discrepancy_currency_iso"
            ),
            models.CheckConstraint(
                condition=models.Q(amount_minor__gte=0),
                name="discrepancy_amount_not_negative",
            ),
            # A resolution always says why.
            models.CheckConstraint(
                condition=models.Q(resolved_at__isnull=True)
                | (~models.Q(resolution_note="") & ~models.Q(resolved_by="")),
                name="discrepancy_resolution_noted",
            ),
        ]
        indexes = [
            models.Index(fields=["resolved_at", "day"], name="discrepancy_open"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.subject}"

    @property
    def amount(self) -> Money:
        return Money(self.amount_minor, self.currency)


class ReconciliationSighting(models.Model):
    """A payment or refund of ours that the pass found in the gateway's list.

    Kept only while its run's pass lasts: what is not sighted by the end is missing
    at the gateway. In the database, not in memory, so a pass holds one page.
    """

    run = models.ForeignKey(
        ReconciliationRun, on_delete=models.CASCADE, related_name="sightings"
    )
    # A Payment's or a Refund's id (both UUIDs).
    object_id = models.UUIDField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["run", "object_id"], name="reconciliation_sighting_once"
            )
        ]
