"""Admin for the billing core: payers, the events outbox and the audit trail.

Everything here is history or identity, so it is shown and never edited: events and
status changes are append-only, and a payer's keys belong to the auth service and
the gateways. Searches are exact matches on indexed columns, so they stay fast on
tables of millions of rows.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import flatten_fieldsets
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from billing.models import BillingEvent, Payer, StatusChange


def _as_uuid(term: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(term)
    except ValueError:
        return None


def _pretty_json(value: object) -> SafeString:
    text = json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False)
    return format_html("<pre style='white-space:pre-wrap'>{}</pre>", text)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Shown, never added, changed or deleted; searched by `search_query`."""

    actions = None
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return list(flatten_fieldsets(self.get_fieldsets(request, obj)))

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        term = search_term.strip()
        if not term:
            return queryset, False
        return queryset.filter(self.search_query(term)), False

    def search_query(self, term: str) -> Q:
        raise NotImplementedError


@admin.register(Payer)
class PayerAdmin(ReadOnlyAdmin):
    list_display = ("id", "stripe_customer_id", "created_at")
    search_fields = ("id", "stripe_customer_id")
    search_help_text = "A payer UUID or a Stripe customer id (exact)."
    ordering = ("-created_at",)
    fields = ("id", "stripe_customer_id", "created_at")

    def search_query(self, term: str) -> Q:
        as_uuid = _as_uuid(term)
        match = Q(stripe_customer_id=term)
        return match | Q(id=as_uuid) if as_uuid else match


@admin.register(BillingEvent)
class BillingEventAdmin(ReadOnlyAdmin):
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
        as_uuid = _as_uuid(term)
        if as_uuid:
            return Q(payer_id=as_uuid) | Q(id=as_uuid)
        return Q(cursor=int(term)) if term.isdigit() else Q(pk__in=[])

    @admin.display(description="payer", ordering="payer_id")
    def payer_link(self, event: BillingEvent) -> SafeString | str:
        if event.payer_id is None:
            return "—"
        url = reverse("admin:billing_payer_change", args=[event.payer_id])
        return format_html("<a href='{}'>{}</a>", url, event.payer_id)

    @admin.display(description="payload")
    def payload_display(self, event: BillingEvent) -> SafeString:
        return _pretty_json(event.payload)


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
        as_uuid = _as_uuid(term)
        # Object ids are stored in their canonical text form.
        object_id = str(as_uuid) if as_uuid else term
        return Q(object_id=object_id)
