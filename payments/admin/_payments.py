"""Payments with their refunds and audit trail, and refunds on their own."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.safestring import SafeString

from billing import selectors as billing_selectors
from kit.admin import (
    EMPTY,
    CsvExportAdmin,
    ReadOnlyInline,
    as_uuid,
    field_columns,
    link,
    money,
    pretty_json,
    status_change_table,
)
from payments import selectors
from payments.admin._base import HIDDEN_PAYMENT_FIELDS, PaymentRecordAdmin
from payments.admin._refund_desk import RefundDeskMixin
from payments.models import Payment, PaymentMethod, PaymentMismatch, Refund


class RefundInline(ReadOnlyInline):
    model = Refund
    fk_name = "payment"
    fields = (
        "refund_link",
        "status",
        "amount_display",
        "reason",
        "note",
        "gateway_reference",
        "failure_code",
        "requested_by",
        "created_at",
        "succeeded_at",
    )
    ordering = ("created_at",)

    @admin.display(description="refund")
    def refund_link(self, refund: Refund) -> SafeString | str:
        return link("admin:payments_refund_change", refund.id, refund.id)

    @admin.display(description="amount")
    def amount_display(self, refund: Refund) -> str:
        return money(refund.amount)


class MismatchInline(ReadOnlyInline):
    """Gateway reports the settlement rule did not apply: theirs beside ours."""

    model = PaymentMismatch
    fk_name = "payment"
    fields = (
        "detected_at",
        "actor",
        "reason",
        "reported_facts",
        "expected_facts",
        "resolved_at",
    )
    ordering = ("detected_at",)
    verbose_name = "mismatch (not applied, waits for reconciliation)"
    verbose_name_plural = "mismatches (not applied, wait for reconciliation)"

    @admin.display(description="the gateway reported")
    def reported_facts(self, mismatch: PaymentMismatch) -> SafeString:
        return pretty_json(mismatch.reported)

    @admin.display(description="ours")
    def expected_facts(self, mismatch: PaymentMismatch) -> SafeString:
        return pretty_json(mismatch.expected)


class MismatchFilter(admin.SimpleListFilter):
    title = "mismatch"
    parameter_name = "mismatch"

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin[Payment]
    ) -> list[tuple[str, str]]:
        return [("open", "waiting for reconciliation")]

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[Payment]
    ) -> QuerySet[Payment]:
        if self.value() != "open":
            return queryset
        return queryset.filter(id__in=selectors.mismatched_payments().values("id"))


@admin.register(Payment)
class PaymentAdmin(RefundDeskMixin, PaymentRecordAdmin, CsvExportAdmin):
    csv_columns = field_columns(
        "id",
        "created_at",
        "payer_id",
        "kind",
        "gateway",
        "status",
        "currency",
        "amount_minor",
        "captured_minor",
        "refunded_minor",
        "gateway_reference",
        "pays",
    )
    # The payer is shown by its id (a column of the payment), so the largest table
    # is listed without a join; refunds list their payment with `list_select_related`.
    list_display = (
        "id",
        "created_at",
        "payer_link",
        "kind",
        "gateway",
        "status",
        "amount_display",
        "captured_display",
        "refunded_display",
        "refund_state_display",
        "gateway_reference",
        "pays",
    )
    list_filter = (
        "status",
        "gateway",
        "kind",
        MismatchFilter,
        ("created_at", admin.DateFieldListFilter),
    )
    search_fields = ("id", "payer", "gateway_reference", "pays")
    search_help_text = (
        "A payment or payer UUID, a gateway reference, or what it pays "
        "(invoice:…, order:…), exact."
    )
    ordering = ("-created_at",)
    inlines = (RefundInline, MismatchInline)
    fieldsets = (
        (None, {"fields": ("id", "payer_link", "kind", "gateway", "pays")}),
        (None, {"fields": ("description", "attempt", "card")}),
        (
            "Money",
            {
                "fields": (
                    "amount_display",
                    "captured_display",
                    "refunded_display",
                    "refund_state_display",
                )
            },
        ),
        (
            "Status",
            {
                "fields": (
                    "status",
                    "failure_code",
                    "failure_message",
                    "outcome_checks",
                    "next_outcome_check_at",
                )
            },
        ),
        ("References", {"fields": ("gateway_reference", "idempotency_key")}),
        (
            "Dates",
            {
                "fields": (
                    "created_at",
                    "updated_at",
                    "authorized_at",
                    "succeeded_at",
                    "failed_at",
                    "canceled_at",
                )
            },
        ),
        ("Audit trail", {"fields": ("audit_trail",)}),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Payment]:
        return super().get_queryset(request).defer(*HIDDEN_PAYMENT_FIELDS)

    def search_query(self, term: str) -> Q:
        match = Q(gateway_reference=term) | Q(pays=term)
        parsed = as_uuid(term)
        return match | Q(id=parsed) | Q(payer_id=parsed) if parsed else match

    @admin.display(description="amount", ordering="amount_minor")
    def amount_display(self, payment: Payment) -> str:
        return money(payment.amount)

    @admin.display(description="captured")
    def captured_display(self, payment: Payment) -> str:
        return money(payment.captured)

    @admin.display(description="refunded")
    def refunded_display(self, payment: Payment) -> str:
        return money(payment.refunded)

    @admin.display(description="refund state")
    def refund_state_display(self, payment: Payment) -> str:
        return payment.refund_state or EMPTY

    @admin.display(description="card")
    def card(self, payment: Payment) -> SafeString | str:
        if payment.payment_method_id is None:
            return EMPTY
        method = (
            PaymentMethod.objects.defer("token", "token_digest")
            .filter(id=payment.payment_method_id)
            .first()
        )
        if method is None:
            return EMPTY
        return link("admin:payments_paymentmethod_change", method.id, method)

    @admin.display(description="status changes of the payment and its refunds")
    def audit_trail(self, payment: Payment) -> SafeString | str:
        return status_change_table(selectors.payment_audit_trail(payment=payment))


@admin.register(Refund)
class RefundAdmin(PaymentRecordAdmin, CsvExportAdmin):
    csv_columns = field_columns(
        "id",
        "created_at",
        "payment_id",
        "status",
        "currency",
        "amount_minor",
        "reason",
        "gateway_reference",
        "succeeded_at",
    )
    list_display = (
        "id",
        "created_at",
        "payment_link",
        "payment_status",
        "status",
        "amount_display",
        "reason",
        "requested_by",
        "gateway_reference",
    )
    list_filter = (
        "status",
        "reason",
        "currency",
        ("created_at", admin.DateFieldListFilter),
    )
    list_select_related = ("payment",)
    search_fields = ("id", "payment", "gateway_reference")
    search_help_text = (
        "A refund, payment or payer UUID, or a gateway reference (exact)."
    )
    ordering = ("-created_at",)
    fields = (
        "id",
        "payment_link",
        "status",
        "amount_display",
        "reason",
        "note",
        "requested_by",
        "gateway_reference",
        "failure_code",
        "idempotency_key",
        "created_at",
        "updated_at",
        "succeeded_at",
        "audit_trail",
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Refund]:
        hidden = (f"payment__{name}" for name in HIDDEN_PAYMENT_FIELDS)
        return super().get_queryset(request).defer(*hidden)

    def search_query(self, term: str) -> Q:
        match = Q(gateway_reference=term)
        parsed = as_uuid(term)
        if parsed is None:
            return match
        return match | Q(id=parsed) | Q(payment_id=parsed) | Q(payment__payer_id=parsed)

    @admin.display(description="amount", ordering="amount_minor")
    def amount_display(self, refund: Refund) -> str:
        return money(refund.amount)

    @admin.display(description="status changes of the refund")
    def audit_trail(self, refund: Refund) -> SafeString | str:
        return status_change_table(
            billing_selectors.audit_trail(object_type="refund", object_id=refund.id)
        )

    @admin.display(description="payment status")
    def payment_status(self, refund: Refund) -> str:
        return refund.payment.get_status_display()
