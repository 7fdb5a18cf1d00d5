"""The plans admin: adding, repricing and migrating through the services."""

from __future__ import annotations

import pytest
from django.test import Client

from billing.clock import billing_now
from billing.money import Money
from subscriptions.models import Plan, PlanPrice, Subscription
from subscriptions.services import change_plan_price
from tests.payments import staff
from tests.subscriptions.admin_pages import (
    PLANS,
    accounting,
    flashed,
    page_text,
    signed_in,
    subscription,
    support,
)
from tests.subscriptions.factories import ACTOR, make_plan

pytestmark = pytest.mark.django_db

# Fixtures, for the tests that sign in as these staff members.
__all__ = ["accounting", "subscription", "support"]


class TestPlans:
    def test_accounting_adds_a_plan_through_the_service(
        self, accounting: Client
    ) -> None:
        response = accounting.post(
            f"{PLANS}add/",
            {
                "code": "yearly",
                "name": "Yearly",
                "description": "Once a year",
                "price": "9 990,00",
                "currency": "RUB",
                "interval": "year",
                "interval_count": "1",
                "trial_days": "14",
                "gateway": "cloudpayments",
            },
        )

        plan = Plan.objects.get(code="yearly")
        assert response.status_code == 302
        assert response["Location"] == f"{PLANS}{plan.id}/change/"
        assert plan.current_price is not None
        assert plan.current_price.amount == Money(999_000, "RUB")
        assert plan.current_price.created_by.startswith("user:")
        assert plan.trial_days == 14

    @pytest.mark.parametrize(
        ("field", "value", "problem"),
        [
            ("code", "monthly", "exists already"),
            ("price", "0", "more than zero"),
            ("price", "9.999", "more decimal places"),
            ("currency", "XYZ", "not an active ISO 4217 currency"),
            ("gateway", "fake", "Select a valid choice"),
        ],
    )
    def test_a_plan_the_service_refuses_is_shown_on_the_form(
        self, accounting: Client, field: str, value: str, problem: str
    ) -> None:
        make_plan(code="monthly")
        data = {
            "code": "new",
            "name": "New",
            "price": "100.00",
            "currency": "RUB",
            "interval": "month",
            "interval_count": "1",
            "trial_days": "0",
            "gateway": "stripe",
            field: value,
        }

        response = accounting.post(f"{PLANS}add/", data)

        assert response.status_code == 200
        assert problem in page_text(response)
        assert Plan.objects.count() == 1

    def test_support_cannot_add_change_or_reprice_a_plan(self, support: Client) -> None:
        plan = make_plan()

        add = support.get(f"{PLANS}add/")
        change = support.post(f"{PLANS}{plan.id}/change/", {"name": "Cheap"})
        price = support.get(f"{PLANS}{plan.id}/price/")

        assert {add.status_code, change.status_code, price.status_code} == {403}
        plan.refresh_from_db()
        assert plan.name == "Monthly"

    def test_plans_are_never_deleted(self) -> None:
        plan = make_plan()

        response = signed_in(staff.superuser()).get(f"{PLANS}{plan.id}/delete/")

        assert response.status_code == 403

    def test_accounting_renames_and_retires_a_plan_but_never_edits_its_price(
        self, accounting: Client
    ) -> None:
        plan = make_plan()
        price = plan.current_price
        assert price is not None

        response = accounting.post(
            f"{PLANS}{plan.id}/change/",
            {
                "name": "Monthly (old)",
                "description": "No longer offered",
                "current_price": "",
                "interval": "day",
                "gateway": "stripe",
                "prices-TOTAL_FORMS": "0",
                "prices-INITIAL_FORMS": "1",
                "prices-MIN_NUM_FORMS": "0",
                "prices-MAX_NUM_FORMS": "0",
            },
        )

        assert response.status_code == 302, page_text(response)
        plan.refresh_from_db()
        assert (plan.name, plan.description, plan.is_active) == (
            "Monthly (old)",
            "No longer offered",
            False,
        )
        assert (plan.current_price_id, plan.interval, plan.gateway) == (
            price.id,
            "month",
            "fake",
        )
        assert PlanPrice.objects.count() == 1

    def test_the_price_history_is_shown_read_only(self, accounting: Client) -> None:
        plan = make_plan()
        change_plan_price(
            plan_id=plan.id,
            price=Money(129_900, "RUB"),
            now=billing_now(),
            actor=ACTOR,
            note="inflation",
        )

        html = page_text(accounting.get(f"{PLANS}{plan.id}/change/"))

        assert "price history" in html.lower()
        assert "1,299.00 RUB" in html and "999.00 RUB" in html
        assert "inflation" in html
        assert 'name="prices-0-amount_minor"' not in html
        assert "prices-0-DELETE" not in html
        assert "prices-__prefix__" not in html
        assert f"{PLANS}{plan.id}/price/" in html

    def test_the_price_changes_through_the_service_with_a_note(
        self, subscription: Subscription, accounting: Client
    ) -> None:
        plan = subscription.plan
        old_price = subscription.price_id

        page = accounting.get(f"{PLANS}{plan.id}/price/")
        response = accounting.post(
            f"{PLANS}{plan.id}/price/",
            {"price": "1299.00", "currency": "RUB", "note": "new year prices"},
        )

        assert page.status_code == 200
        assert "999.00 RUB per month" in page_text(page)
        assert response.status_code == 302
        plan.refresh_from_db()
        assert plan.current_price is not None
        assert plan.current_price.amount == Money(129_900, "RUB")
        assert plan.current_price.note == "new year prices"
        subscription.refresh_from_db()
        assert subscription.price_id == old_price

    @pytest.mark.parametrize(
        ("data", "problem"),
        [
            ({"price": "1299.00", "currency": "RUB"}, "This field is required"),
            ({"price": "-5", "currency": "RUB", "note": "x"}, "more than zero"),
            ({"price": "1.2.3", "currency": "RUB", "note": "x"}, "one decimal point"),
        ],
    )
    def test_a_refused_price_is_shown_on_the_form(
        self, accounting: Client, data: dict[str, str], problem: str
    ) -> None:
        plan = make_plan()

        response = accounting.post(f"{PLANS}{plan.id}/price/", data)

        assert response.status_code == 200
        assert problem in page_text(response)
        assert PlanPrice.objects.count() == 1

    def test_the_currency_of_a_plan_does_not_change(self, accounting: Client) -> None:
        plan = make_plan()

        accounting.post(
            f"{PLANS}{plan.id}/price/",
            {"price": "15.00", "currency": "USD", "note": "dollars now"},
        )

        plan.refresh_from_db()
        assert plan.current_price is not None
        assert plan.current_price.amount == Money(1_500, "RUB")

    def test_an_unknown_plan_has_no_price_page(self, accounting: Client) -> None:
        assert accounting.get(f"{PLANS}999/price/").status_code == 404

    def test_migrating_subscribers_asks_then_moves_them_to_the_current_price(
        self, subscription: Subscription, accounting: Client
    ) -> None:
        plan = subscription.plan
        new_price = change_plan_price(
            plan_id=plan.id,
            price=Money(129_900, "RUB"),
            now=billing_now(),
            actor=ACTOR,
            note="inflation",
        )
        selection = {"action": "migrate_subscribers", "_selected_action": [plan.id]}

        asked = accounting.post(PLANS, selection)
        done = accounting.post(PLANS, {**selection, "confirmed": "yes"}, follow=True)

        assert "1 live subscriber(s) on an older price" in page_text(asked)
        subscription.refresh_from_db()
        assert subscription.price_id == new_price.id
        (message,) = flashed(done)
        assert message == (
            "success",
            "monthly: 1 subscriber(s) moved to 1,299.00 RUB per month from their "
            "next invoice.",
        )

    def test_support_is_not_offered_the_migration(self, support: Client) -> None:
        make_plan()

        assert 'name="action"' not in page_text(support.get(PLANS))
