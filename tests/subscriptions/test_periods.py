"""Tests for ``subscriptions.periods``: exact examples first, then properties."""

from __future__ import annotations

import calendar
import dataclasses
import decimal
import itertools
from datetime import UTC, datetime, timedelta, tzinfo
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from billing.money import CurrencyMismatch, Money
from subscriptions.periods import (
    BillingCycle,
    Interval,
    Period,
    PlanChangeProration,
    add_intervals,
    iter_periods,
    period_containing,
    period_number,
    plan_change_amounts,
    prorate,
)

MOSCOW = ZoneInfo("Europe/Moscow")
NEW_YORK = ZoneInfo("America/New_York")
MONTHLY = BillingCycle(Interval.MONTH)
YEARLY = BillingCycle(Interval.YEAR)
WEEKLY = BillingCycle(Interval.WEEK)
DAILY = BillingCycle(Interval.DAY)

ZONES: list[tzinfo] = [
    UTC,
    MOSCOW,
    NEW_YORK,
    ZoneInfo("Australia/Lord_Howe"),  # A half-hour DST shift.
    ZoneInfo("Asia/Kolkata"),
]
# Hypothesis takes naive bounds and attaches the zone itself.
anchors = st.datetimes(
    min_value=datetime(2000, 1, 1),  # noqa: DTZ001
    max_value=datetime(2100, 12, 31),  # noqa: DTZ001
    timezones=st.sampled_from(ZONES),
)
cycles = st.builds(
    BillingCycle,
    st.sampled_from(list(Interval)),
    st.integers(min_value=1, max_value=12),
)
prices = st.builds(
    Money, st.integers(min_value=0, max_value=10**12), st.sampled_from(["RUB", "JPY"])
)
PROPERTIES = settings(max_examples=200, deadline=None)


def utc(
    year: int,
    month: int,
    day: int,
    hour: int = 0,
    minute: int = 0,
    second: int = 0,
    microsecond: int = 0,
) -> datetime:
    return datetime(year, month, day, hour, minute, second, microsecond, tzinfo=UTC)


def boundaries(anchor: datetime, cycle: BillingCycle, *ns: int) -> list[datetime]:
    return [add_intervals(anchor, cycle, n) for n in ns]


def wall_time_exists(wall: datetime, zone: tzinfo | None) -> bool:
    """Return whether the naive ``wall`` is a real wall time in ``zone``."""
    aware = wall.replace(tzinfo=zone)
    return aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == wall


def periods_covering_years(anchor: datetime, cycle: BillingCycle, first: int) -> int:
    """Return a period number that reaches decades past ``anchor`` for any cycle."""
    units_per_year = {Interval.DAY: 366, Interval.WEEK: 53, Interval.MONTH: 12}
    return first * units_per_year.get(cycle.interval, 1) // cycle.count


class TestBillingCycle:
    def test_defaults_to_one_interval(self) -> None:
        """A cycle without a count is one interval long."""
        assert BillingCycle(Interval.MONTH).count == 1

    @pytest.mark.parametrize("count", [0, -1])
    def test_refuses_a_count_below_one(self, count: int) -> None:
        with pytest.raises(ValueError, match="at least 1"):
            BillingCycle(Interval.DAY, count)

    @pytest.mark.parametrize("count", [True, 1.0, "1"])
    def test_refuses_a_count_that_is_not_an_int(self, count: object) -> None:
        with pytest.raises(TypeError):
            BillingCycle(Interval.DAY, count)  # type: ignore[arg-type]

    def test_refuses_an_interval_that_is_not_an_interval(self) -> None:
        with pytest.raises(TypeError):
            BillingCycle("fortnight", 1)  # type: ignore[arg-type]

    def test_is_immutable(self) -> None:
        with pytest.raises(dataclasses.FrozenInstanceError):
            MONTHLY.count = 2  # type: ignore[misc]

    def test_interval_values_are_lowercase_names(self) -> None:
        assert [str(interval) for interval in Interval] == [
            "day",
            "week",
            "month",
            "year",
        ]


