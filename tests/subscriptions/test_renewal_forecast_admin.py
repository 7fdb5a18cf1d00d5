"""The renewals forecast as an admin page beside the subscriptions' list."""

from __future__ import annotations

import pytest
from django.test import Client

from payments.gateways.fake import FakeGateway
from subscriptions.models import Plan
from tests.payments import staff
from tests.subscriptions.factories import make_plan
from tests.subscriptions.scenarios import active, canceling

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fake_gateway")]

SUBSCRIPTIONS = "/admin/subscriptions/subscription/"
FORECAST = f"{SUBSCRIPTIONS}forecast/"


@pytest.fixture
def plan() -> Plan:
    return make_plan()


@pytest.fixture
def support() -> Client:
    client = Client()
    client.force_login(staff.support())
    return client


class TestTheForecastPage:
    def test_the_list_links_to_it(self, support: Client) -> None:
        assert FORECAST in support.get(SUBSCRIPTIONS).content.decode()

    def test_shows_the_days_renewals_and_totals(
        self, support: Client, plan: Plan, fake_gateway: FakeGateway
    ) -> None:
        renewing = active(plan)
        canceling(plan)
        assert renewing.due_at is not None

        html = support.get(
            FORECAST, {"date": renewing.due_at.date().isoformat()}
        ).content.decode()

        assert str(renewing.id) in html
        assert "1 charge, 1 end" in html
        assert plan.prices.get().amount.format() in html

    def test_a_bad_date_is_shown_and_today_is_forecast(self, support: Client) -> None:
        response = support.get(FORECAST, {"date": "2026-13-45"})

        assert response.status_code == 200
        assert "Enter a valid date." in response.content.decode()

    def test_refuses_a_signed_out_visitor(self) -> None:
        response = Client().get(FORECAST)

        assert response.status_code == 302
        assert "/admin/login/" in response["Location"]
