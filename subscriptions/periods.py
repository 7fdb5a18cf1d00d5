"""Calendar math for billing periods: boundaries, half-open periods and proration.

Pure Python: no ORM, no settings and no clock reads; callers pass every moment in.

WARNING: every invoice ever issued was dated and priced by this module. Changing how a
boundary is computed (the anchor day, the time of day, the handling of time zone
transitions) or how a share of a price is rounded silently moves past periods, which
were stored with the old rule, against future ones, and changes the amounts of
invoices not yet issued. Change it only with a migration of stored periods and a note
to finance, and keep the exact examples in ``tests/subscriptions/test_periods.py``.

Time zones. Boundaries follow the wall clock of the anchor's time zone, so a monthly
renewal at 00:30 Europe/Moscow stays at 00:30 local whatever the offset does. A
boundary whose wall time does not exist or occurs twice is resolved with PEP 495's
``fold=0``, as ``zoneinfo`` reads it:

- in a gap (clocks jump forward), the offset before the jump applies, so 02:30 on the
  day New York springs forward becomes 03:30 EDT, the instant an hour after 01:30 EST;
- in a fold (clocks go back), the earlier of the two instants is chosen.

The result is returned normalized (a real wall time with the right ``fold``), and all
comparisons and durations here are taken in UTC, because Python compares and subtracts
two datetimes that share a ``tzinfo`` by wall time, ignoring ``fold`` and offsets.
Boundary 0 is the anchor itself, exactly as given (even with ``fold=1``). Known limit:
a zone that skips a whole calendar day (Pacific/Apia on 30 December 2011) maps a daily
boundary on the missing day onto the next one, and ``Period`` refuses the empty period.
"""

from __future__ import annotations

import calendar
import decimal
import enum
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from fractions import Fraction
from typing import NamedTuple

from billing.money import CurrencyMismatch, Money

__all__ = [
    "BillingCycle",
    "Interval",
    "Period",
    "PlanChangeProration",
    "add_intervals",
    "iter_periods",
    "period_containing",
    "period_number",
    "plan_change_amounts",
    "prorate",
]


class Interval(enum.StrEnum):
    """The calendar unit of a billing cycle."""

    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    YEAR = "year"


# Calendar units of each interval: days for DAY and WEEK, months for MONTH and YEAR.
_DAYS_PER_UNIT = {Interval.DAY: 1, Interval.WEEK: 7}
_MONTHS_PER_UNIT = {Interval.MONTH: 1, Interval.YEAR: 12}


@dataclass(frozen=True, slots=True)
class BillingCycle:
    """A period length: ``count`` intervals, such as 3 months or 2 weeks."""

    interval: Interval
    count: int = 1

    def __post_init__(self) -> None:
        if not isinstance(self.interval, Interval):
            raise TypeError(f"interval must be an Interval, got {self.interval!r}.")
        count = self.count
        if isinstance(count, bool) or not isinstance(count, int):
            raise TypeError(f"count must be an int, got {count!r}.")
        if count < 1:
            raise ValueError(f"count must be at least 1, got {count}.")


@dataclass(frozen=True, slots=True)
class Period:
    """A half-open billing period ``[starts_at, ends_at)``."""

    starts_at: datetime
    ends_at: datetime

    def __post_init__(self) -> None:
        if _utc(self.ends_at) <= _utc(self.starts_at):
            raise ValueError(
                f"A period must end after it starts: {self.starts_at.isoformat()}"
                f" to {self.ends_at.isoformat()}."
            )

    @property
    def duration(self) -> timedelta:
        """Return the elapsed time of the period (not the wall-clock difference)."""
        return _utc(self.ends_at) - _utc(self.starts_at)

    def contains(self, moment: datetime) -> bool:
        """Return whether ``starts_at <= moment < ends_at``.

        :raises ValueError: if ``moment`` is naive.
        """
        return _utc(self.starts_at) <= _utc(moment) < _utc(self.ends_at)


class PlanChangeProration(NamedTuple):
    """The amounts of a plan change in the middle of a period."""

    credit: Money
    charge: Money
    net: Money


def _utc(moment: datetime) -> datetime:
    """Return ``moment`` in UTC.

    :raises ValueError: if ``moment`` is naive, since its instant would be a guess.
    """
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"An aware datetime is required, got {moment.isoformat()}.")
    return moment.astimezone(UTC)


def _zone(anchor: datetime) -> tzinfo:
    """Return the anchor's time zone.

    :raises ValueError: if the anchor is naive or uses pytz, whose tzinfo objects
        give wrong offsets once attached with ``replace``.
    """
    _utc(anchor)
    zone = anchor.tzinfo
    assert zone is not None
    if hasattr(zone, "localize"):
        raise ValueError("pytz time zones are not supported; use zoneinfo.")
    return zone