class TestAddIntervals:
    def test_keeps_the_anchor_day_after_a_short_month(self) -> None:
        """31 January → 28 February → 31 March, not 28 March."""
        anchor = utc(2025, 1, 31, 10)

        result = boundaries(anchor, MONTHLY, 0, 1, 2, 3)

        assert result == [
            utc(2025, 1, 31, 10),
            utc(2025, 2, 28, 10),
            utc(2025, 3, 31, 10),
            utc(2025, 4, 30, 10),
        ]

    def test_uses_29_february_in_a_leap_year(self) -> None:
        assert add_intervals(utc(2024, 1, 31), MONTHLY, 1) == utc(2024, 2, 29)

    def test_moves_29_february_to_28_february_until_the_next_leap_year(self) -> None:
        result = boundaries(utc(2024, 2, 29), YEARLY, 1, 2, 3, 4)

        assert result == [
            utc(2025, 2, 28),
            utc(2026, 2, 28),
            utc(2027, 2, 28),
            utc(2028, 2, 29),
        ]

    def test_skips_2100_as_a_leap_year(self) -> None:
        assert add_intervals(utc(2096, 2, 29), YEARLY, 4) == utc(2100, 2, 28)

    def test_counts_several_months_per_period(self) -> None:
        quarterly = BillingCycle(Interval.MONTH, 3)

        result = boundaries(utc(2024, 11, 30), quarterly, 1, 2, 3)

        assert result == [utc(2025, 2, 28), utc(2025, 5, 30), utc(2025, 8, 30)]

    def test_crosses_the_year_end_by_months(self) -> None:
        assert add_intervals(utc(2024, 12, 15), MONTHLY, 13) == utc(2026, 1, 15)

    def test_adds_weeks_and_days(self) -> None:
        anchor = utc(2024, 2, 26, 8, 15)

        assert add_intervals(anchor, WEEKLY, 1) == utc(2024, 3, 4, 8, 15)
        assert add_intervals(anchor, DAILY, 4) == utc(2024, 3, 1, 8, 15)
        assert add_intervals(anchor, BillingCycle(Interval.WEEK, 2), 3) == utc(
            2024, 4, 8, 8, 15
        )

    def test_returns_the_anchor_itself_as_boundary_zero(self) -> None:
        anchor = datetime(2025, 11, 2, 1, 30, fold=1, tzinfo=NEW_YORK)

        assert add_intervals(anchor, MONTHLY, 0) is anchor

    def test_keeps_local_time_in_moscow_across_the_2014_offset_change(self) -> None:
        """Moscow went from UTC+4 to UTC+3 on 26 October 2014; 00:30 stays 00:30."""
        anchor = datetime(2014, 9, 15, 0, 30, tzinfo=MOSCOW)

        renewal = add_intervals(anchor, MONTHLY, 2)

        assert renewal.replace(tzinfo=None) == datetime(2014, 11, 15, 0, 30)  # noqa: DTZ001
        assert anchor.utcoffset() == timedelta(hours=4)
        assert renewal.astimezone(UTC) == utc(2014, 11, 14, 21, 30)

    def test_keeps_local_time_in_new_york_across_daylight_saving(self) -> None:
        anchor = datetime(2025, 1, 10, 9, tzinfo=NEW_YORK)

        renewal = add_intervals(anchor, MONTHLY, 3)

        assert renewal.replace(tzinfo=None) == datetime(2025, 4, 10, 9)  # noqa: DTZ001
        assert renewal.astimezone(UTC) == utc(2025, 4, 10, 13)

    def test_moves_a_wall_time_in_a_gap_forward_by_the_gap(self) -> None:
        """02:30 does not exist on 9 March 2025 in New York: 03:30 EDT is used."""
        anchor = datetime(2025, 2, 9, 2, 30, tzinfo=NEW_YORK)

        renewal = add_intervals(anchor, MONTHLY, 1)

        assert renewal.astimezone(UTC) == utc(2025, 3, 9, 7, 30)
        assert renewal.replace(tzinfo=None) == datetime(2025, 3, 9, 3, 30)  # noqa: DTZ001
        assert add_intervals(anchor, MONTHLY, 2).astimezone(UTC) == utc(
            2025, 4, 9, 6, 30
        )

    def test_picks_the_earlier_instant_of_a_repeated_wall_time(self) -> None:
        """01:30 occurs twice on 2 November 2025 in New York: the EDT one is chosen."""
        anchor = datetime(2025, 10, 2, 1, 30, tzinfo=NEW_YORK)

        renewal = add_intervals(anchor, MONTHLY, 1)

        assert renewal.astimezone(UTC) == utc(2025, 11, 2, 5, 30)
        assert renewal.fold == 0

    def test_refuses_a_naive_anchor(self) -> None:
        with pytest.raises(ValueError, match="aware"):
            add_intervals(datetime(2025, 1, 1), MONTHLY, 1)  # noqa: DTZ001

    def test_refuses_a_negative_n(self) -> None:
        with pytest.raises(ValueError, match="negative"):
            add_intervals(utc(2025, 1, 1), MONTHLY, -1)

    def test_refuses_a_boundary_past_the_year_9999(self) -> None:
        with pytest.raises(ValueError, match="9999"):
            add_intervals(utc(2025, 1, 1), YEARLY, 8000)
        with pytest.raises(ValueError, match="9999"):
            add_intervals(utc(2025, 1, 1), DAILY, 8000 * 366)


