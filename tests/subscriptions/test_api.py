"""The support API of plans and subscriptions, for support staff only."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from rest_framework.test import APIClient

from billing.clock import billing_now
from billing.models import InvoiceStatus, StatusChange
from billing.money import Money
from payments.gateways.fake import FakeGateway
from payments.models import Refund
from subscriptions.models import Subscription, SubscriptionStatus
from subscriptions.periods import prorate
from subscriptions.services import change_plan, set_plan_active
from tests.api_documentation import api_root_links, documented_operations
from tests.payments import staff
from tests.subscriptions import scenarios
from tests.subscriptions.api_clients import (
    accounting_client,
    api_client,
    is_error,
    support_client,
)
from tests.subscriptions.factories import ACTOR, MONTHLY_PRICE, make_plan

pytestmark = pytest.mark.django_db
__all__ = ["accounting_client", "support_client"]  # fixtures

SUBSCRIPTIONS = "/api/v1/subscriptions/"
INVOICES = "/api/v1/invoices/"
PLANS = "/api/v1/plans/"


_client = api_client
_is_error = is_error


def _ids(response: Any) -> list[str]:
    return [row["id"] for row in response.json()["results"]]


@pytest.fixture
def subscription(fake_gateway: FakeGateway) -> Subscription:
    return scenarios.active()


class TestAccess:
    @pytest.mark.parametrize(
        "path",
        [
            PLANS,
            SUBSCRIPTIONS,
            f"{SUBSCRIPTIONS}{uuid.uuid4()}/",
        ],
    )
    def test_anonymous_is_refused_in_the_error_shape(self, path: str) -> None:
        response = _client(None).get(path)

        assert response.status_code == 403
        assert _is_error(response.json(), "not_authenticated")

    @pytest.mark.parametrize("make_user", [staff.member, lambda: staff.staff(None)])
    def test_a_member_or_staff_without_a_role_is_refused(
        self, subscription: Subscription, make_user: Any
    ) -> None:
        client = _client(make_user())

        read = client.get(f"{SUBSCRIPTIONS}{subscription.id}/")
        change = client.post(f"{SUBSCRIPTIONS}{subscription.id}/pause/")

        assert read.status_code == 403
        assert _is_error(change.json(), "permission_denied")
        subscription.refresh_from_db()
        assert subscription.status == SubscriptionStatus.ACTIVE

    @pytest.mark.parametrize(
        "make_user", [staff.support, staff.accounting, staff.superuser]
    )
    def test_support_accounting_and_superusers_may_read_and_act(
        self, subscription: Subscription, make_user: Any
    ) -> None:
        client = _client(make_user())

        read = client.get(SUBSCRIPTIONS)
        change = client.post(f"{SUBSCRIPTIONS}{subscription.id}/pause/")

        assert read.status_code == 200
        assert change.status_code == 200
        assert change.json()["status"] == SubscriptionStatus.PAUSED

    def test_scripts_authenticate_with_a_token(
        self, subscription: Subscription
    ) -> None:
        client = APIClient()
        client.credentials(
            HTTP_AUTHORIZATION=f"Token {staff.token_for(staff.support())}"
        )

        response = client.get(SUBSCRIPTIONS)

        assert _ids(response) == [str(subscription.id)]


class TestPlanList:
    def test_lists_active_plans_with_their_current_price(
        self, support_client: APIClient
    ) -> None:
        make_plan(code="monthly")
        retired = make_plan(code="retired", price=Money(10_000, "RUB"))
        set_plan_active(
            plan_id=retired.id, active=False, now=billing_now(), actor="user:test"
        )

        response = support_client.get(PLANS)

        assert response.status_code == 200
        (plan,) = response.json()
        assert plan["code"] == "monthly"
        assert plan["amount_minor"] == MONTHLY_PRICE.amount_minor
        assert plan["currency"] == "RUB"
        assert plan["amount"] == "999.00 RUB"
        assert plan["interval"] == "month"
        assert plan["gateway"] == "fake"


class TestSubscriptionList:
    def test_lists_newest_first_with_price_and_period(
        self, fake_gateway: FakeGateway, support_client: APIClient
    ) -> None:
        plan = make_plan()
        older = scenarios.active(plan, days_ago=20)
        newer = scenarios.active(plan, days_ago=2)

        response = support_client.get(SUBSCRIPTIONS)

        assert _ids(response) == [str(newer.id), str(older.id)]
        row = response.json()["results"][0]
        assert row["plan"] == "monthly"
        assert row["amount"] == "999.00 RUB"
        assert row["amount_minor"] == 99_900
        assert row["payer_id"] == str(newer.payer_id)
        assert row["current_period_ends_at"] is not None
        assert row["next_retry_at"] is None

    def test_filters_by_payer_status_plan_gateway_and_past_due(
        self, fake_gateway: FakeGateway, support_client: APIClient
    ) -> None:
        monthly = make_plan(code="monthly")
        weekly = make_plan(code="weekly", interval="week", price=Money(9_900, "RUB"))
        running = scenarios.active(monthly)
        late = scenarios.past_due(fake_gateway, weekly)

        def ids(**params: str) -> list[str]:
            return _ids(support_client.get(SUBSCRIPTIONS, params))

        assert ids(payer=str(running.payer_id)) == [str(running.id)]
        assert ids(status="PAST_DUE") == [str(late.id)]
        assert ids(plan="monthly") == [str(running.id)]
        assert set(ids(gateway="fake")) == {str(running.id), str(late.id)}
        assert ids(gateway="stripe") == []
        assert ids(past_due="true") == [str(late.id)]
        assert ids(past_due="false") == [str(running.id)]

    def test_filters_by_when_it_was_created(
        self, fake_gateway: FakeGateway, support_client: APIClient
    ) -> None:
        plan = make_plan()
        older = scenarios.active(plan, days_ago=10)
        newer = scenarios.active(plan, days_ago=2)
        middle = (billing_now() - dt.timedelta(days=5)).isoformat()

        def ids(**params: str) -> list[str]:
            return _ids(support_client.get(SUBSCRIPTIONS, params))

        assert ids(created_after=middle) == [str(newer.id)]
        assert ids(created_before=middle) == [str(older.id)]

    def test_searches_by_exact_subscription_or_payer_id(
        self, fake_gateway: FakeGateway, support_client: APIClient
    ) -> None:
        plan = make_plan()
        wanted, other = scenarios.active(plan), scenarios.active(plan)

        by_id = support_client.get(SUBSCRIPTIONS, {"search": str(wanted.id)})
        by_payer = support_client.get(SUBSCRIPTIONS, {"search": str(wanted.payer_id)})

        assert _ids(by_id) == [str(wanted.id)]
        assert _ids(by_payer) == [str(wanted.id)]
        assert str(other.id) not in _ids(by_id)

    @pytest.mark.parametrize(
        ("params", "field"),
        [
            ({"search": "5d7c1f0e-zz"}, "search"),
            ({"payer": "nope"}, "payer"),
            ({"status": "SLEEPING"}, "status"),
            ({"past_due": "perhaps"}, "past_due"),
            ({"created_after": "yesterday"}, "created_after"),
            (
                {"created_after": "2026-11-23", "created_before": "2026-11-01"},
                "created_before",
            ),
        ],
    )
    def test_a_malformed_filter_is_a_400_naming_the_field(
        self, support_client: APIClient, params: dict[str, str], field: str
    ) -> None:
        response = support_client.get(SUBSCRIPTIONS, params)

        assert response.status_code == 400
        assert _is_error(response.json(), "validation_error")
        assert field in response.json()["extra"]["fields"]

    def test_paginates_with_limit_and_offset(
        self, fake_gateway: FakeGateway, support_client: APIClient
    ) -> None:
        plan = make_plan()
        for days_ago in (1, 2, 3):
            scenarios.active(plan, days_ago=days_ago)

        first = support_client.get(SUBSCRIPTIONS, {"limit": 2}).json()
        rest = support_client.get(SUBSCRIPTIONS, {"limit": 2, "offset": 2}).json()

        assert first["count"] == 3
        assert len(first["results"]) == 2
        assert first["next"] is not None
        assert len(rest["results"]) == 1
        assert rest["next"] is None


class TestSubscriptionDetail:
    def test_shows_invoices_dunning_and_the_audit_trail(
        self, fake_gateway: FakeGateway, support_client: APIClient
    ) -> None:
        subscription = scenarios.past_due(fake_gateway)

        body = support_client.get(f"{SUBSCRIPTIONS}{subscription.id}/").json()

        assert body["status"] == SubscriptionStatus.PAST_DUE
        assert body["dunning"] == {
            "is_past_due": True,
            "past_due_since": _iso(subscription.past_due_since),
            "retry_count": 0,
            "next_retry_at": _iso(subscription.next_retry_at),
            "needs_new_payment_method": False,
        }
        assert body["next_retry_at"] == _iso(subscription.next_retry_at)
        statuses = [invoice["status"] for invoice in body["invoices"]]
        assert statuses == [InvoiceStatus.OPEN, InvoiceStatus.PAID]
        newest = body["invoices"][0]
        assert newest["display_number"] == "INV-00000002"
        assert newest["amount_due"] == "999.00 RUB"
        assert newest["pdf_url"].endswith(f"{INVOICES}{newest['id']}/pdf/")
        changes = [(c["from_status"], c["to_status"]) for c in body["audit_trail"]]
        assert changes[-1] == (SubscriptionStatus.ACTIVE, SubscriptionStatus.PAST_DUE)
        assert body["pending_cancellation"] is None
        assert body["pending_plan_change"] is None

    def test_shows_a_pending_cancellation(
        self, fake_gateway: FakeGateway, support_client: APIClient
    ) -> None:
        subscription = scenarios.canceling()

        body = support_client.get(f"{SUBSCRIPTIONS}{subscription.id}/").json()

        assert body["pending_cancellation"] == {
            "cancel_at": _iso(subscription.current_period_ends_at),
            "reason": "moving abroad",
        }
        assert body["cancel_at"] == _iso(subscription.current_period_ends_at)

    def test_shows_a_plan_change_waiting_for_the_period_end(
        self, fake_gateway: FakeGateway, support_client: APIClient
    ) -> None:
        subscription = scenarios.active(make_plan(code="premium"))
        make_plan(code="basic", price=Money(49_900, "RUB"))
        change_plan(
            subscription_id=subscription.id,
            plan_code="basic",
            now=billing_now(),
            actor=ACTOR,
        )

        body = support_client.get(f"{SUBSCRIPTIONS}{subscription.id}/").json()

        assert body["plan"] == "premium"
        change = body["pending_plan_change"]
        assert change["plan"] == "basic"
        assert change["amount"] == "499.00 RUB"
        assert change["at"] == _iso(subscription.current_period_ends_at)

    def test_a_malformed_id_is_a_400_and_an_unknown_one_a_404(
        self, support_client: APIClient
    ) -> None:
        malformed = support_client.get(f"{SUBSCRIPTIONS}not-a-uuid/")
        unknown = support_client.get(f"{SUBSCRIPTIONS}{uuid.uuid4()}/")

        assert malformed.status_code == 400
        assert "subscription_id" in malformed.json()["extra"]["fields"]
        assert unknown.status_code == 404
        assert _is_error(unknown.json(), "subscription_not_found")


class TestCancel:
    def test_at_period_end_keeps_it_running_until_then(
        self, subscription: Subscription, support_client: APIClient
    ) -> None:
        response = support_client.post(
            f"{SUBSCRIPTIONS}{subscription.id}/cancel/",
            {"at_period_end": True, "reason": "too expensive"},
            format="json",
        )

        body = response.json()
        assert response.status_code == 200
        assert body["status"] == SubscriptionStatus.ACTIVE
        assert body["pending_cancellation"]["reason"] == "too expensive"
        assert body["refunds"] == []

    def test_now_with_a_refund_of_the_unused_part(
        self, subscription: Subscription, accounting_client: APIClient
    ) -> None:
        response = accounting_client.post(
            f"{SUBSCRIPTIONS}{subscription.id}/cancel/",
            {"at_period_end": False, "refund_unused": True, "reason": "duplicate"},
            format="json",
        )

        body = response.json()
        assert response.status_code == 200
        assert body["status"] == SubscriptionStatus.CANCELED
        subscription.refresh_from_db()
        assert subscription.canceled_at is not None
        unused = prorate(
            MONTHLY_PRICE,
            period=subscription.current_period,
            from_moment=subscription.canceled_at,
        )
        assert 0 < unused.amount_minor < MONTHLY_PRICE.amount_minor
        assert [r["amount_minor"] for r in body["refunds"]] == [unused.amount_minor]
        assert body["refunds"][0]["status"] == "SUCCEEDED"
        refund = Refund.objects.get()
        assert refund.requested_by.startswith("user:")
        change = StatusChange.objects.filter(
            object_type="subscription", to_status=SubscriptionStatus.CANCELED
        ).get()
        assert change.actor == refund.requested_by
        assert change.reason == "duplicate"

    def test_at_period_end_is_required(
        self, subscription: Subscription, support_client: APIClient
    ) -> None:
        response = support_client.post(
            f"{SUBSCRIPTIONS}{subscription.id}/cancel/", {}, format="json"
        )

        assert response.status_code == 400
        assert "at_period_end" in response.json()["extra"]["fields"]

    @pytest.mark.parametrize("at_period_end", [False, True])
    def test_support_may_not_refund_and_nothing_is_done(
        self,
        subscription: Subscription,
        support_client: APIClient,
        at_period_end: bool,
    ) -> None:
        """Only accounting moves money: the flag alone is a 403, and the
        subscription is not canceled either."""
        changes = StatusChange.objects.count()

        response = support_client.post(
            f"{SUBSCRIPTIONS}{subscription.id}/cancel/",
            {"at_period_end": at_period_end, "refund_unused": True},
            format="json",
        )

        assert response.status_code == 403
        body = response.json()
        assert _is_error(body, "permission_denied")
        assert body["extra"] == {"roles": ["accounting"], "fields": ["refund_unused"]}
        subscription.refresh_from_db()
        assert (subscription.status, subscription.cancel_at) == (
            SubscriptionStatus.ACTIVE,
            None,
        )
        assert not Refund.objects.exists()
        assert StatusChange.objects.count() == changes

    def test_a_refund_goes_only_with_a_cancellation_now(
        self, subscription: Subscription, accounting_client: APIClient
    ) -> None:
        response = accounting_client.post(
            f"{SUBSCRIPTIONS}{subscription.id}/cancel/",
            {"at_period_end": True, "refund_unused": True},
            format="json",
        )

        assert response.status_code == 400
        assert "refund_unused" in response.json()["extra"]["fields"]

    def test_an_ended_subscription_is_a_409(
        self, subscription: Subscription, support_client: APIClient
    ) -> None:
        url = f"{SUBSCRIPTIONS}{subscription.id}/cancel/"
        support_client.post(url, {"at_period_end": False}, format="json")

        again = support_client.post(url, {"at_period_end": False}, format="json")

        assert again.status_code == 409
        assert _is_error(again.json(), "invalid_status_transition")

    def test_an_unknown_subscription_is_a_404(self, support_client: APIClient) -> None:
        response = support_client.post(
            f"{SUBSCRIPTIONS}{uuid.uuid4()}/cancel/",
            {"at_period_end": True},
            format="json",
        )

        assert response.status_code == 404
        assert _is_error(response.json(), "subscription_not_found")


class TestUndoCancellation:
    def test_keeps_a_subscription_whose_cancellation_is_pending(
        self, fake_gateway: FakeGateway, support_client: APIClient
    ) -> None:
        subscription = scenarios.canceling()

        response = support_client.post(
            f"{SUBSCRIPTIONS}{subscription.id}/undo-cancellation/"
        )

        assert response.status_code == 200
        assert response.json()["pending_cancellation"] is None
        subscription.refresh_from_db()
        assert subscription.cancel_at is None

    def test_nothing_to_undo_is_a_409(
        self, subscription: Subscription, support_client: APIClient
    ) -> None:
        response = support_client.post(
            f"{SUBSCRIPTIONS}{subscription.id}/undo-cancellation/"
        )

        assert response.status_code == 409
        assert _is_error(response.json(), "invalid_status_transition")


class TestPauseAndResume:
    def test_pause_then_resume_extends_the_period_by_the_pause(
        self, fake_gateway: FakeGateway, support_client: APIClient
    ) -> None:
        subscription = scenarios.paused()
        ends_at = subscription.current_period_ends_at
        paused_at = subscription.paused_at
        assert paused_at is not None

        response = support_client.post(f"{SUBSCRIPTIONS}{subscription.id}/resume/")

        body = response.json()
        assert response.status_code == 200
        assert body["status"] == SubscriptionStatus.ACTIVE
        subscription.refresh_from_db()
        resumed_at = (
            StatusChange.objects.filter(to_status=SubscriptionStatus.ACTIVE)
            .latest("id")
            .at
        )
        assert subscription.current_period_ends_at == ends_at + (resumed_at - paused_at)

    def test_pause_stops_the_renewals(
        self, subscription: Subscription, support_client: APIClient
    ) -> None:
        response = support_client.post(f"{SUBSCRIPTIONS}{subscription.id}/pause/")

        assert response.json()["status"] == SubscriptionStatus.PAUSED
        subscription.refresh_from_db()
        assert subscription.due_at is None

    def test_resuming_a_subscription_that_is_not_paused_is_a_409(
        self, subscription: Subscription, support_client: APIClient
    ) -> None:
        response = support_client.post(f"{SUBSCRIPTIONS}{subscription.id}/resume/")

        assert response.status_code == 409
        assert _is_error(response.json(), "invalid_status_transition")
        assert response.json()["extra"]["subscription"] == str(subscription.id)

    def test_pausing_a_past_due_subscription_is_a_409(
        self, fake_gateway: FakeGateway, support_client: APIClient
    ) -> None:
        subscription = scenarios.past_due(fake_gateway)

        response = support_client.post(f"{SUBSCRIPTIONS}{subscription.id}/pause/")

        assert response.status_code == 409
        assert _is_error(response.json(), "invalid_status_transition")

    def test_a_subscription_being_renewed_is_a_409_to_try_again(
        self, subscription: Subscription, support_client: APIClient
    ) -> None:
        Subscription.objects.filter(id=subscription.id).update(
            claimed_by=uuid.uuid4(), due_at=billing_now() + dt.timedelta(minutes=5)
        )

        response = support_client.post(f"{SUBSCRIPTIONS}{subscription.id}/pause/")

        assert response.status_code == 409
        assert _is_error(response.json(), "renewal_in_progress")

    def test_a_malformed_id_is_a_400(self, support_client: APIClient) -> None:
        response = support_client.post(f"{SUBSCRIPTIONS}12/pause/")

        assert response.status_code == 400
        assert "subscription_id" in response.json()["extra"]["fields"]


class TestRetry:
    def test_schedules_the_past_due_charge_for_the_next_run(
        self, fake_gateway: FakeGateway, support_client: APIClient
    ) -> None:
        subscription = scenarios.past_due(fake_gateway)
        before = billing_now()

        response = support_client.post(f"{SUBSCRIPTIONS}{subscription.id}/retry/")

        assert response.status_code == 200
        subscription.refresh_from_db()
        assert subscription.next_retry_at is not None
        assert before <= subscription.next_retry_at <= billing_now()
        assert subscription.due_at == subscription.next_retry_at
        assert response.json()["dunning"]["next_retry_at"] == _iso(
            subscription.next_retry_at
        )

    def test_retrying_a_subscription_that_is_not_past_due_is_a_409(
        self, subscription: Subscription, support_client: APIClient
    ) -> None:
        response = support_client.post(f"{SUBSCRIPTIONS}{subscription.id}/retry/")

        assert response.status_code == 409
        assert _is_error(response.json(), "invalid_status_transition")


class TestDocumentation:
    def test_the_schema_documents_every_operation(self) -> None:
        assert {
            "plans_list",
            "subscriptions_list",
            "subscriptions_retrieve",
            "subscriptions_cancel",
            "subscriptions_undo_cancellation",
            "subscriptions_pause",
            "subscriptions_resume",
            "subscriptions_retry",
        } <= documented_operations()

    def test_the_api_root_links_to_the_new_resources(self) -> None:
        links = api_root_links()

        assert links["plans"].endswith(PLANS)
        assert links["subscriptions"].endswith(SUBSCRIPTIONS)


def _iso(value: dt.datetime | None) -> str | None:
    """A time as DRF writes it (UTC, `Z`)."""
    if value is None:
        return None
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
