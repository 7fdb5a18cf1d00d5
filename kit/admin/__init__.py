"""The admin's shared pieces: read-only bases and what their pages display."""

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
from kit.admin.readonly import ReadOnlyAdmin, ReadOnlyInline

__all__ = [
    "EMPTY",
    "CsvExportAdmin",
    "DateRangeForm",
    "ReadOnlyAdmin",
    "ReadOnlyInline",
    "as_uuid",
    "field_columns",
    "link",
    "link_column",
    "money",
    "pretty_json",
    "status_change_table",
]
