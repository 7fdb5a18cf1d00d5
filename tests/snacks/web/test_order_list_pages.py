"""The orders of a month: a member's own, an admin's everyone's."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from accounts.models import User
from snacks.models import OrderStatus
from tests.accounts.factories import UserFactory
from tests.snacks.factories import SnackFactory
from tests.snacks.order_scenarios import move_as, placed
from tests.snacks.web.pages import field_errors, page_text, signed_in

pytestmark = pytest.mark.django_db

ORDERS = "/shop/orders/"
IN_MARCH = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)
IN_APRIL = dt.datetime(2026, 4, 1, 0, 0, tzinfo=dt.UTC)


class TestOrderList:
    def test_a_member_sees_their_own_orders_of_this_month(self, member: User) -> None:
        mars = SnackFactory.create(name="Mars", amount_minor=250, currency="EUR")
        mine = placed(member, snacks=[mars], quantity=2, now=timezone.now())
        placed(member, now=IN_MARCH)
        theirs = placed(UserFactory.create(), now=timezone.now())

        response = signed_in(member).get(ORDERS)

        content = response.content.decode()
        assert f'href="/shop/orders/{mine.id}/"' in content
        assert f'href="/shop/orders/{theirs.id}/"' not in content
        assert content.count('data-label="Order"') == 1
        assert f'name="month" value="{timezone.localdate():%Y-%m}"' in content
        text = page_text(response.content)
        assert "Mars \u00d7 2 €5.00 created not paid" in text
        assert timezone.localdate().strftime("%B %Y") in text
        assert "Member" not in text

    def test_the_table_reads_on_a_phone(self, member: User) -> None:
        placed(member, now=timezone.now())

        content = signed_in(member).get(ORDERS).content.decode()

        assert '<table class="stack orders">' in content
        assert '<th scope="col">Placed</th>' in content
        for label in ("Placed", "Snacks", "Amount", "Status", "Payment", "Order"):
            assert f'data-label="{label}"' in content

    def test_an_admin_sees_every_members_orders_with_the_member(
        self, admin: User
    ) -> None:
        nina = UserFactory.create(name="Nina")
        omar = UserFactory.create(name="Omar")
        placed(nina, now=IN_MARCH)
        placed(omar, now=IN_MARCH)

        response = signed_in(admin).get(f"{ORDERS}?month=2026-03")

        text = page_text(response.content)
        assert "Member" in text
        assert "Nina" in text
        assert "Omar" in text

    def test_a_month_and_status_are_kept_in_the_links_to_the_next_months(
        self, member: User, admin: User
    ) -> None:
        kept = placed(member, now=IN_MARCH)
        canceled = move_as(placed(member, now=IN_MARCH), OrderStatus.CANCELED, admin)
        placed(member, now=IN_APRIL)

        response = signed_in(member).get(f"{ORDERS}?month=2026-03&status=CANCELED")

        content = response.content.decode()
        assert f"/shop/orders/{canceled.id}/" in content
        assert f"/shop/orders/{kept.id}/" not in content
        assert 'href="?month=2026-02&amp;status=CANCELED"' in content
        assert 'href="?month=2026-04&amp;status=CANCELED"' in content
        assert "March 2026" in page_text(response.content)

    def test_an_order_counts_in_the_month_it_was_placed(self, member: User) -> None:
        april = placed(member, now=IN_APRIL)

        march = signed_in(member).get(f"{ORDERS}?month=2026-03")

        assert f"/shop/orders/{april.id}/" not in march.content.decode()
        assert "No orders placed in March 2026." in page_text(march.content)

    @pytest.mark.parametrize(
        ("month", "words"),
        [
            ("2026-13", "A month is written YYYY-MM, e.g. 2026-03."),
            ("March", "A month is written YYYY-MM, e.g. 2026-03."),
            ("0001-01", "Choose a month from 1900-01 to 9998-12."),
            ("9999-12", "Choose a month from 1900-01 to 9998-12."),
        ],
    )
    def test_a_bad_month_is_said_next_to_its_field(
        self, member: User, month: str, words: str
    ) -> None:
        response = signed_in(member).get(ORDERS, {"month": month})

        assert response.status_code == 200
        assert field_errors(response.content) == {"month": [words]}
        assert "<table" not in response.content.decode()

    def test_an_unknown_status_is_said_next_to_its_field(self, member: User) -> None:
        response = signed_in(member).get(ORDERS, {"status": "LOST"})

        assert field_errors(response.content) == {
            "status": ["Choose a status from the list."]
        }

    def test_the_first_and_last_months_link_no_further(self, member: User) -> None:
        first = signed_in(member).get(f"{ORDERS}?month=1900-01").content.decode()
        last = signed_in(member).get(f"{ORDERS}?month=9998-12").content.decode()

        assert "Previous month" not in first
        assert 'href="?month=1900-02"' in first
        assert "Next month" not in last
        assert 'href="?month=9998-11"' in last

    def test_pages_keep_the_filters(self, member: User) -> None:
        for _ in range(26):
            placed(member, now=IN_MARCH)

        first = signed_in(member).get(f"{ORDERS}?month=2026-03&status=CREATED")
        second = signed_in(member).get(f"{ORDERS}?month=2026-03&status=CREATED&page=2")

        assert "Page 1 of 2" in page_text(first.content)
        assert (
            'href="?month=2026-03&amp;status=CREATED&amp;page=2"'
            in first.content.decode()
        )
        assert second.content.decode().count('data-label="Order"') == 1
