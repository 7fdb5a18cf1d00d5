"""What admin pages display: links, ids, JSON, money and audit trails."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

EMPTY = "—"


class FormattedAmount(Protocol):
    """An amount of money that formats itself for people (`billing.money.Money`)."""

    def format(self) -> str: ...


class StatusChangeRow(Protocol):
    """One row of an audit trail (`billing.models.StatusChange`)."""

    at: dt.datetime
    object_type: str
    object_id: str
    from_status: str
    to_status: str
    actor: str
    reason: str


def as_uuid(term: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(term)
    except ValueError:
        return None


def link(viewname: str, pk: object, text: object) -> SafeString | str:
    if pk is None:
        return EMPTY
    return format_html("<a href='{}'>{}</a>", reverse(viewname, args=[pk]), text)


def link_column(
    viewname: str, id_attribute: str, *, description: str, ordering: str | None = None
) -> Callable[[Any, Any], SafeString | str]:
    """An admin column that links the id in `id_attribute` to its change page."""

    @admin.display(description=description, ordering=ordering)
    def column(modeladmin: Any, obj: Any) -> SafeString | str:
        pk = getattr(obj, id_attribute)
        return link(viewname, pk, pk)

    return column


def money(amount: FormattedAmount) -> str:
    return amount.format()


def pretty_json(value: object) -> SafeString:
    text = json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False)
    return format_html("<pre style='white-space:pre-wrap'>{}</pre>", text)


def status_change_table(rows: Iterable[StatusChangeRow]) -> SafeString | str:
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
