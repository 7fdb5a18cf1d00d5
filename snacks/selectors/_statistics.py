"""The shop's statistics by year, month or day over a range of dates.

An order counts in the period of the day it was placed (`created_at`, in the shop's
time zone, `TIME_ZONE`). Per period: orders by status (every status), the quantity
of each snack and the amount per currency of the orders that were not canceled,
and of those that reached ORDERED (their hold was or is being captured).

Everything is summed in the database from the orders' daily totals, which the
order services keep in step with every change (`snacks.services._order_tallies`),
grouped by period, in at most four queries whatever the number of orders: orders
by period, status and currency (a row per day, status and currency); snack
quantities of the months the range holds whole, from the monthly sales (a row per
month and snack), and of the days of the months it cuts (or of every day, by
day) from the daily ones; the snacks' names. A year by month reads about twelve
thousand sales rows, not every purchase of the year.
Python only lays the sums out by period.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any, Final, NoReturn

from django.db.models import DateField, F, QuerySet, Sum
from django.db.models.functions import Trunc
from django.utils import timezone

from snacks.errors import InvalidStatisticsQuery
from snacks.models import (
    DailyOrderTotal,
    DailySnackSales,
    MonthlySnackSales,
    OrderStatus,
    Snack,
)


class Grain(enum.StrEnum):
    YEAR = "year"
    MONTH = "month"
    DAY = "day"


# The most periods one answer holds: a year by day, ten years by month, a century
# by year. Beyond that a chart says nothing more, and the answer grows unbounded.
MAX_PERIODS: Final = {Grain.DAY: 366, Grain.MONTH: 120, Grain.YEAR: 100}
# Dates the statistics take: every period's bounds and the time zone's offset
# stay within what a datetime holds.
EARLIEST: Final = dt.date(1900, 1, 1)
LATEST: Final = dt.date(9998, 12, 31)
ONE_DAY: Final = dt.timedelta(days=1)
# Orders whose money was held and is still meant to be taken.
_NOT_CANCELED: Final = frozenset(OrderStatus.values) - {OrderStatus.CANCELED}
# Orders that reached ORDERED: the hold was (or is being) captured.
_ORDERED: Final = frozenset(
    {OrderStatus.ORDERED, OrderStatus.SHIPPING, OrderStatus.COMPLETED}
)


@dataclass(frozen=True)
class SnackQuantity:
    snack_id: uuid.UUID
    name: str
    quantity: int


@dataclass
class CurrencyAmount:
    currency: str
    amount_minor: int = 0
    ordered_amount_minor: int = 0


@dataclass
class PeriodStatistics:
    # The first day of the calendar period (a year, a month or a day).
    period: dt.date
    # The part of the period inside the range asked for.
    starts: dt.date
    ends: dt.date
    orders: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(OrderStatus.values, 0)
    )
    snacks: list[SnackQuantity] = field(default_factory=list)
    amounts: list[CurrencyAmount] = field(default_factory=list)

    @property
    def orders_total(self) -> int:
        return sum(self.orders.values())


@dataclass(frozen=True)
class OrderStatistics:
    grain: Grain
    starts: dt.date
    ends: dt.date
    time_zone: str
    periods: list[PeriodStatistics]


def order_statistics(
    *, grain: Grain, starts: dt.date, ends: dt.date
) -> OrderStatistics:
    """Statistics of the orders placed from `starts` to `ends` (both included),
    one entry per `grain` period touching the range, empty periods included.

    :raises InvalidStatisticsQuery: when `starts` is after `ends`, a date is out of
        range, or the range holds more than `MAX_PERIODS[grain]` periods.
    """
    periods = _periods(grain, starts, ends)
    by_period = {entry.period: entry for entry in periods}
    _count_orders(grain, starts, ends, by_period)
    _count_snacks(grain, starts, ends, by_period)
    return OrderStatistics(
        grain=grain,
        starts=starts,
        ends=ends,
        time_zone=timezone.get_default_timezone_name(),
        periods=periods,
    )


def _periods(grain: Grain, starts: dt.date, ends: dt.date) -> list[PeriodStatistics]:
    """The periods that touch the range, each clipped to it.

    :raises InvalidStatisticsQuery:
    """
    for name, day in (("from", starts), ("to", ends)):
        if not EARLIEST <= day <= LATEST:
            _refuse(name, f"A date from {EARLIEST} to {LATEST}.")
    if starts > ends:
        _refuse("to", "The range ends before it starts.")
    periods = []
    period = _first_day(grain, starts)
    while period <= ends:
        following = _following(grain, period)
        periods.append(
            PeriodStatistics(
                period=period,
                starts=max(period, starts),
                ends=min(following - dt.timedelta(days=1), ends),
            )
        )
        if len(periods) > MAX_PERIODS[grain]:
            _refuse(
                "to",
                f"At most {MAX_PERIODS[grain]} periods by {grain}: choose a "
                "shorter range or a coarser grain.",
            )
        period = following
    return periods


def _refuse(name: str, message: str) -> NoReturn:
    raise InvalidStatisticsQuery(message, extra={"fields": {name: [message]}})


def _first_day(grain: Grain, day: dt.date) -> dt.date:
    if grain == Grain.YEAR:
        return day.replace(month=1, day=1)
    if grain == Grain.MONTH:
        return day.replace(day=1)
    return day


def _following(grain: Grain, period: dt.date) -> dt.date:
    if grain == Grain.YEAR:
        return period.replace(year=period.year + 1)
    if grain == Grain.MONTH:
        if period.month == 12:
            return dt.date(period.year + 1, 1, 1)
        return period.replace(month=period.month + 1)
    return period + dt.timedelta(days=1)


def _period_of(column: str, grain: Grain) -> F | Trunc:
    """The first day of the `grain` period that the date `column` falls in."""
    if grain == Grain.DAY or (column == "month" and grain == Grain.MONTH):
        return F(column)
    return Trunc(column, str(grain), output_field=DateField())


def _count_orders(
    grain: Grain,
    starts: dt.date,
    ends: dt.date,
    by_period: dict[dt.date, PeriodStatistics],
) -> None:
    rows = (
        DailyOrderTotal.objects.filter(day__gte=starts, day__lte=ends)
        .annotate(period=_period_of("day", grain))
        .values("period", "status", "currency")
        .annotate(count=Sum("orders"), amount=Sum("amount_minor"))
        .filter(count__gt=0)
        .order_by("period", "currency", "status")
    )
    amounts: dict[tuple[dt.date, str], CurrencyAmount] = {}
    for row in rows:
        entry = by_period[row["period"]]
        entry.orders[row["status"]] += row["count"]
        if row["status"] not in _NOT_CANCELED:
            continue
        key = (row["period"], row["currency"])
        if key not in amounts:
            amounts[key] = CurrencyAmount(currency=row["currency"])
            entry.amounts.append(amounts[key])
        amounts[key].amount_minor += row["amount"]
        if row["status"] in _ORDERED:
            amounts[key].ordered_amount_minor += row["amount"]


def _count_snacks(
    grain: Grain,
    starts: dt.date,
    ends: dt.date,
    by_period: dict[dt.date, PeriodStatistics],
) -> None:
    """The months the range holds whole from the monthly sales, the days of the
    months it cuts (or every day, by day) from the daily ones."""
    kept: Counter[tuple[dt.date, uuid.UUID]] = Counter()
    daily = DailySnackSales.objects.filter(day__gte=starts, day__lte=ends)
    whole = None if grain == Grain.DAY else _whole_months(starts, ends)
    if whole is not None:
        first, last = whole
        after_last = _following(Grain.MONTH, last)
        monthly = MonthlySnackSales.objects.filter(month__gte=first, month__lte=last)
        kept.update(_sales(monthly, "month", grain))
        daily = daily.exclude(day__gte=first, day__lt=after_last)
    if whole is None or (starts, ends) != (whole[0], after_last - ONE_DAY):
        kept.update(_sales(daily, "day", grain))
    names = dict(
        Snack.objects.filter(id__in={snack_id for _, snack_id in kept}).values_list(
            "id", "name"
        )
    )
    snacks: dict[dt.date, list[SnackQuantity]] = defaultdict(list)
    for (period, snack_id), quantity in kept.items():
        if quantity <= 0:
            continue
        snacks[period].append(
            SnackQuantity(snack_id=snack_id, name=names[snack_id], quantity=quantity)
        )
    for period, quantities in snacks.items():
        by_period[period].snacks = sorted(
            quantities, key=lambda snack: (-snack.quantity, snack.name.lower())
        )


def _sales(
    rows: QuerySet[Any], column: str, grain: Grain
) -> dict[tuple[dt.date, uuid.UUID], int]:
    """Snack quantities of the sales `rows` by period (their date is `column`)."""
    summed = (
        rows.annotate(period=_period_of(column, grain))
        .values_list("period", "snack_id")
        .annotate(quantity=Sum("quantity"))
        .order_by()
    )
    return {(period, snack_id): quantity for period, snack_id, quantity in summed}


def _whole_months(starts: dt.date, ends: dt.date) -> tuple[dt.date, dt.date] | None:
    """The first and last month (first days) that the range holds whole."""
    first = _first_day(Grain.MONTH, starts)
    if first < starts:
        first = _following(Grain.MONTH, first)
    last = _first_day(Grain.MONTH, ends)
    if _following(Grain.MONTH, last) - dt.timedelta(days=1) > ends:
        last = _first_day(Grain.MONTH, last - dt.timedelta(days=1))
    return (first, last) if first <= last else None
