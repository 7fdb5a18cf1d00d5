"""Invoices with their lines, audit trail and postings, and each one as a PDF."""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from billing import selectors
from billing.invoice_pdf import invoice_pdf_response
from billing.models import Invoice, InvoiceLine
from billing.money import Money
from kit.admin import (
    EMPTY,
    CsvExportAdmin,
    ReadOnlyInline,
    as_uuid,
    field_columns,
    link_column,
    status_change_table,
)


class InvoiceLineInline(ReadOnlyInline):
    model = InvoiceLine
    fields = (
        "kind",
        "description",
        "amount_display",
        "period_starts_at",
        "period_ends_at",
        "source",
    )
    ordering = ("id",)

    @admin.display(description="amount")
    def amount_display(self, line: InvoiceLine) -> str:
        return line.amount.format()


@admin.register(Invoice)
class InvoiceAdmin(CsvExportAdmin):
    csv_columns = field_columns(
        "id",
        "number",
        "created_at",
        "issued_at",
        "payer_id",
        "subscription_id",
        "status",
        "billing_reason",
        "currency",
        "total_minor",
        "amount_paid_minor",
    )
    payer_link = link_column(
        "admin:billing_payer_change",
        "payer_id",
        description="payer",
        ordering="payer_id",
    )
    list_display = (
        "number_display",
        "created_at",
        "payer_link",
        "subscription_id",
        "status",
        "billing_reason",
        "total_display",
        "amount_due_display",
        "pdf_link",
    )
    list_filter = (
        "status",
        "billing_reason",
        "currency",
        ("created_at", admin.DateFieldListFilter),
    )
    search_fields = ("number", "payer", "subscription_id")
    search_help_text = (
        'An invoice number ("INV-00000012" or 12), a payer UUID or a subscription '
        "UUID (exact)."
    )
    ordering = ("-created_at", "-id")
    inlines = (InvoiceLineInline,)
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "number_display",
                    "status",
                    "billing_reason",
                    "payer_link",
                    "subscription_id",
                    "description",
                )
            },
        ),
        (
            "Money",
            {"fields": ("total_display", "amount_paid_display", "amount_due_display")},
        ),
        ("Period billed", {"fields": ("period_starts_at", "period_ends_at")}),
        (
            "Dates",
            {
                "fields": (
                    "created_at",
                    "issued_at",
                    "paid_at",
                    "voided_at",
                    "marked_uncollectible_at",
                    "updated_at",
                )
            },
        ),
        ("Audit trail", {"fields": ("audit_trail",)}),
        ("Ledger postings", {"fields": ("postings",)}),
    )

    def get_urls(self) -> list[URLPattern]:
        pdf = path(
            "<path:object_id>/pdf/",
            self.admin_site.admin_view(self.pdf_view),
            name="billing_invoice_pdf",
        )
        return [pdf, *super().get_urls()]

    def pdf_view(self, request: HttpRequest, object_id: str) -> FileResponse:
        """The invoice as a PDF download, for staff who may view invoices."""
        invoice_id = selectors.parse_invoice_id(object_id)
        invoice = (
            None if invoice_id is None else selectors.invoice_get(invoice_id=invoice_id)
        )
        if invoice is None:
            raise Http404("No such invoice.")
        if not self.has_view_permission(request, invoice):
            raise PermissionDenied
        return invoice_pdf_response(invoice)

    def search_query(self, term: str) -> Q:
        number = selectors.parse_invoice_number(term)
        if number is not None:
            return Q(number=number)
        uuid_term = as_uuid(term)
        if uuid_term is None:
            return Q(pk__in=[])
        return Q(payer_id=uuid_term) | Q(subscription_id=uuid_term)

    @admin.display(description="number", ordering="number")
    def number_display(self, invoice: Invoice) -> str:
        return invoice.display_number

    @admin.display(description="total", ordering="total_minor")
    def total_display(self, invoice: Invoice) -> str:
        return invoice.total.format()

    @admin.display(description="paid")
    def amount_paid_display(self, invoice: Invoice) -> str:
        return Money(invoice.amount_paid_minor, invoice.currency).format()

    @admin.display(description="due")
    def amount_due_display(self, invoice: Invoice) -> str:
        return invoice.amount_due.format()

    @admin.display(description="PDF")
    def pdf_link(self, invoice: Invoice) -> SafeString:
        url = reverse("admin:billing_invoice_pdf", args=[invoice.pk])
        return format_html("<a href='{}'>Download PDF</a>", url)

    @admin.display(description="status changes")
    def audit_trail(self, invoice: Invoice) -> SafeString | str:
        trail = selectors.audit_trail(object_type="invoice", object_id=invoice.id)
        return status_change_table(trail)

    @admin.display(description="entries posted under the invoice's name")
    def postings(self, invoice: Invoice) -> SafeString | str:
        entries = selectors.invoice_ledger_entries(invoice=invoice)
        body = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    entry.at.isoformat(),
                    entry.posting,
                    entry.get_account_display(),
                    entry.amount.format() if entry.debit_minor else "",
                    entry.amount.format() if entry.credit_minor else "",
                )
                for entry in entries
            ),
        )
        if not body:
            return EMPTY
        return format_html(
            "<table><thead><tr><th>at</th><th>posting</th><th>account</th>"
            "<th>debit</th><th>credit</th></tr></thead><tbody>{}</tbody></table>",
            body,
        )
