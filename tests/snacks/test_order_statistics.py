"""The shop's statistics by year, month and day, on a small known set of orders."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from django.conf import LazySettings
from pytest_django import DjangoAssertNumQueries
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from snacks.errors import InvalidStatisticsQuery
from snacks.models import Order, OrderStatus, Snack
from snacks.selectors import (
    MAX_PERIODS,
    Grain,
    OrderStatistics,
    PeriodStatistics,
    order_statistics,
)
from snacks.services import move_order, place_order, recount_order_statistics
from tests.accounts.factories import UserFactory
from tests.snacks.factories import SnackFactory
from tests.snacks.order_scenarios import authorize_hold, placed

pytestmark = pytest.mark.django_db

STATISTICS = "/api/v1/shop/statistics/"


def _at(year: int, month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=dt.UTC)


def _moved(order: Order, *steps: str) -> Order:
    admin = UserFactory.create(shop_admin=True)
    now = order.created_at
    if OrderStatus.ORDERED in steps:
        authorize_hold(order, now=now)
    for step in steps:
        arrival = now.date() if step == OrderStatus.ORDERED else None
        order = move_order(
            order_id=order.id,
            to_status=step,
            actor=admin,
            now=now,
            expected_arrival=arrival,
        )
    return order


@pytest.fixture
def shop() -> dict[str, Snack]:
    """Five orders over two years: see each test for what counts where."""
    twix = SnackFactory.create(name="Twix", amount_minor=100)
    mars = SnackFactory.create(name="Mars", amount_minor=50)
    kitkat = SnackFactory.create(name="KitKat", amount_minor=200, currency="EUR")
    place_order(
        member=UserFactory.create(),
        purchases=[(twix.id, 2), (mars.id, 1)],
        now=_at(2026, 1, 10, 10),
    )
    _moved(
        placed(snacks=[twix], now=_at(2026, 1, 20, 12)),
        OrderStatus.APPROVED,
        OrderStatus.ORDERED,
    )
    _moved(
        placed(snacks=[kitkat], quantity=3, now=_at(2026, 2, 3, 8)),
        OrderStatus.CANCELED,
    )
    placed(snacks=[mars], quantity=4, now=_at(2026, 2, 28, 23, 30))
    _moved(
        placed(snacks=[kitkat], now=_at(2027, 3, 1, 9)),
        OrderStatus.APPROVED,
        OrderStatus.ORDERED,
        OrderStatus.SHIPPING,
        OrderStatus.COMPLETED,
    )
    return {"twix": twix, "mars": mars, "kitkat": kitkat}


def _counts(period: PeriodStatistics) -> dict[str, int]:
    return {status: n for status, n in period.orders.items() if n}


def _snacks(period: PeriodStatistics) -> list[tuple[str, int]]:
    return [(snack.name, snack.quantity) for snack in period.snacks]


def _amounts(period: PeriodStatistics) -> list[tuple[str, int, int]]:
    return [
        (amount.currency, amount.amount_minor, amount.ordered_amount_minor)
        for amount in period.amounts
    ]


def _statistics(grain: Grain, starts: str, ends: str) -> OrderStatistics:
    return order_statistics(
        grain=grain,
        starts=dt.date.fromisoformat(starts),
        ends=dt.date.fromisoformat(ends),
    )


@pytest.mark.usefixtures("shop")
class TestByMonth:
    def test_has_every_month_of_the_range_empty_ones_too(self) -> None:
        statistics = _statistics(Grain.MONTH, "2026-01-01", "2026-12-31")

        assert [p.period.month for p in statistics.periods] == list(range(1, 13))
        assert [p.orders_total for p in statistics.periods] == [2, 2] + [0] * 10

    def test_counts_orders_snacks_and_amounts_per_month(self) -> None:
        january, february = _statistics(Grain.MONTH, "2026-01-01", "2026-02-28").periods

        assert _counts(january) == {"CREATED": 1, "ORDERED": 1}
        assert _snacks(january) == [("Twix", 3), ("Mars", 1)]
        assert _amounts(january) == [("RUB", 350, 100)]
        assert _counts(february) == {"CREATED": 1, "CANCELED": 1}
        # The canceled KitKats count as an order, not as snacks or money.
        assert _snacks(february) == [("Mars", 4)]
        assert _amounts(february) == [("RUB", 200, 0)]

    def test_clips_the_first_and_last_period_to_the_range(self) -> None:
        periods = _statistics(Grain.MONTH, "2026-01-15", "2026-02-10").periods

        assert [(p.period, p.starts, p.ends) for p in periods] == [
            (dt.date(2026, 1, 1), dt.date(2026, 1, 15), dt.date(2026, 1, 31)),
            (dt.date(2026, 2, 1), dt.date(2026, 2, 1), dt.date(2026, 2, 10)),
        ]
        assert [p.orders_total for p in periods] == [1, 1]


@pytest.mark.usefixtures("shop")
class TestByYear:
    def test_counts_per_year(self) -> None:
        this_year, next_year = _statistics(
            Grain.YEAR, "2026-01-01", "2027-12-31"
        ).periods

        assert (this_year.period, next_year.period) == (
            dt.date(2026, 1, 1),
            dt.date(2027, 1, 1),
        )
        assert _counts(this_year) == {"CREATED": 2, "ORDERED": 1, "CANCELED": 1}
        assert _snacks(this_year) == [("Mars", 5), ("Twix", 3)]
        assert _amounts(this_year) == [("RUB", 550, 100)]
        assert _counts(next_year) == {"COMPLETED": 1}
        assert _amounts(next_year) == [("EUR", 200, 200)]
        assert _snacks(next_year) == [("KitKat", 1)]


@pytest.mark.usefixtures("shop")
class TestByDay:
    def test_counts_per_day(self) -> None:
        periods = _statistics(Grain.DAY, "2026-02-27", "2026-03-01").periods

        assert [(p.period.day, p.orders_total) for p in periods] == [
            (27, 0),
            (28, 1),
            (1, 0),
        ]

    def test_counts_days_in_the_shops_time_zone_once_recounted(
        self, settings: LazySettings
    ) -> None:
        """23:30 UTC on 28 February is 02:30 on 1 March in Moscow."""
        settings.TIME_ZONE = "Europe/Moscow"
        recount_order_statistics()

        statistics = _statistics(Grain.DAY, "2026-02-28", "2026-03-01")

        assert [p.orders_total for p in statistics.periods] == [0, 1]
        assert statistics.time_zone == "Europe/Moscow"

    def test_counts_an_order_in_the_day_of_the_zone_it_was_placed_in(
        self, settings: LazySettings
    ) -> None:
        settings.TIME_ZONE = "Europe/Moscow"
        placed(snacks=[SnackFactory.create()], now=_at(2026, 5, 31, 22, 15))

        statistics = _statistics(Grain.DAY, "2026-05-31", "2026-06-01")

        assert [p.orders_total for p in statistics.periods] == [0, 1]


def _snack_totals(grain: Grain, starts: str, ends: str) -> Counter[str]:
    """Each snack's quantity over all the periods."""
    totals: Counter[str] = Counter()
    for period in _statistics(grain, starts, ends).periods:
        totals.update({snack.name: snack.quantity for snack in period.snacks})
    return totals


