"""The accounting admin of plans and subscriptions: changes only through services."""

from __future__ import annotations

from typing import Any

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User
from billing.clock import billing_now
from billing.models import Invoice, StatusChange
from billing.money import Money
from payments.gateways.fake import FakeGateway
from payments.models import Refund
from subscriptions.admin import _pages
from subscriptions.models import Plan, PlanPrice, Subscription, SubscriptionStatus
from subscriptions.services import change_plan_price
from tests.payments import staff
from tests.subscriptions import scenarios
from tests.subscriptions.factories import ACTOR, MONTHLY_PRICE, make_plan

pytestmark = pytest.mark.django_db

S = SubscriptionStatus
SUBSCRIPTIONS = "/admin/subscriptions/subscription/"
PLANS = "/admin/subscriptions/plan/"


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def accounting() -> Client:
    return _client(staff.accounting())


@pytest.fixture
def support() -> Client:
    return _client(staff.support())


@pytest.fixture
def subscription(fake_gateway: FakeGateway) -> Subscription:
    return scenarios.active()


def _act(
    client: Client, action: str, *rows: Subscription, **fields: str
) -> tuple[Any, Any]:
    """Choose `action` for `rows` on the changelist, then confirm it."""
    selection = {"action": action, "_selected_action": [str(row.pk) for row in rows]}
    asked = client.post(SUBSCRIPTIONS, selection)
    done = client.post(
        SUBSCRIPTIONS, {**selection, "confirmed": "yes", **fields}, follow=True
    )
    return asked, done


def _messages(response: Any) -> list[tuple[str, str]]:
    return [(m.level_tag, str(m)) for m in response.context["messages"]]


def _html(response: Any) -> str:
    return str(response.content.decode())


class TestPages:
    @pytest.mark.parametrize(
        "make_user", [staff.superuser, staff.support, staff.accounting]
    )
    def test_every_changelist_and_change_page_renders_for_staff(
        self, fake_gateway: FakeGateway, make_user: Any
    ) -> None:
        subscription = scenarios.past_due(fake_gateway)
        client = _client(make_user())
        pages = [
            PLANS,
            f"{PLANS}{subscription.plan_id}/change/",
            SUBSCRIPTIONS,
            f"{SUBSCRIPTIONS}{subscription.id}/change/",
            f"{SUBSCRIPTIONS}?status__exact=PAST_DUE&dunning=retry_scheduled",
        ]

        statuses = {page: client.get(page).status_code for page in pages}

        assert set(statuses.values()) == {200}, statuses

    @pytest.mark.parametrize("make_user", [staff.superuser, staff.support])
    def test_every_billing_page_of_the_admin_renders(
        self, fake_gateway: FakeGateway, make_user: Any
    ) -> None:
        """Every changelist of billing, payments and subscriptions, and the change
        page of a row of each, with a subscription in dunning on the books."""
        scenarios.past_due(fake_gateway)
        client = _client(make_user())
        pages = ["/admin/"]
        for label in ("billing", "payments", "subscriptions"):
            for model in apps.get_app_config(label).get_models():
                if not admin.site.is_registered(model):
                    continue
                name = f"admin:{label}_{model._meta.model_name}"
                pages.append(reverse(f"{name}_changelist"))
                if row := model._default_manager.order_by("pk").first():
                    pages.append(reverse(f"{name}_change", args=[row.pk]))

        statuses = {page: client.get(page).status_code for page in pages}

        assert set(statuses.values()) == {200}, statuses
        assert len(pages) > 20

    def test_the_subscription_page_shows_dunning_invoices_and_audit_trail(
        self, fake_gateway: FakeGateway, support: Client
    ) -> None:
        subscription = scenarios.past_due(fake_gateway)
        invoice = Invoice.objects.get(status="OPEN")

        html = _html(support.get(f"{SUBSCRIPTIONS}{subscription.id}/change/"))

        assert "Next retry at" in html
        assert "999.00 RUB" in html
        assert f"/admin/billing/invoice/{invoice.id}/change/" in html
        assert "INV-00000002" in html
        assert "ACTIVE → PAST_DUE" in html
        assert "Visa ····4242" in html

    def test_price_rows_have_no_admin_of_their_own(self, accounting: Client) -> None:
        response = accounting.get("/admin/subscriptions/planprice/")

        assert response.status_code == 404


