"""Invoices: what a payer owes, line by line, and the numbers they are issued under."""

from __future__ import annotations

from typing import Final

from django.db import models

from billing.models._payers import Payer
from billing.models._status import CURRENCY_FORMAT, StatusMachine
from billing.money import Money


class InvoiceStatus(models.TextChoices):
    DRAFT = "DRAFT", "Draft"
    OPEN = "OPEN", "Open"
    PAID = "PAID", "Paid"
    VOID = "VOID", "Void"
    # Given up on after dunning: still owed, written off in the books.
    UNCOLLECTIBLE = "UNCOLLECTIBLE", "Uncollectible"


class BillingReason(models.TextChoices):
    """Why an invoice was issued (Stripe's `billing_reason` vocabulary)."""

    SUBSCRIPTION_CREATE = "SUBSCRIPTION_CREATE", "First period of a subscription"
    SUBSCRIPTION_CYCLE = "SUBSCRIPTION_CYCLE", "Renewal of a subscription"
    SUBSCRIPTION_UPDATE = "SUBSCRIPTION_UPDATE", "Plan change in mid-period"
    MANUAL = "MANUAL", "Issued by staff"


ALLOWED_INVOICE_TRANSITIONS: Final[dict[str, frozenset[str]]] = {
    InvoiceStatus.DRAFT: frozenset({InvoiceStatus.OPEN, InvoiceStatus.VOID}),
    InvoiceStatus.OPEN: frozenset(
        {InvoiceStatus.PAID, InvoiceStatus.VOID, InvoiceStatus.UNCOLLECTIBLE}
    ),
    # A written-off invoice can still be paid late (a new card) or cancelled.
    InvoiceStatus.UNCOLLECTIBLE: frozenset({InvoiceStatus.PAID, InvoiceStatus.VOID}),
    InvoiceStatus.PAID: frozenset(),
    InvoiceStatus.VOID: frozenset(),
}
_STAMPS: Final[dict[str, str | tuple[str, ...]]] = {
    InvoiceStatus.OPEN: "issued_at",
    InvoiceStatus.PAID: "paid_at",
    InvoiceStatus.VOID: "voided_at",
    InvoiceStatus.UNCOLLECTIBLE: "marked_uncollectible_at",
}
# The reasons that bill one period of a subscription: each period gets exactly one.
PERIOD_REASONS: Final = (
    BillingReason.SUBSCRIPTION_CREATE,
    BillingReason.SUBSCRIPTION_CYCLE,
)


class InvoiceNumberSequence(models.Model):
    """The one row that hands out invoice numbers, without gaps.

    Numbers are taken by an UPDATE in the transaction that issues the invoices, so a
    rolled-back issue gives its numbers back and no number is ever skipped; the row
    lock queues concurrent issuers, which is why issuing happens in batches.
    """

    last_number = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"Invoice numbers up to {self.last_number}"


class Invoice(StatusMachine, models.Model):
    TRANSITIONS = ALLOWED_INVOICE_TRANSITIONS
    STAMPS = _STAMPS
    SUBJECT = "invoice"

    number = models.PositiveBigIntegerField(unique=True, null=True, blank=True)
    payer = models.ForeignKey(Payer, on_delete=models.PROTECT, related_name="invoices")
    status = models.CharField(
        max_length=16, choices=InvoiceStatus.choices, default=InvoiceStatus.DRAFT
    )
    billing_reason = models.CharField(max_length=20, choices=BillingReason.choices)
    currency = models.CharField(max_length=3)
    # The sum of the lines, credits included; never negative (a credit larger than
    # the charges is carried to the next invoice instead).
    total_minor = models.BigIntegerField(default=0)
    amount_paid_minor = models.BigIntegerField(default=0)
    description = models.CharField(max_length=200, blank=True)
    # The subscription and the period billed. No foreign key: billing sits below
    # subscriptions and knows them only by id (as payments know "invoice:<id>").
    subscription_id = models.UUIDField(null=True, blank=True)
    period_starts_at = models.DateTimeField(null=True, blank=True)
    period_ends_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    issued_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)
    marked_uncollectible_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(total_minor__gte=0),
                name="invoice_total_not_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    amount_paid_minor__gte=0,
                    amount_paid_minor__lte=models.F("total_minor"),
                ),
                name="invoice_paid_within_total",
            ),
            # A PAID invoice was paid in full: money that falls short leaves it open.
            models.CheckConstraint(
                condition=~models.Q(status=InvoiceStatus.PAID)
                | models.Q(amount_paid_minor=models.F("total_minor")),
                name="invoice_paid_in_full",
            ),
            models.CheckConstraint(
                condition=CURRENCY_FORMAT, name="invoice_currency_iso"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=InvoiceStatus.values),
                name="invoice_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(billing_reason__in=BillingReason.values),
                name="invoice_billing_reason_valid",
            ),
            # Only drafts go without a number: an issued invoice always has one.
            models.CheckConstraint(
                condition=models.Q(status=InvoiceStatus.DRAFT)
                | models.Q(number__isnull=False),
                name="invoice_issued_has_number",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    period_starts_at__isnull=True, period_ends_at__isnull=True
                )
                | models.Q(period_ends_at__gt=models.F("period_starts_at")),
                name="invoice_period_half_open",
            ),
            # The backstop of the renewal run: whatever crashes or duplicates
            # happen, a subscription period is billed once.
            models.UniqueConstraint(
                fields=["subscription_id", "period_starts_at"],
                condition=models.Q(billing_reason__in=PERIOD_REASONS),
                name="invoice_one_per_subscription_period",
            ),
        ]
        indexes = [
            models.Index(fields=["payer", "created_at"], name="invoice_payer_created"),
            models.Index(
                fields=["subscription_id", "period_starts_at"],
                name="invoice_subscription_period",
            ),
            models.Index(fields=["status", "created_at"], name="invoice_status"),
        ]

    def __str__(self) -> str:
        return f"Invoice {self.display_number} ({self.id}) {self.total} {self.status}"

    @property
    def display_number(self) -> str:
        return f"INV-{self.number:08d}" if self.number else "draft"

    @property
    def total(self) -> Money:
        return Money(self.total_minor, self.currency)

    @property
    def amount_due(self) -> Money:
        return Money(self.total_minor - self.amount_paid_minor, self.currency)

    @property
    def pays_reference(self) -> str:
        """How a payment names this invoice (`Payment.pays`)."""
        return f"invoice:{self.id}"


class InvoiceLineKind(models.TextChoices):
    PLAN = "PLAN", "Plan for a period"
    PRORATION_CREDIT = "PRORATION_CREDIT", "Credit for the unused part of a plan"
    PRORATION_CHARGE = "PRORATION_CHARGE", "Charge for the rest of a period"
    CREDIT = "CREDIT", "Credit carried from an earlier change"


class InvoiceLine(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="lines")
    kind = models.CharField(max_length=20, choices=InvoiceLineKind.choices)
    description = models.CharField(max_length=200)
    # Negative for credits; the invoice total is the sum of its lines.
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    period_starts_at = models.DateTimeField(null=True, blank=True)
    period_ends_at = models.DateTimeField(null=True, blank=True)
    # What the line bills, e.g. "plan_price:<id>".
    source = models.CharField(max_length=80, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=CURRENCY_FORMAT, name="invoice_line_currency_iso"
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=InvoiceLineKind.values),
                name="invoice_line_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.description} {self.amount} (line {self.id})"

    @property
    def amount(self) -> Money:
        return Money(self.amount_minor, self.currency)
