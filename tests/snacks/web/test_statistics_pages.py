"""The statistics page (admins): its numbers, in tables and in the charts' data,
are those of orders placed and moved through the shop's services."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from accounts.models import User
from snacks.models import Order, OrderStatus, Snack
from tests.accounts.factories import UserFactory
from tests.snacks.factories import SnackFactory
from tests.snacks.order_scenarios import PATHS, authorize_hold, move_as, placed
from tests.snacks.web.pages import field_errors, page_text, signed_in
from tests.snacks.web.tables import json_data, table_rows

pytestmark = pytest.mark.django_db

STATISTICS = "/shop/statistics/"
ORDERS_HEAD = [
    "Day",
    "Created",
    "Approved",
    "Ordered",
    "Shipping",
    "Completed",
    "Canceled",
    "Total",
]


def _at(month: int, day: int, hour: int = 12) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, tzinfo=dt.UTC)


def _order(snack: Snack, quantity: int, at: dt.datetime, status: str) -> Order:
    """An order placed at `at` and moved to `status` through the services."""
    order = placed(snacks=[snack], quantity=quantity, now=at)
    if OrderStatus.ORDERED in PATHS[status]:
        order = authorize_hold(order, now=at)
    admin = UserFactory.create(shop_admin=True)
    for step in PATHS[status]:
        arrival = at.date() + dt.timedelta(days=7)
        ordered = step == OrderStatus.ORDERED
        order = move_as(
            order, step, admin, now=at, arrival=arrival if ordered else None
        )
    return order


def _shown(admin: User, grain: str, starts: str, ends: str) -> bytes:
    query = {"grain": grain, "from": starts, "to": ends}
    return signed_in(admin).get(STATISTICS, query).content


@pytest.fixture
def shop() -> dict[str, Snack]:
    """Four orders: on 10 January one created (2 Twix, RUB) and one canceled
    (3 KitKat, EUR); on 12 January one ordered (1 Twix); on 3 February one
    created (1 KitKat)."""
    twix = SnackFactory.create(name="Twix", amount_minor=100, currency="RUB")
    kitkat = SnackFactory.create(name="KitKat", amount_minor=200, currency="EUR")
    _order(twix, 2, _at(1, 10, 10), OrderStatus.CREATED)
    _order(kitkat, 3, _at(1, 10, 12), OrderStatus.CANCELED)
    _order(twix, 1, _at(1, 12), OrderStatus.ORDERED)
    _order(kitkat, 1, _at(2, 3), OrderStatus.CREATED)
    return {"twix": twix, "kitkat": kitkat}


@pytest.mark.usefixtures("shop")
class TestNumbers:
    def test_orders_by_day_and_status_charting_the_empty_days(
        self, admin: User
    ) -> None:
        content = _shown(admin, "day", "2026-01-10", "2026-01-12")

        assert table_rows(content, "orders-table") == [
            ORDERS_HEAD,
            ["10 Jan 2026", "1", "0", "0", "0", "0", "1", "2"],
            ["12 Jan 2026", "0", "0", "1", "0", "0", "0", "1"],
        ]
        charted = json_data(content, "statistics-data")
        assert charted["labels"] == ["10 Jan 2026", "11 Jan 2026", "12 Jan 2026"]
        assert table_rows(content, "amounts-table") == [
            ["Day", "Currency", "Amount", "Of which ordered"],
            ["10 Jan 2026", "RUB", "RUB 2.00", "RUB 0.00"],
            ["12 Jan 2026", "RUB", "RUB 1.00", "RUB 1.00"],
        ]

    def test_amounts_and_top_snacks_by_month_leave_canceled_orders_out(
        self, admin: User
    ) -> None:
        content = _shown(admin, "month", "2026-01-01", "2026-02-28")

        assert table_rows(content, "orders-table")[1:] == [
            ["January 2026", "1", "0", "1", "0", "0", "1", "3"],
            ["February 2026", "1", "0", "0", "0", "0", "0", "1"],
        ]
        assert table_rows(content, "amounts-table")[1:] == [
            ["January 2026", "RUB", "RUB 3.00", "RUB 1.00"],
            ["February 2026", "EUR", "€2.00", "€0.00"],
        ]
        assert table_rows(content, "top-snacks-table") == [
            ["Rank", "Snack", "Quantity"],
            ["1", "Twix", "3"],
            ["2", "KitKat", "1"],
        ]

    def test_the_charts_data_holds_the_same_numbers(self, admin: User) -> None:
        content = _shown(admin, "month", "2026-01-01", "2026-02-28")

        data = json_data(content, "statistics-data")

        assert data["grain"] == "month"
        assert data["labels"] == ["January 2026", "February 2026"]
        assert {row["status"]: row["counts"] for row in data["orders"]} == {
            "CREATED": [1, 1],
            "APPROVED": [0, 0],
            "ORDERED": [1, 0],
            "SHIPPING": [0, 0],
            "COMPLETED": [0, 0],
            "CANCELED": [1, 0],
        }
        assert data["amounts"] == [
            {
                "currency": "EUR",
                "exponent": 2,
                "minor": [0, 200],
                "major": ["0.00", "2.00"],
            },
            {
                "currency": "RUB",
                "exponent": 2,
                "minor": [300, 0],
                "major": ["3.00", "0.00"],
            },
        ]

    def test_by_year(self, admin: User) -> None:
        content = _shown(admin, "year", "2025-06-01", "2026-12-31")

        assert table_rows(content, "orders-table")[1:] == [
            ["2026", "2", "0", "1", "0", "0", "1", "4"],
        ]
        assert json_data(content, "statistics-data")["labels"] == ["2025", "2026"]


class TestThePage:
    def test_shows_the_last_30_days_by_day_by_default(self, admin: User) -> None:
        today = timezone.localdate()
        placed(now=timezone.now())

        content = signed_in(admin).get(STATISTICS).content

        start = today - dt.timedelta(days=29)
        assert f'value="{start.isoformat()}"'.encode() in content
        assert f'value="{today.isoformat()}"'.encode() in content
        assert b'<option value="day" selected>' in content
        assert table_rows(content, "orders-table")[1:] == [
            [today.strftime("%-d %b %Y"), "1", "0", "0", "0", "0", "0", "1"]
        ]
        assert len(json_data(content, "statistics-data")["labels"]) == 30

    def test_loads_the_charts_from_local_files_without_inline_scripts(
        self, admin: User
    ) -> None:
        placed(now=timezone.now())

        content = signed_in(admin).get(STATISTICS).content.decode()

        assert '<canvas id="orders-chart" role="img" aria-label="' in content
        assert '<canvas id="amounts-chart" role="img" aria-label="' in content
        assert (
            '<script src="/static/shop/vendor/chart.umd.min.js" defer></script>'
            in content
        )
        assert '<script src="/static/shop/statistics.js" defer></script>' in content
        assert content.index("chart.umd.min.js") < content.index("statistics.js")
        scripts = content.split("<script")[1:]
        assert all(
            script.lstrip().startswith(("src=", 'id="statistics-data"'))
            for script in scripts
        )
        assert "data-statistics" in content

    def test_every_input_has_a_label(self, admin: User) -> None:
        content = signed_in(admin).get(STATISTICS).content

        for name in ("grain", "from", "to"):
            assert f'<label for="id_{name}">'.encode() in content
        assert content.count(b'type="date"') == 2


class TestBadRanges:
    @pytest.mark.parametrize(
        ("query", "errors"),
        [
            (
                {"from": "2026-13-45"},
                {"from": ["Enter a date such as 2026-01-31."]},
            ),
            (
                {"from": "yesterday", "to": "soon"},
                {
                    "from": ["Enter a date such as 2026-01-31."],
                    "to": ["Enter a date such as 2026-01-31."],
                },
            ),
            (
                {"from": "2026-02-01", "to": "2026-01-31"},
                {"to": ["The range ends before it starts."]},
            ),
            (
                {"grain": "day", "from": "2025-01-01", "to": "2026-01-31"},
                {
                    "to": [
                        "At most 366 periods by day: choose a shorter range or a "
                        "coarser grain."
                    ]
                },
            ),
            (
                {"from": "1899-12-31", "to": "1900-01-02"},
                {"from": ["A date from 1900-01-01 to 9998-12-31."]},
            ),
            (
                {"grain": "week"},
                {
                    "grain": [
                        "Select a valid choice. week is not one of the available "
                        "choices."
                    ]
                },
            ),
            ({"from": ""}, {"from": ["This field is required."]}),
        ],
    )
    def test_are_refused_next_to_their_field_without_charts(
        self, admin: User, query: dict[str, str], errors: dict[str, list[str]]
    ) -> None:
        response = signed_in(admin).get(STATISTICS, query)

        assert response.status_code == 200
        assert field_errors(response.content) == errors
        assert b"statistics-data" not in response.content
        assert b"chart.umd.min.js" not in response.content

    def test_the_form_keeps_what_was_typed(self, admin: User) -> None:
        response = signed_in(admin).get(
            STATISTICS, {"grain": "month", "from": "2026-02-01", "to": "2026-01-31"}
        )

        assert b'value="2026-02-01"' in response.content
        assert b'value="2026-01-31"' in response.content
        assert b'<option value="month" selected>' in response.content
        assert "Statistics" in page_text(response.content)