class TestWholeAndCutMonths:
    """By month and year, whole months come from the monthly sales and the days of
    cut months from the daily ones: either way a snack counts as its days do."""

    @pytest.mark.parametrize(
        ("grain", "starts", "ends"),
        [
            (Grain.MONTH, "2026-01-15", "2026-02-28"),
            (Grain.MONTH, "2026-01-01", "2026-02-27"),
            (Grain.YEAR, "2026-01-11", "2026-12-31"),
            (Grain.YEAR, "2026-01-01", "2026-12-31"),
            (Grain.MONTH, "2026-01-05", "2026-01-25"),
        ],
    )
    def test_snacks_count_as_their_days(
        self, shop: dict[str, Snack], grain: Grain, starts: str, ends: str
    ) -> None:
        by_day = _snack_totals(Grain.DAY, starts, ends)

        assert _snack_totals(grain, starts, ends) == by_day
        assert by_day


class TestTheWork:
    def test_is_three_queries_whatever_the_orders(
        self, shop: dict[str, Snack], django_assert_num_queries: DjangoAssertNumQueries
    ) -> None:
        with django_assert_num_queries(3):
            _statistics(Grain.DAY, "2026-01-01", "2026-12-31")

    def test_an_empty_shop_has_empty_periods(self) -> None:
        (period,) = _statistics(Grain.YEAR, "2026-01-01", "2026-12-31").periods

        assert (period.orders_total, period.snacks, period.amounts) == (0, [], [])