class TestSubscriptionReadOnly:
    def test_subscriptions_cannot_be_added_changed_or_deleted(
        self, subscription: Subscription
    ) -> None:
        client = _client(staff.superuser())

        add = client.get(f"{SUBSCRIPTIONS}add/")
        change = client.post(
            f"{SUBSCRIPTIONS}{subscription.id}/change/", {"status": "CANCELED"}
        )
        delete = client.post(
            f"{SUBSCRIPTIONS}{subscription.id}/delete/", {"post": "yes"}
        )

        assert {add.status_code, change.status_code, delete.status_code} == {403}
        subscription.refresh_from_db()
        assert subscription.status == S.ACTIVE

    def test_money_status_and_period_fields_are_not_inputs(
        self, subscription: Subscription
    ) -> None:
        html = _html(
            _client(staff.superuser()).get(f"{SUBSCRIPTIONS}{subscription.id}/change/")
        )

        for name in ("status", "price", "current_period_ends_at", "next_retry_at"):
            assert f'name="{name}"' not in html
        assert 'name="_save"' not in html

    def test_no_bulk_delete_is_offered(self, subscription: Subscription) -> None:
        html = _html(_client(staff.superuser()).get(SUBSCRIPTIONS))

        assert "delete_selected" not in html


class TestSubscriptionFiltersAndSearch:
    def test_filters_by_status_dunning_pending_gateway_and_plan(
        self, fake_gateway: FakeGateway, support: Client
    ) -> None:
        monthly = make_plan(code="monthly")
        weekly = make_plan(code="weekly", interval="week", price=Money(9_900, "RUB"))
        running = scenarios.active(monthly)
        late = scenarios.past_due(fake_gateway, weekly)
        leaving = scenarios.canceling(weekly)

        def shown(**params: str) -> set[str]:
            html = _html(support.get(SUBSCRIPTIONS, params))
            rows = (running, late, leaving)
            return {str(row.id) for row in rows if f"{row.id}/change/" in html}

        assert shown(status__exact="PAST_DUE") == {str(late.id)}
        assert shown(dunning="past_due") == {str(late.id)}
        assert shown(dunning="retry_scheduled") == {str(late.id)}
        assert shown(dunning="needs_new_card") == set()
        assert shown(pending="cancellation") == {str(leaving.id)}
        assert shown(gateway__exact="fake") == {
            str(r.id) for r in (running, late, leaving)
        }
        assert shown(plan__id__exact=str(monthly.id)) == {str(running.id)}

    @pytest.mark.parametrize("key", ["id", "payer_id"])
    def test_finds_a_subscription_by_its_id_or_payer(
        self, fake_gateway: FakeGateway, support: Client, key: str
    ) -> None:
        plan = make_plan()
        wanted, other = scenarios.active(plan), scenarios.active(plan)

        html = _html(support.get(SUBSCRIPTIONS, {"q": str(getattr(wanted, key))}))

        assert f"{wanted.id}/change/" in html
        assert f"{other.id}/change/" not in html

    def test_a_malformed_search_finds_nothing_instead_of_failing(
        self, subscription: Subscription, support: Client
    ) -> None:
        response = support.get(SUBSCRIPTIONS, {"q": "monthly"})

        assert response.status_code == 200
        assert f"{subscription.id}/change/" not in _html(response)

    def test_the_changelist_does_not_query_per_row(
        self, fake_gateway: FakeGateway, support: Client
    ) -> None:
        plan = make_plan()
        scenarios.active(plan)
        with CaptureQueriesContext(connection) as few:
            support.get(SUBSCRIPTIONS)
        for _ in range(4):
            scenarios.active(plan)

        with CaptureQueriesContext(connection) as many:
            support.get(SUBSCRIPTIONS)

        assert len(many) == len(few)


