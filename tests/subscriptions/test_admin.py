"""The accounting admin of plans and subscriptions: changes only through services."""

from __future__ import annotations

from typing import Any

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from billing.clock import billing_now
from billing.models import Invoice, StatusChange
from billing.money import Money
from kit.admin import pages
from payments.gateways.fake import FakeGateway
from payments.models import Refund
from subscriptions.models import Subscription, SubscriptionStatus
from tests.payments import staff
from tests.subscriptions import scenarios
from tests.subscriptions.admin_pages import (
    PLANS,
    SUBSCRIPTIONS,
    accounting,
    act,
    flashed,
    page_text,
    signed_in,
    subscription,
    support,
)
from tests.subscriptions.factories import MONTHLY_PRICE, make_plan

pytestmark = pytest.mark.django_db

# Fixtures, for the tests that sign in as these staff members.
__all__ = ["accounting", "subscription", "support"]


class TestPages:
    @pytest.mark.parametrize(
        "make_user", [staff.superuser, staff.support, staff.accounting]
    )
    def test_every_changelist_and_change_page_renders_for_staff(
        self, fake_gateway: FakeGateway, make_user: Any
    ) -> None:
        subscription = scenarios.past_due(fake_gateway)
        client = signed_in(make_user())
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
        client = signed_in(make_user())
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

        html = page_text(support.get(f"{SUBSCRIPTIONS}{subscription.id}/change/"))

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
        client = signed_in(staff.superuser())

        add = client.get(f"{SUBSCRIPTIONS}add/")
        change = client.post(
            f"{SUBSCRIPTIONS}{subscription.id}/change/", {"status": "CANCELED"}
        )
        delete = client.post(
            f"{SUBSCRIPTIONS}{subscription.id}/delete/", {"post": "yes"}
        )

        assert {add.status_code, change.status_code, delete.status_code} == {403}
        subscription.refresh_from_db()
        assert subscription.status == SubscriptionStatus.ACTIVE

    def test_money_status_and_period_fields_are_not_inputs(
        self, subscription: Subscription
    ) -> None:
        html = page_text(
            signed_in(staff.superuser()).get(
                f"{SUBSCRIPTIONS}{subscription.id}/change/"
            )
        )

        for name in ("status", "price", "current_period_ends_at", "next_retry_at"):
            assert f'name="{name}"' not in html
        assert 'name="_save"' not in html

    def test_no_bulk_delete_is_offered(self, subscription: Subscription) -> None:
        html = page_text(signed_in(staff.superuser()).get(SUBSCRIPTIONS))

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
            html = page_text(support.get(SUBSCRIPTIONS, params))
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

        html = page_text(support.get(SUBSCRIPTIONS, {"q": str(getattr(wanted, key))}))

        assert f"{wanted.id}/change/" in html
        assert f"{other.id}/change/" not in html

    def test_a_malformed_search_finds_nothing_instead_of_failing(
        self, subscription: Subscription, support: Client
    ) -> None:
        response = support.get(SUBSCRIPTIONS, {"q": "monthly"})

        assert response.status_code == 200
        assert f"{subscription.id}/change/" not in page_text(response)

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
            ("pause", "active", {}, SubscriptionStatus.PAUSED),
            ("resume", "paused", {}, SubscriptionStatus.ACTIVE),
            ("cancel_now", "active", {"reason": "fraud"}, SubscriptionStatus.CANCELED),
            (
                "cancel_at_period_end",
                "active",
                {"reason": "moving"},
                SubscriptionStatus.ACTIVE,
            ),
            ("undo_cancellation", "canceling", {}, SubscriptionStatus.ACTIVE),
            ("retry_now", "past_due", {}, SubscriptionStatus.PAST_DUE),
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

        asked, done = act(accounting, action, row, **fields)

        assert asked.status_code == 200
        assert "Are you sure?" in page_text(asked)
        assert str(row.id) in page_text(asked)
        (message,) = flashed(done)
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
        assert subscription.status == SubscriptionStatus.ACTIVE

    def test_cancel_now_can_refund_the_unused_part(
        self, subscription: Subscription, accounting: Client
    ) -> None:
        _, done = act(accounting, "cancel_now", subscription, refund_unused="on")

        (level, text) = flashed(done)[0]
        refund = Refund.objects.get()
        assert level == "success"
        assert f"Refund of {refund.amount.format()}: SUCCEEDED" in text
        assert 0 < refund.amount_minor < MONTHLY_PRICE.amount_minor

    def test_only_accounting_refunds_even_with_the_actions_granted(
        self, subscription: Subscription
    ) -> None:
        """Support staff granted the subscription actions may cancel, but a refund
        with it is refused for every row and nothing is applied."""
        user = staff.support()
        user.user_permissions.add(
            Permission.objects.get(codename="change_subscription")
        )

        _, done = act(signed_in(user), "cancel_now", subscription, refund_unused="on")

        assert "Only accounting staff may move money." in page_text(done)
        subscription.refresh_from_db()
        assert subscription.status == SubscriptionStatus.ACTIVE
        assert not Refund.objects.exists()

    def test_the_actor_is_the_staff_member(self, subscription: Subscription) -> None:
        user = staff.accounting()

        act(signed_in(user), "pause", subscription)

        change = StatusChange.objects.filter(to_status=SubscriptionStatus.PAUSED).get()
        assert change.actor == f"user:{user.pk}"

    def test_a_refusal_is_shown_per_row_and_the_others_go_ahead(
        self, fake_gateway: FakeGateway, accounting: Client
    ) -> None:
        plan = make_plan()
        running, stopped = scenarios.active(plan), scenarios.paused(plan)

        _, done = act(accounting, "resume", running, stopped)

        assert done.status_code == 200
        levels = sorted(level for level, _ in flashed(done))
        assert levels == ["error", "success"]
        error = next(text for level, text in flashed(done) if level == "error")
        assert str(running.id) in error
        assert "cannot be resumed" in error
        stopped.refresh_from_db()
        assert stopped.status == SubscriptionStatus.ACTIVE

    def test_an_invalid_form_asks_again(
        self, subscription: Subscription, accounting: Client
    ) -> None:
        _, again = act(accounting, "cancel_now", subscription, reason="x" * 201)

        assert "at most 200 characters" in page_text(again)
        subscription.refresh_from_db()
        assert subscription.status == SubscriptionStatus.ACTIVE

    def test_too_many_rows_are_refused(
        self,
        fake_gateway: FakeGateway,
        accounting: Client,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        monkeypatch.setattr(pages, "MAX_ROWS_PER_ACTION", 1)
        plan = make_plan()
        rows = [scenarios.active(plan), scenarios.active(plan)]

        _, done = act(accounting, "pause", *rows)

        assert "at most 1 rows" in flashed(done)[0][1]
        assert not Subscription.objects.filter(
            status=SubscriptionStatus.PAUSED
        ).exists()

    def test_support_is_offered_no_action_and_cannot_post_one(
        self, subscription: Subscription, support: Client
    ) -> None:
        changelist = page_text(support.get(SUBSCRIPTIONS))

        _, done = act(support, "pause", subscription)

        assert 'name="action"' not in changelist
        subscription.refresh_from_db()
        assert subscription.status == SubscriptionStatus.ACTIVE
        assert done.status_code == 200


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
        client = signed_in(staff.staff(None))

        assert client.get(SUBSCRIPTIONS).status_code == 403
        assert client.get(PLANS).status_code == 403