class TestPeriod:
    def test_contains_its_start_but_not_its_end(self) -> None:
        period = Period(utc(2025, 1, 1), utc(2025, 2, 1))

        assert period.contains(utc(2025, 1, 1))
        assert period.contains(utc(2025, 1, 31, 23, 59, 59, 999999))
        assert not period.contains(utc(2025, 2, 1))
        assert not period.contains(utc(2024, 12, 31, 23, 59))

    def test_compares_instants_across_a_fold(self) -> None:
        """Both readings of 01:30 on 2 November 2025 share a tzinfo yet differ."""
        first = datetime(2025, 11, 2, 1, 30, fold=0, tzinfo=NEW_YORK)
        second = datetime(2025, 11, 2, 1, 30, fold=1, tzinfo=NEW_YORK)

        period = Period(first, second)

        assert period.duration == timedelta(hours=1)
        assert period.contains(first)
        assert not period.contains(second)

    def test_measures_elapsed_time_across_daylight_saving(self) -> None:
        period = Period(
            datetime(2025, 3, 1, tzinfo=NEW_YORK), datetime(2025, 4, 1, tzinfo=NEW_YORK)
        )

        assert period.duration == timedelta(days=31, hours=-1)

    @pytest.mark.parametrize("hours", [0, -1])
    def test_refuses_an_end_that_is_not_after_the_start(self, hours: int) -> None:
        with pytest.raises(ValueError, match="end after"):
            Period(utc(2025, 1, 1), utc(2025, 1, 1) + timedelta(hours=hours))

    def test_refuses_naive_datetimes(self) -> None:
        with pytest.raises(ValueError, match="aware"):
            Period(datetime(2025, 1, 1), utc(2025, 2, 1))  # noqa: DTZ001
        with pytest.raises(ValueError, match="aware"):
            Period(utc(2025, 1, 1), utc(2025, 2, 1)).contains(
                datetime(2025, 1, 5)  # noqa: DTZ001
            )


