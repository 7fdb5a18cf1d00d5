"""Saved cards, gateway events and checkout sessions."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.safestring import SafeString

from billing.admin.audit import audit_trail_column
from kit.admin import EMPTY, as_uuid, money, pretty_json
from kit.redaction import redact
from payments.admin._base import PaymentRecordAdmin
from payments.models import (
    CardSetup,
    CheckoutSession,
    GatewayEventRecord,
    PaymentMethod,
)


@admin.register(PaymentMethod)
class PaymentMethodAdmin(PaymentRecordAdmin):
    list_display = (
        "id",
        "payer_link",
        "gateway",
        "brand",
        "first6",
        "last4",
        "expiry",
        "status",
        "is_default",
        "created_at",
    )
    list_filter = ("gateway", "status", "is_default", "brand")
    search_fields = ("id", "payer")
    search_help_text = "A card's or a payer's UUID (exact)."
    ordering = ("-created_at",)
    # The token is deliberately absent: not a field here, not loaded by the queryset.
    fields = (*list_display, "updated_at", "audit_trail")
    audit_trail = audit_trail_column("payment_method")

    def get_queryset(self, request: HttpRequest) -> QuerySet[PaymentMethod]:
        return super().get_queryset(request).defer("token", "token_digest")

    def search_query(self, term: str) -> Q:
        parsed = as_uuid(term)
        return Q(id=parsed) | Q(payer_id=parsed) if parsed else Q(pk__in=[])

    @admin.display(description="expiry")
    def expiry(self, method: PaymentMethod) -> str:
        if method.exp_month is None or method.exp_year is None:
            return EMPTY
        return f"{method.exp_month:02d}/{method.exp_year}"


@admin.register(GatewayEventRecord)
class GatewayEventRecordAdmin(PaymentRecordAdmin):
    list_display = (
        "received_at",
        "gateway",
        "kind",
        "external_id",
        "gateway_reference",
        "status",
        "attempts",
        "payment_link",
    )
    list_filter = ("gateway", "status", "kind")
    search_fields = ("external_id", "gateway_reference")
    search_help_text = "The gateway's event id or payment reference (exact)."
    ordering = ("-received_at",)
    fields = (
        "gateway",
        "kind",
        "external_id",
        "gateway_reference",
        "payment_link",
        "status",
        "attempts",
        "error",
        "received_at",
        "processed_at",
        "payload_display",
    )

    def search_query(self, term: str) -> Q:
        return Q(external_id=term) | Q(gateway_reference=term)

    @admin.display(description="payload (secrets masked)")
    def payload_display(self, record: GatewayEventRecord) -> SafeString:
        return pretty_json(redact(record.payload))


@admin.register(CheckoutSession)
class CheckoutSessionAdmin(PaymentRecordAdmin):
    list_display = (
        "id",
        "created_at",
        "payer_link",
        "gateway",
        "mode",
        "amount_display",
        "status",
        "expires_at",
        "payment_link",
    )
    list_filter = (
        "status",
        "mode",
        "gateway",
        ("created_at", admin.DateFieldListFilter),
    )
    search_fields = ("id", "payer", "payment", "card_setup")
    search_help_text = "A session, payer, payment or card setup UUID (exact)."
    ordering = ("-created_at",)
    fields = (
        "id",
        "payer_link",
        "mode",
        "amount_display",
        "description",
        "pays",
        "setup_purpose",
        "gateway",
        "status",
        "payment_link",
        "card_setup_display",
        "success_url",
        "failure_url",
        "created_by",
        "created_at",
        "expires_at",
        "claimed_at",
        "completed_at",
        "audit_trail",
    )
    audit_trail = audit_trail_column("checkout_session")

    def search_query(self, term: str) -> Q:
        parsed = as_uuid(term)
        if parsed is None:
            return Q(pk__in=[])
        return (
            Q(id=parsed)
            | Q(payer_id=parsed)
            | Q(payment_id=parsed)
            | Q(card_setup_id=parsed)
        )

    @admin.display(description="amount", ordering="amount_minor")
    def amount_display(self, session: CheckoutSession) -> str:
        return money(session.amount)

    @admin.display(description="card setup")
    def card_setup_display(self, session: CheckoutSession) -> str:
        setup_id = session.card_setup_id
        if setup_id is None:
            return EMPTY
        # Its status alone: the setup's row holds the (encrypted) cryptogram.
        status = (
            CardSetup.objects.filter(id=setup_id)
            .values_list("status", flat=True)
            .first()
        )
        return f"{setup_id} ({status})"
