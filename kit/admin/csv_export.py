"""CSV export of an admin's rows for a date range, streamed: rows are read from
the database in chunks and written as the client reads, so an export of millions
of rows holds a chunk in memory, not the file.

An admin that extends `CsvExportAdmin` names its columns (`csv_columns`: a heading
and how to read it from a row) and the date that picks the rows (`csv_date_field`);
its list gets an "Export CSV" page with the range to export.
"""

from __future__ import annotations

import csv
import datetime as dt
import operator
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, ClassVar, Final

from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import HttpRequest, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils.text import slugify

from kit.admin.forms import DateRangeForm
from kit.admin.readonly import ReadOnlyAdmin

CHUNK_SIZE: Final = 2000
EXPORT_TEMPLATE: Final = "admin/csv_export.html"

Column = tuple[str, Callable[[Any], object]]


def field_columns(*names: str) -> list[Column]:
    """Columns headed by the field names, reading each field of the row."""
    return [(name, operator.attrgetter(name)) for name in names]


class _Echo:
    """A file that hands back what is written to it: csv.writer's lines, one at a
    time, for a streaming response (Django's documented pattern)."""

    def write(self, value: str) -> str:
        return value


def csv_lines(columns: Sequence[Column], rows: Iterable[Model]) -> Iterator[str]:
    """The heading line, then a line per row, each written as it is asked for."""
    writer = csv.writer(_Echo())
    yield writer.writerow([heading for heading, _ in columns])
    for row in rows:
        yield writer.writerow([_cell(read(row)) for _, read in columns])


# A cell a spreadsheet would read as a formula when opened (OWASP's "CSV
# injection"): text from outside (a gateway's reference, a memo) is kept as text.
_FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> object:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return f"'{value}"
    return "" if value is None else value


class CsvExportAdmin(ReadOnlyAdmin):
    """A read-only admin whose rows export as CSV for a range of days (UTC)."""

    csv_columns: ClassVar[Sequence[Column]] = ()
    csv_date_field: ClassVar[str] = "created_at"

    def get_urls(self) -> list[URLPattern]:
        info = (self.opts.app_label, self.opts.model_name)
        export = path(
            "export/",
            self.admin_site.admin_view(self.csv_export_view),
            name="{}_{}_export".format(*info),
        )
        return [export, *super().get_urls()]

    def csv_rows(self, starts: dt.datetime, ends: dt.datetime) -> QuerySet[Any]:
        """The rows of the range, oldest first; an admin may narrow or join."""
        field = self.csv_date_field
        return self.model._default_manager.filter(
            **{f"{field}__gte": starts, f"{field}__lt": ends}
        ).order_by(field, "pk")

    def csv_export_view(
        self, request: HttpRequest
    ) -> TemplateResponse | StreamingHttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        form = DateRangeForm(request.GET or None)
        if not form.is_valid():
            context = {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": f"Export {self.opts.verbose_name_plural} as CSV",
                "form": form,
            }
            return TemplateResponse(request, EXPORT_TEMPLATE, context)
        starts = _midnight(form.cleaned_data["starts"])
        ends = _midnight(form.cleaned_data["ends"] + dt.timedelta(days=1))
        rows = self.csv_rows(starts, ends).iterator(chunk_size=CHUNK_SIZE)
        name = (
            f"{slugify(str(self.opts.verbose_name_plural))}-"
            f"{form.cleaned_data['starts']}-{form.cleaned_data['ends']}.csv"
        )
        response = StreamingHttpResponse(
            csv_lines(self.csv_columns, rows), content_type="text/csv"
        )
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)