class TestPeriodNumber:
    def test_counts_the_periods_started_by_the_moment(self) -> None:
        anchor = utc(2025, 1, 31, 12)

        assert period_number(anchor, MONTHLY, anchor) == 0
        assert period_number(anchor, MONTHLY, utc(2025, 2, 28, 11, 59)) == 0
        assert period_number(anchor, MONTHLY, utc(2025, 2, 28, 12)) == 1
        assert period_number(anchor, MONTHLY, utc(2025, 3, 30, 12)) == 1
        assert period_number(anchor, MONTHLY, utc(2025, 3, 31, 12)) == 2

    def test_counts_a_century_of_days_without_walking_it(self) -> None:
        anchor = utc(2000, 1, 1)

        assert period_number(anchor, DAILY, utc(2099, 12, 31, 23)) == 36524

    def test_reads_a_moment_in_another_zone_by_its_instant(self) -> None:
        anchor = datetime(2025, 1, 15, 0, 30, tzinfo=MOSCOW)
        moment = datetime(2025, 2, 14, 16, 29, tzinfo=NEW_YORK)

        assert period_number(anchor, MONTHLY, moment) == 0
        assert period_number(anchor, MONTHLY, moment + timedelta(minutes=1)) == 1

    def test_refuses_a_moment_before_the_anchor(self) -> None:
        anchor = utc(2025, 1, 1)

        with pytest.raises(ValueError, match="before the anchor"):
            period_number(anchor, MONTHLY, anchor - timedelta(microseconds=1))

    def test_refuses_a_naive_moment(self) -> None:
        with pytest.raises(ValueError, match="aware"):
            period_number(utc(2025, 1, 1), MONTHLY, datetime(2025, 2, 1))  # noqa: DTZ001


class TestPeriodContaining:
    def test_returns_the_half_open_period_around_the_moment(self) -> None:
        anchor = utc(2024, 1, 31)

        period = period_containing(anchor, MONTHLY, utc(2024, 3, 15))

        assert period == Period(utc(2024, 2, 29), utc(2024, 3, 31))

    def test_starts_the_next_period_on_a_boundary(self) -> None:
        anchor = utc(2024, 1, 31)

        period = period_containing(anchor, MONTHLY, utc(2024, 3, 31))

        assert period.starts_at == utc(2024, 3, 31)


class TestIterPeriods:
    def test_yields_touching_periods_from_the_anchor(self) -> None:
        periods = list(itertools.islice(iter_periods(utc(2025, 1, 31), MONTHLY), 3))

        assert periods == [
            Period(utc(2025, 1, 31), utc(2025, 2, 28)),
            Period(utc(2025, 2, 28), utc(2025, 3, 31)),
            Period(utc(2025, 3, 31), utc(2025, 4, 30)),
        ]

    def test_refuses_a_naive_anchor(self) -> None:
        periods = iter_periods(datetime(2025, 1, 1), DAILY)  # noqa: DTZ001

        with pytest.raises(ValueError, match="aware"):
            next(periods)


class TestProrate:
    period = Period(utc(2025, 4, 1), utc(2025, 5, 1))  # 30 days

    def test_charges_the_remaining_share(self) -> None:
        result = prorate(
            Money(30_000, "RUB"), period=self.period, from_moment=utc(2025, 4, 21)
        )

        assert result == Money(10_000, "RUB")

    def test_rounds_half_to_even_once(self) -> None:
        """3 kopecks * 1/2 is 1.5 → 2; 1 kopeck * 1/2 is 0.5 → 0."""
        middle = utc(2025, 4, 16)

        assert prorate(Money(3, "RUB"), period=self.period, from_moment=middle) == (
            Money(2, "RUB")
        )
        assert prorate(Money(1, "RUB"), period=self.period, from_moment=middle) == (
            Money(0, "RUB")
        )

    def test_accepts_another_rounding(self) -> None:
        result = prorate(
            Money(1, "RUB"),
            period=self.period,
            from_moment=utc(2025, 4, 16),
            rounding=decimal.ROUND_HALF_UP,
        )

        assert result == Money(1, "RUB")

    def test_clamps_a_moment_outside_the_period(self) -> None:
        amount = Money(999, "USD")

        before = prorate(amount, period=self.period, from_moment=utc(2025, 3, 1))
        after = prorate(amount, period=self.period, from_moment=utc(2025, 6, 1))

        assert (before, after) == (amount, Money(0, "USD"))

    def test_measures_elapsed_time_across_daylight_saving(self) -> None:
        """The March period in New York lasts 743 hours, not 744."""
        period = Period(
            datetime(2025, 3, 1, tzinfo=NEW_YORK), datetime(2025, 4, 1, tzinfo=NEW_YORK)
        )

        result = prorate(
            Money(743, "USD"),
            period=period,
            from_moment=datetime(2025, 3, 31, 23, tzinfo=NEW_YORK),
        )

        assert result == Money(1, "USD")

    def test_refuses_a_naive_moment(self) -> None:
        with pytest.raises(ValueError, match="aware"):
            prorate(
                Money(1, "USD"),
                period=self.period,
                from_moment=datetime(2025, 4, 2),  # noqa: DTZ001
            )