class TestSubscriptionActions:
    @pytest.mark.parametrize(
        ("action", "make", "fields", "expected"),
        [
            ("pause", "active", {}, S.PAUSED),
            ("resume", "paused", {}, S.ACTIVE),
            ("cancel_now", "active", {"reason": "fraud"}, S.CANCELED),
            ("cancel_at_period_end", "active", {"reason": "moving"}, S.ACTIVE),
            ("undo_cancellation", "canceling", {}, S.ACTIVE),
            ("retry_now", "past_due", {}, S.PAST_DUE),
        ],
    )
    def test_confirms_then_calls_the_service(
        self,
        fake_gateway: FakeGateway,
        accounting: Client,
        action: str,
        make: str,
        fields: dict[str, str],
        expected: str,
    ) -> None:
        maker = getattr(scenarios, make)
        row = maker(fake_gateway) if make == "past_due" else maker()
        before = billing_now()

        asked, done = _act(accounting, action, row, **fields)

        assert asked.status_code == 200
        assert "Are you sure?" in _html(asked)
        assert str(row.id) in _html(asked)
        (message,) = _messages(done)
        assert message[0] == "success", message
        row.refresh_from_db()
        assert row.status == expected
        if action == "cancel_at_period_end":
            assert row.cancel_at == row.current_period_ends_at
        if action == "undo_cancellation":
            assert row.cancel_at is None
        if action == "retry_now":
            assert row.next_retry_at is not None and row.next_retry_at >= before

    def test_the_confirmation_page_changes_nothing(
        self, subscription: Subscription, accounting: Client
    ) -> None:
        accounting.post(
            SUBSCRIPTIONS,
            {"action": "cancel_now", "_selected_action": [str(subscription.id)]},
        )

        subscription.refresh_from_db()
        assert subscription.status == S.ACTIVE

    def test_cancel_now_can_refund_the_unused_part(
        self, subscription: Subscription, accounting: Client
    ) -> None:
        _, done = _act(accounting, "cancel_now", subscription, refund_unused="on")

        (level, text) = _messages(done)[0]
        refund = Refund.objects.get()
        assert level == "success"
        assert f"Refund of {refund.amount.format()}: SUCCEEDED" in text
        assert 0 < refund.amount_minor < MONTHLY_PRICE.amount_minor

    def test_the_actor_is_the_staff_member(self, subscription: Subscription) -> None:
        user = staff.accounting()

        _act(_client(user), "pause", subscription)

        change = StatusChange.objects.filter(to_status=S.PAUSED).get()
        assert change.actor == f"user:{user.pk}"

    def test_a_refusal_is_shown_per_row_and_the_others_go_ahead(
        self, fake_gateway: FakeGateway, accounting: Client
    ) -> None:
        plan = make_plan()
        running, stopped = scenarios.active(plan), scenarios.paused(plan)

        _, done = _act(accounting, "resume", running, stopped)

        assert done.status_code == 200
        levels = sorted(level for level, _ in _messages(done))
        assert levels == ["error", "success"]
        error = next(text for level, text in _messages(done) if level == "error")
        assert str(running.id) in error
        assert "cannot be resumed" in error
        stopped.refresh_from_db()
        assert stopped.status == S.ACTIVE

    def test_an_invalid_form_asks_again(
        self, subscription: Subscription, accounting: Client
    ) -> None:
        _, again = _act(accounting, "cancel_now", subscription, reason="x" * 201)

        assert "at most 200 characters" in _html(again)
        subscription.refresh_from_db()
        assert subscription.status == S.ACTIVE

    def test_too_many_rows_are_refused(
        self,
        fake_gateway: FakeGateway,
        accounting: Client,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        monkeypatch.setattr(_pages, "MAX_ROWS_PER_ACTION", 1)
        plan = make_plan()
        rows = [scenarios.active(plan), scenarios.active(plan)]

        _, done = _act(accounting, "pause", *rows)

        assert "at most 1 rows" in _messages(done)[0][1]
        assert not Subscription.objects.filter(status=S.PAUSED).exists()

    def test_support_is_offered_no_action_and_cannot_post_one(
        self, subscription: Subscription, support: Client
    ) -> None:
        changelist = _html(support.get(SUBSCRIPTIONS))

        _, done = _act(support, "pause", subscription)

        assert 'name="action"' not in changelist
        subscription.refresh_from_db()
        assert subscription.status == S.ACTIVE
        assert done.status_code == 200


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
        assert problem in _html(response)
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

        response = _client(staff.superuser()).get(f"{PLANS}{plan.id}/delete/")

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

        assert response.status_code == 302, _html(response)
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

        html = _html(accounting.get(f"{PLANS}{plan.id}/change/"))

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
        assert "999.00 RUB per month" in _html(page)
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
        assert problem in _html(response)
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

        assert "1 live subscriber(s) on an older price" in _html(asked)
        subscription.refresh_from_db()
        assert subscription.price_id == new_price.id
        (message,) = _messages(done)
        assert message == (
            "success",
            "monthly: 1 subscriber(s) moved to 1,299.00 RUB per month from their "
            "next invoice.",
        )

    def test_support_is_not_offered_the_migration(self, support: Client) -> None:
        make_plan()

        assert 'name="action"' not in _html(support.get(PLANS))


class TestStaffRoles:
    def test_both_roles_view_and_only_accounting_changes(self) -> None:
        support = Group.objects.get(name="support")
        accounting = Group.objects.get(name="accounting")

        def codenames(group: Group) -> set[str]:
            return set(
                group.permissions.filter(
                    content_type__app_label="subscriptions"
                ).values_list("codename", flat=True)
            )

        views = {"view_plan", "view_planprice", "view_subscription"}
        assert codenames(support) == views
        assert codenames(accounting) == views | {
            "add_plan",
            "change_plan",
            "change_subscription",
        }

    def test_a_staff_member_without_a_role_sees_nothing(
        self, subscription: Subscription
    ) -> None:
        client = _client(staff.staff(None))

        assert client.get(SUBSCRIPTIONS).status_code == 403
        assert client.get(PLANS).status_code == 403
