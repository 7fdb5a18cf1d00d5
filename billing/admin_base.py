"""The read-only admin that billing and payments records share, and its helpers.

Records of money are shown, never added, changed or deleted in the admin: changes go
through services. Searches are exact matches on indexed columns, so they stay fast
on tables of millions of rows.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import flatten_fieldsets
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from billing.models import StatusChange

EMPTY = "—"


def as_uuid(term: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(term)
    except ValueError:
        return None


def link(viewname: str, pk: object, text: object) -> SafeString | str:
    if pk is None:
        return EMPTY
    return format_html("<a href='{}'>{}</a>", reverse(viewname, args=[pk]), text)


def pretty_json(value: object) -> SafeString:
    text = json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False)
    return format_html("<pre style='white-space:pre-wrap'>{}</pre>", text)


def status_change_table(rows: Iterable[StatusChange]) -> SafeString | str:
    """An audit trail as a table: when, what, from → to, who and why."""
    body = format_html_join(
        "",
        "<tr><td>{}</td><td>{} {}</td><td>{} → {}</td><td>{}</td><td>{}</td></tr>",
        (
            (
                row.at.isoformat(),
                row.object_type,
                row.object_id,
                row.from_status,
                row.to_status,
                row.actor,
                row.reason,
            )
            for row in rows
        ),
    )
    if not body:
        return EMPTY
    return format_html(
        "<table><thead><tr><th>at</th><th>object</th><th>change</th>"
        "<th>actor</th><th>reason</th></tr></thead><tbody>{}</tbody></table>",
        body,
    )


class ReadOnlyInline(admin.TabularInline):
    """Rows shown under their parent, never added, changed or deleted there."""

    extra = 0
    max_num = 0
    can_delete = False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return list(flatten_fieldsets(self.get_fieldsets(request, obj)))

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    """Shown, never added, changed or deleted; searched by `search_query`.

    No actions either, unless a subclass offers ones that call services.
    """

    actions: Sequence[Any] | None = None
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

    @admin.display(description="payer", ordering="payer_id")
    def payer_link(self, obj: Any) -> SafeString | str:
        return link("admin:billing_payer_change", obj.payer_id, obj.payer_id)