def _microseconds(delta: timedelta) -> int:
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def add_intervals(anchor: datetime, cycle: BillingCycle, n: int) -> datetime:
    """Return boundary ``n`` of the periods anchored at ``anchor``.

    The boundary is computed from the anchor, never from the previous boundary, so
    the anchor day is kept: 31 January plus one month is 28 (or 29) February, plus two
    months is 31 March. The anchor's wall time is kept in its time zone; see the
    module docstring for gaps and folds.

    :raises ValueError: if ``anchor`` is naive, ``n`` is negative, or the boundary
        lies beyond the year 9999.
    """
    zone = _zone(anchor)
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"n must be an int, got {n!r}.")
    if n < 0:
        raise ValueError(f"n must not be negative, got {n}.")
    if n == 0:
        return anchor
    wall = anchor.replace(tzinfo=None, fold=0)
    units = n * cycle.count
    try:
        if cycle.interval in _DAYS_PER_UNIT:
            wall += timedelta(days=units * _DAYS_PER_UNIT[cycle.interval])
        else:
            months = wall.month - 1 + units * _MONTHS_PER_UNIT[cycle.interval]
            year, month = wall.year + months // 12, months % 12 + 1
            if year > 9999:
                raise OverflowError
            day = min(anchor.day, calendar.monthrange(year, month)[1])
            wall = wall.replace(year=year, month=month, day=day)
        return wall.replace(tzinfo=zone, fold=0).astimezone(UTC).astimezone(zone)
    except OverflowError:
        raise ValueError(
            f"Boundary {n} of {cycle} lies beyond the year 9999."
        ) from None


def period_number(anchor: datetime, cycle: BillingCycle, moment: datetime) -> int:
    """Return the ``n`` such that ``add_intervals(anchor, cycle, n) <= moment`` and
    ``moment < add_intervals(anchor, cycle, n + 1)``.

    The number is estimated from the calendar and then corrected by a step or two,
    so the cost does not grow with the number of periods.

    :raises ValueError: if a datetime is naive or ``moment`` is before ``anchor``.
    """
    zone = _zone(anchor)
    instant = _utc(moment)
    if instant < _utc(anchor):
        raise ValueError(
            f"{moment.isoformat()} is before the anchor {anchor.isoformat()}."
        )
    local = instant.astimezone(zone).replace(tzinfo=None)
    start = anchor.replace(tzinfo=None)
    if cycle.interval in _DAYS_PER_UNIT:
        units = (local - start).days // _DAYS_PER_UNIT[cycle.interval]
    else:
        months = (local.year - start.year) * 12 + local.month - start.month
        units = months // _MONTHS_PER_UNIT[cycle.interval]
    n = max(units // cycle.count, 0)
    # Offsets and short months put the estimate at most a period or so off.
    while n > 0 and _utc(add_intervals(anchor, cycle, n)) > instant:
        n -= 1
    while _utc(add_intervals(anchor, cycle, n + 1)) <= instant:
        n += 1
    return n


def period_containing(
    anchor: datetime, cycle: BillingCycle, moment: datetime
) -> Period:
    """Return the period anchored at ``anchor`` that contains ``moment``.

    :raises ValueError: if a datetime is naive or ``moment`` is before ``anchor``.
    """
    n = period_number(anchor, cycle, moment)
    return Period(add_intervals(anchor, cycle, n), add_intervals(anchor, cycle, n + 1))


def iter_periods(anchor: datetime, cycle: BillingCycle) -> Iterator[Period]:
    """Yield the periods anchored at ``anchor``, from the first, without end.

    :raises ValueError: if ``anchor`` is naive, when the first period is requested.
    """
    starts_at = add_intervals(anchor, cycle, 0)
    for n in itertools.count(1):
        ends_at = add_intervals(anchor, cycle, n)
        yield Period(starts_at, ends_at)
        starts_at = ends_at


def _remaining_fraction(period: Period, from_moment: datetime) -> Fraction:
    """Return the exact share of ``period`` from ``from_moment`` (clamped) on."""
    starts_at, ends_at = _utc(period.starts_at), _utc(period.ends_at)
    clamped = min(max(_utc(from_moment), starts_at), ends_at)
    return Fraction(
        _microseconds(ends_at - clamped), _microseconds(ends_at - starts_at)
    )


def prorate(
    amount: Money,
    *,
    period: Period,
    from_moment: datetime,
    rounding: str = decimal.ROUND_HALF_EVEN,
) -> Money:
    """Return the share of ``amount`` for ``[from_moment, period.ends_at)``.

    The share is ``amount * remaining / length``, both durations elapsed time to the
    microsecond, rounded once to the minor unit. ``from_moment`` before the period
    gives the whole amount, and at or after its end gives zero.

    :raises ValueError: if ``from_moment`` is naive or ``rounding`` is unknown.
    """
    return amount.multiply(_remaining_fraction(period, from_moment), rounding=rounding)


def plan_change_amounts(
    old_price: Money, new_price: Money, *, period: Period, at: datetime
) -> PlanChangeProration:
    """Return the credit, charge and net amount of a plan change at ``at``.

    With ``remaining = period.ends_at - at`` (clamped into the period) and
    ``length = period.ends_at - period.starts_at``, both elapsed time::

        credit = round_half_even(old_price * remaining / length)
        charge = round_half_even(new_price * remaining / length)
        net    = charge - credit

    Credit and charge are each rounded once to the minor unit, so each is within
    half a minor unit of its exact value and the net within one. A negative net (a
    downgrade, or a cheaper plan) is a credit to carry to the next invoice.

    :raises CurrencyMismatch: if the prices are in different currencies.
    :raises ValueError: if ``at`` is naive.
    """
    if old_price.currency != new_price.currency:
        raise CurrencyMismatch(
            f"Cannot prorate a change from {old_price.currency}"
            f" to {new_price.currency}.",
            extra={"currencies": [old_price.currency, new_price.currency]},
        )
    credit = prorate(old_price, period=period, from_moment=at)
    charge = prorate(new_price, period=period, from_moment=at)
    return PlanChangeProration(credit=credit, charge=charge, net=charge - credit)
