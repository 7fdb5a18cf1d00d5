"""The admin's shared pieces: read-only bases, what their pages display, and the
pages that call a service (a form, or a confirmed action)."""

from kit.admin.csv_export import CsvExportAdmin, field_columns
from kit.admin.display import (
    EMPTY,
    as_uuid,
    link,
    link_column,
    money,
    pretty_json,
    status_change_table,
)
from kit.admin.forms import DateRangeForm
from kit.admin.pages import add_domain_error, confirm_then_apply, service_page
from kit.admin.readonly import ReadOnlyAdmin, ReadOnlyInline

__all__ = [
    "EMPTY",
    "CsvExportAdmin",
    "DateRangeForm",
    "ReadOnlyAdmin",
    "ReadOnlyInline",
    "add_domain_error",
    "as_uuid",
    "confirm_then_apply",
    "field_columns",
    "link",
    "link_column",
    "money",
    "pretty_json",
    "service_page",
    "status_change_table",
]
