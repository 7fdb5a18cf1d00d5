"""Output shapes of the invoices API; the views nest their own inputs.

Money is given as everywhere in the API: in minor units with its currency, for
programs, and formatted (`"999.00 RUB"`), for people.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers
from rest_framework.reverse import reverse

from billing.models import Invoice


class InvoiceLineOutput(serializers.Serializer[Any]):
    kind = serializers.CharField()
    description = serializers.CharField()
    amount_minor = serializers.IntegerField(help_text="Negative for a credit.")
    currency = serializers.CharField()
    amount = serializers.CharField(source="amount.format")
    period_starts_at = serializers.DateTimeField(allow_null=True)
    period_ends_at = serializers.DateTimeField(allow_null=True)


class InvoiceOutput(serializers.Serializer[Any]):
    """An invoice as listed; `context` holds the `request` (for `pdf_url`)."""

    id = serializers.IntegerField()
    number = serializers.IntegerField(allow_null=True, help_text="None for a draft.")
    display_number = serializers.CharField(help_text='"INV-00000012", or "draft".')
    payer_id = serializers.UUIDField()
    subscription_id = serializers.UUIDField(allow_null=True)
    status = serializers.CharField()
    billing_reason = serializers.CharField()
    description = serializers.CharField()
    currency = serializers.CharField()
    total_minor = serializers.IntegerField()
    total = serializers.CharField(source="total.format")
    amount_paid_minor = serializers.IntegerField()
    amount_due_minor = serializers.IntegerField(source="amount_due.amount_minor")
    amount_due = serializers.CharField(source="amount_due.format")
    period_starts_at = serializers.DateTimeField(allow_null=True)
    period_ends_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    issued_at = serializers.DateTimeField(allow_null=True)
    paid_at = serializers.DateTimeField(allow_null=True)
    voided_at = serializers.DateTimeField(allow_null=True)
    marked_uncollectible_at = serializers.DateTimeField(allow_null=True)
    pdf_url = serializers.SerializerMethodField()

    def get_pdf_url(self, invoice: Invoice) -> str:
        return reverse(
            "billing-api:invoice-pdf",
            kwargs={"invoice_id": invoice.id},
            request=self.context["request"],
        )


class InvoiceDetailOutput(InvoiceOutput):
    """An invoice with its lines (prefetched)."""

    lines = InvoiceLineOutput(many=True, source="lines.all")