class TestPlanChangeAmounts:
    period = Period(utc(2025, 4, 1), utc(2025, 5, 1))  # 30 days

    def test_credits_the_old_plan_and_charges_the_new_for_the_rest(self) -> None:
        """An upgrade from 300.00 to 900.00 with 10 of 30 days left."""
        result = plan_change_amounts(
            Money(30_000, "RUB"),
            Money(90_000, "RUB"),
            period=self.period,
            at=utc(2025, 4, 21),
        )

        assert result == PlanChangeProration(
            credit=Money(10_000, "RUB"),
            charge=Money(30_000, "RUB"),
            net=Money(20_000, "RUB"),
        )

    def test_rounds_credit_and_charge_separately_to_the_minor_unit(self) -> None:
        """7 of 30 days: 9.99 → 2.331 → 2.33; 19.99 → 4.6643… → 4.66."""
        credit, charge, net = plan_change_amounts(
            Money(999, "USD"),
            Money(1999, "USD"),
            period=self.period,
            at=utc(2025, 4, 24),
        )

        assert (credit, charge, net) == (
            Money(233, "USD"),
            Money(466, "USD"),
            Money(233, "USD"),
        )

    def test_gives_a_negative_net_for_a_cheaper_plan(self) -> None:
        result = plan_change_amounts(
            Money(90_000, "RUB"),
            Money(30_000, "RUB"),
            period=self.period,
            at=utc(2025, 4, 16),
        )

        assert result.net == Money(-30_000, "RUB")

    def test_refuses_prices_in_different_currencies(self) -> None:
        with pytest.raises(CurrencyMismatch):
            plan_change_amounts(
                Money(100, "RUB"),
                Money(100, "USD"),
                period=self.period,
                at=utc(2025, 4, 16),
            )