class TestTheRange:
    @pytest.mark.parametrize(
        ("grain", "starts", "ends"),
        [
            (Grain.DAY, "2026-01-01", "2026-12-31"),
            (Grain.DAY, "2024-01-01", "2024-12-31"),
            (Grain.MONTH, "2026-01-01", "2035-12-31"),
            (Grain.YEAR, "1900-01-01", "1999-12-31"),
            (Grain.DAY, "9998-12-31", "9998-12-31"),
        ],
    )
    def test_takes_up_to_the_limit(self, grain: Grain, starts: str, ends: str) -> None:
        periods = _statistics(grain, starts, ends).periods

        assert len(periods) <= MAX_PERIODS[grain]

    @pytest.mark.parametrize(
        ("grain", "starts", "ends", "field"),
        [
            (Grain.DAY, "2026-01-02", "2026-01-01", "to"),
            (Grain.DAY, "2026-01-01", "2027-01-02", "to"),
            (Grain.MONTH, "2026-01-01", "2036-01-01", "to"),
            (Grain.YEAR, "1900-01-01", "2000-01-01", "to"),
            (Grain.YEAR, "1899-12-31", "1900-01-01", "from"),
            (Grain.DAY, "9998-12-31", "9999-01-01", "to"),
        ],
    )
    def test_refuses_beyond_it(
        self, grain: Grain, starts: str, ends: str, field: str
    ) -> None:
        with pytest.raises(InvalidStatisticsQuery) as error:
            _statistics(grain, starts, ends)

        fields = error.value.extra["fields"]
        assert isinstance(fields, dict)
        assert list(fields) == [field]


def _admin_client() -> APIClient:
    client = APIClient()
    admin = UserFactory.create(shop_admin=True)
    client.credentials(
        HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(admin).access_token}"
    )
    return client


class TestStatisticsApi:
    @pytest.mark.usefixtures("shop")
    def test_answers_admins_by_period(self) -> None:
        query = {"grain": "month", "from": "2026-01-01", "to": "2026-02-28"}

        body = _admin_client().get(STATISTICS, query).json()

        assert (body["grain"], body["from"], body["to"], body["time_zone"]) == (
            "month",
            "2026-01-01",
            "2026-02-28",
            "UTC",
        )
        january = body["periods"][0]
        assert (january["period"], january["from"], january["to"]) == (
            "2026-01-01",
            "2026-01-01",
            "2026-01-31",
        )
        assert january["orders"] == {
            "CREATED": 1,
            "APPROVED": 0,
            "ORDERED": 1,
            "SHIPPING": 0,
            "COMPLETED": 0,
            "CANCELED": 0,
            "total": 2,
        }
        assert [row["name"] for row in january["snacks"]] == ["Twix", "Mars"]
        assert january["amounts"] == [
            {"currency": "RUB", "amount_minor": 350, "ordered_amount_minor": 100}
        ]

    def test_refuses_members(self) -> None:
        member = UserFactory.create()
        client = APIClient()
        client.credentials(
            HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(member).access_token}"
        )

        response = client.get(
            STATISTICS, {"grain": "year", "from": "2026-01-01", "to": "2026-12-31"}
        )

        assert response.status_code == 403

    @pytest.mark.parametrize(
        "query",
        [
            {},
            {"grain": "week", "from": "2026-01-01", "to": "2026-01-31"},
            {"grain": "day", "from": "2026-01-01"},
            {"grain": "day", "from": "2026-02-30", "to": "2026-03-01"},
            {"grain": "day", "from": "2026-03-01", "to": "2026-02-01"},
            {"grain": "day", "from": "2020-01-01", "to": "2026-01-01"},
            {"grain": "year", "from": "0001-01-01", "to": "9999-12-31"},
        ],
    )
    def test_refuses_a_bad_query(self, query: dict[str, str]) -> None:
        response = _admin_client().get(STATISTICS, query)

        assert response.status_code == 400
        assert response.json()["code"] == "validation_error"
