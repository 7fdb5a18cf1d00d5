"""The shop's statistics (admins): orders by status and amounts per currency, by
day, month or year over a range of dates, as charts and as the same numbers in
tables, with the snacks ordered most.

The charts are drawn in the browser (`static/shop/statistics.js`, Chart.js) from
the numbers this page writes with `json_script`; the tables hold the same numbers
for those who do not see the charts.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from typing import Any, Final

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import dateformat, timezone
from django.views.decorators.http import require_http_methods

from snacks import selectors
from snacks.errors import InvalidStatisticsQuery
from snacks.major_units import exponent, to_major
from snacks.models import OrderStatus
from snacks.selectors import (
    Grain,
    OrderStatistics,
    PeriodStatistics,
    SnackQuantity,
)
from snacks.web.access import admin_page
from snacks.web.form_base import ShopForm

DEFAULT_DAYS: Final = 30
TOP_SNACKS: Final = 10
# How a period is named on the charts' axis and in the tables' rows.
PERIOD_FORMAT: Final = {Grain.DAY: "j M Y", Grain.MONTH: "F Y", Grain.YEAR: "Y"}
# The statuses in the order of the flow, each with its word on the page.
STATUS_WORDS: Final = [(status.value, status.label.lower()) for status in OrderStatus]
GRAIN_WORDS: Final = {Grain.DAY: "day", Grain.MONTH: "month", Grain.YEAR: "year"}


class StatisticsForm(ShopForm):
    grain = forms.ChoiceField(
        label="By",
        choices=[(Grain.DAY, "Day"), (Grain.MONTH, "Month"), (Grain.YEAR, "Year")],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # `from` is a keyword: the dates are added here, not as class attributes.
        for name, label in (("from", "From"), ("to", "To (included)")):
            self.fields[name] = forms.DateField(
                label=label,
                input_formats=["%Y-%m-%d"],
                widget=forms.DateInput({"type": "date"}, format="%Y-%m-%d"),
                error_messages={"invalid": "Enter a date such as 2026-01-31."},
            )


def _query(request: HttpRequest) -> dict[str, str]:
    """The query, with the last 30 days by day (in the shop's time zone) for what
    it leaves out."""
    today = timezone.localdate()
    defaults = {
        "grain": Grain.DAY.value,
        "from": (today - dt.timedelta(days=DEFAULT_DAYS - 1)).isoformat(),
        "to": today.isoformat(),
    }
    return {name: request.GET.get(name, default) for name, default in defaults.items()}


@admin_page
@require_http_methods(["GET", "HEAD"])
def statistics(request: HttpRequest) -> HttpResponse:
    form = StatisticsForm(_query(request))
    context: dict[str, Any] = {"form": form}
    if form.is_valid():
        grain = Grain(form.cleaned_data["grain"])
        try:
            found = selectors.order_statistics(
                grain=grain,
                starts=form.cleaned_data["from"],
                ends=form.cleaned_data["to"],
            )
        except InvalidStatisticsQuery as refused:
            form.add_refusal(refused)
        else:
            context.update(_shown(found))
    return render(request, "shop/statistics.html", context)


def _label(grain: Grain, period: dt.date) -> str:
    return dateformat.format(period, PERIOD_FORMAT[grain])


def _shown(found: OrderStatistics) -> dict[str, Any]:
    """What the page shows of the statistics: the tables' rows, and the charts'
    numbers."""
    labels = [_label(found.grain, entry.period) for entry in found.periods]
    rows = [
        {
            "label": label,
            "orders": [(word, entry.orders[status]) for status, word in STATUS_WORDS],
            "total": entry.orders_total,
            "amounts": entry.amounts,
        }
        for label, entry in zip(labels, found.periods, strict=True)
        # The chart shows every period; the table only those with orders.
        if entry.orders_total
    ]
    return {
        "statistics": found,
        "grain_word": GRAIN_WORDS[found.grain],
        "statuses": [word for _, word in STATUS_WORDS],
        "rows": rows,
        "has_amounts": any(entry.amounts for entry in found.periods),
        "top_snacks": _top_snacks(found.periods),
        "chart_data": _chart_data(found, labels),
    }


def _top_snacks(periods: list[PeriodStatistics]) -> list[SnackQuantity]:
    """The snacks ordered most over the range (canceled orders left out)."""
    quantities: Counter[uuid.UUID] = Counter()
    names: dict[uuid.UUID, str] = {}
    for entry in periods:
        for snack in entry.snacks:
            quantities[snack.snack_id] += snack.quantity
            names[snack.snack_id] = snack.name
    ranked = sorted(
        (
            SnackQuantity(snack_id, names[snack_id], n)
            for snack_id, n in quantities.items()
        ),
        key=lambda snack: (-snack.quantity, snack.name.lower()),
    )
    return ranked[:TOP_SNACKS]


def _chart_data(found: OrderStatistics, labels: list[str]) -> dict[str, Any]:
    """The charts' numbers: orders by status, and amounts per currency.

    The amounts go to the chart in major units ("2.50" euros), converted exactly
    here with Decimal and written as strings: Chart.js reads them as numbers to
    place the bars, which is display only. The exact minor units go along for the
    tooltips, and the tables below the charts show the stored amounts.
    """
    currencies = sorted({a.currency for p in found.periods for a in p.amounts})
    amounts: dict[str, list[int]] = {code: [] for code in currencies}
    for entry in found.periods:
        held = {amount.currency: amount.amount_minor for amount in entry.amounts}
        for code in currencies:
            amounts[code].append(held.get(code, 0))
    return {
        "grain": found.grain.value,
        "labels": labels,
        "orders": [
            {
                "status": status,
                "label": word,
                "counts": [entry.orders[status] for entry in found.periods],
            }
            for status, word in STATUS_WORDS
        ],
        "amounts": [
            {
                "currency": code,
                "exponent": exponent(code),
                "minor": amounts[code],
                "major": [str(to_major(minor, code)) for minor in amounts[code]],
            }
            for code in currencies
        ],
    }
