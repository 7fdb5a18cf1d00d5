"""Payers, the events outbox and the audit trail.

Everything here is history or identity, so it is shown and never edited: events and
status changes are append-only, and a payer's keys belong to the auth service and
the gateways.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Q
from django.utils.safestring import SafeString

from billing.admin.audit import audit_trail_column
from billing.models import BillingEvent, Payer, StatusChange
from kit.admin import ReadOnlyAdmin, as_uuid, link_column, pretty_json


@admin.register(Payer)
class PayerAdmin(ReadOnlyAdmin):
    list_display = ("id", "stripe_customer_id", "created_at", "forgotten_at")
    search_fields = ("id", "stripe_customer_id")
    search_help_text = "A payer UUID or a Stripe customer id (exact)."
    ordering = ("-created_at",)
    fields = ("id", "stripe_customer_id", "created_at", "forgotten_at", "audit_trail")
    audit_trail = audit_trail_column("payer")

    def search_query(self, term: str) -> Q:
        uuid_term = as_uuid(term)
        match = Q(stripe_customer_id=term)
        return match | Q(id=uuid_term) if uuid_term else match


@admin.register(BillingEvent)
class BillingEventAdmin(ReadOnlyAdmin):
    payer_link = link_column(
        "admin:billing_payer_change",
        "payer_id",
        description="payer",
        ordering="payer_id",
    )
    list_display = ("cursor", "type", "payer_link", "occurred_at", "payload_version")
    list_filter = ("type",)
    search_fields = ("payer", "id", "cursor")
    search_help_text = "A payer UUID, an event UUID or a cursor (exact)."
    ordering = ("-cursor",)
    fields = (
        "cursor",
        "id",
        "type",
        "payer_link",
        "occurred_at",
        "payload_version",
        "payload_display",
    )

    def search_query(self, term: str) -> Q:
        uuid_term = as_uuid(term)
        if uuid_term:
            return Q(payer_id=uuid_term) | Q(id=uuid_term)
        return Q(cursor=int(term)) if term.isdigit() else Q(pk__in=[])

    @admin.display(description="payload")
    def payload_display(self, event: BillingEvent) -> SafeString:
        return pretty_json(event.payload)


@admin.register(StatusChange)
class StatusChangeAdmin(ReadOnlyAdmin):
    list_display = (
        "at",
        "object_type",
        "object_id",
        "from_status",
        "to_status",
        "actor",
        "reason",
    )
    list_filter = ("object_type", "to_status")
    search_fields = ("object_id",)
    search_help_text = "The changed object's id (exact); filter by type to narrow."
    ordering = ("-at", "-id")
    fields = (
        "object_type",
        "object_id",
        "from_status",
        "to_status",
        "actor",
        "reason",
        "at",
    )

    def search_query(self, term: str) -> Q:
        uuid_term = as_uuid(term)
        # Object ids are stored in their canonical text form.
        object_id = str(uuid_term) if uuid_term else term
        return Q(object_id=object_id)