class TestPeriodProperties:
    """Properties over decades of periods, in several zones, for every cycle."""

    @PROPERTIES
    @given(anchors, cycles, st.integers(min_value=0, max_value=80))
    def test_consecutive_periods_touch_without_gap_or_overlap(
        self, anchor: datetime, cycle: BillingCycle, years: int
    ) -> None:
        first = periods_covering_years(anchor, cycle, years)
        window = [
            Period(add_intervals(anchor, cycle, n), add_intervals(anchor, cycle, n + 1))
            for n in range(first, first + 24)
        ]

        for earlier, later in itertools.pairwise(window):
            assert earlier.ends_at.astimezone(UTC) == later.starts_at.astimezone(UTC)

    @PROPERTIES
    @given(anchors, cycles, st.integers(min_value=0, max_value=80))
    def test_boundaries_keep_the_anchor_day_and_time(
        self, anchor: datetime, cycle: BillingCycle, years: int
    ) -> None:
        """The local day is the anchor's (or the month's last), and the local time is
        the anchor's unless that wall time does not exist on the day."""
        zone = anchor.tzinfo
        first = max(periods_covering_years(anchor, cycle, years), 1)

        for n in range(first, first + 12):
            local = add_intervals(anchor, cycle, n).astimezone(zone)

            if cycle.interval in (Interval.MONTH, Interval.YEAR):
                month_length = calendar.monthrange(local.year, local.month)[1]
                assert local.day == min(anchor.day, month_length)
            else:
                days = n * cycle.count * (7 if cycle.interval == Interval.WEEK else 1)
                assert local.date() == anchor.date() + timedelta(days=days)
            if wall_time_exists(datetime.combine(local.date(), anchor.time()), zone):
                assert local.time() == anchor.time()

    @PROPERTIES
    @given(anchors, cycles, st.integers(min_value=0, max_value=60 * 366 * 86_400))
    def test_period_containing_contains_the_moment(
        self, anchor: datetime, cycle: BillingCycle, seconds: int
    ) -> None:
        moment = anchor.astimezone(UTC) + timedelta(seconds=seconds)

        period = period_containing(anchor, cycle, moment)
        n = period_number(anchor, cycle, moment)

        assert period.contains(moment)
        assert period == Period(
            add_intervals(anchor, cycle, n), add_intervals(anchor, cycle, n + 1)
        )

    @PROPERTIES
    @given(anchors, cycles, st.integers(min_value=0, max_value=80), prices)
    def test_prorate_gives_everything_at_the_start_and_nothing_at_the_end(
        self, anchor: datetime, cycle: BillingCycle, years: int, price: Money
    ) -> None:
        n = periods_covering_years(anchor, cycle, years)
        period = Period(
            add_intervals(anchor, cycle, n), add_intervals(anchor, cycle, n + 1)
        )

        assert prorate(price, period=period, from_moment=period.starts_at) == price
        assert prorate(price, period=period, from_moment=period.ends_at).is_zero

    @PROPERTIES
    @given(anchors, cycles, prices, prices, st.fractions(min_value=0, max_value=1))
    def test_plan_change_amounts_are_within_half_a_minor_unit_of_exact(
        self,
        anchor: datetime,
        cycle: BillingCycle,
        old: Money,
        new: Money,
        elapsed: Fraction,
    ) -> None:
        new = Money(new.amount_minor, old.currency)
        period = Period(anchor, add_intervals(anchor, cycle, 1))
        length = period.duration // timedelta(microseconds=1)
        elapsed_us = int(elapsed * length)
        at = period.starts_at.astimezone(UTC) + timedelta(microseconds=elapsed_us)
        remaining = Fraction(length - elapsed_us, length)

        credit, charge, net = plan_change_amounts(old, new, period=period, at=at)

        assert abs(credit.amount_minor - old.amount_minor * remaining) <= Fraction(1, 2)
        assert abs(charge.amount_minor - new.amount_minor * remaining) <= Fraction(1, 2)
        assert net == charge - credit

    @PROPERTIES
    @given(
        anchors,
        cycles,
        prices,
        st.lists(st.fractions(min_value=0, max_value=1), min_size=1, max_size=8),
    )
    def test_prorated_parts_of_a_split_period_add_up(
        self, anchor: datetime, cycle: BillingCycle, price: Money, cuts: list[Fraction]
    ) -> None:
        """Splitting a period at any moments, each part is within a minor unit of its
        exact share, and the parts (differences of ``prorate``) sum to the price."""
        period = Period(anchor, add_intervals(anchor, cycle, 1))
        length = period.duration // timedelta(microseconds=1)
        offsets = sorted({0, length, *(int(cut * length) for cut in cuts)})
        starts_at = period.starts_at.astimezone(UTC)
        moments = [starts_at + timedelta(microseconds=o) for o in offsets]
        remaining = [prorate(price, period=period, from_moment=m) for m in moments]

        parts = [a - b for a, b in itertools.pairwise(remaining)]

        assert Money.total(parts, price.currency) == price
        for part, (start, end) in zip(parts, itertools.pairwise(offsets), strict=True):
            exact = price.amount_minor * Fraction(end - start, length)
            assert abs(part.amount_minor - exact) <= 1
