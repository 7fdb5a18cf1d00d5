"""Changing a subscription's plan through the support API.

Support may make the changes that charge nothing now (a trial's, a downgrade at the
period end); an upgrade charges the card at once, so it needs `charge_now`, which
only accounting may set.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from rest_framework.test import APIClient

from billing.clock import billing_now
from billing.models import Invoice, InvoiceStatus
from billing.money import Money
from payments.gateways.base import Declined
from payments.gateways.fake import FakeGateway
from payments.models import Payment, PaymentStatus
from subscriptions.models import Plan, Subscription, SubscriptionStatus
from subscriptions.services import set_plan_active
from tests.api_documentation import documented_operations
from tests.subscriptions import scenarios
from tests.subscriptions.api_clients import (
    accounting_client,
    is_error,
    support_client,
)
from tests.subscriptions.factories import ACTOR, make_plan, subscribe_with_card

pytestmark = pytest.mark.django_db
__all__ = ["accounting_client", "support_client"]  # fixtures

SUBSCRIPTIONS = "/api/v1/subscriptions/"
PREMIUM = Money(149_900, "RUB")
BASIC = Money(49_900, "RUB")


def _change(client: APIClient, subscription_id: object, body: object) -> Any:
    return client.post(
        f"{SUBSCRIPTIONS}{subscription_id}/change-plan/", body, format="json"
    )


def _upgrade_invoices(subscription: Subscription) -> int:
    return Invoice.objects.filter(
        subscription_id=subscription.id, billing_reason="SUBSCRIPTION_UPDATE"
    ).count()


@pytest.fixture
def subscription(fake_gateway: FakeGateway) -> Subscription:
    """ACTIVE on the monthly plan, with a premium and a basic plan on sale."""
    subscription = scenarios.active()
    make_plan(code="premium", price=PREMIUM)
    make_plan(code="basic", price=BASIC)
    return subscription


class TestDowngrade:
    def test_support_schedules_it_for_the_period_end_and_nothing_is_charged(
        self,
        subscription: Subscription,
        support_client: APIClient,
        fake_gateway: FakeGateway,
    ) -> None:
        charges_before = len(fake_gateway.calls_to("charge"))

        response = _change(support_client, subscription.id, {"plan": "basic"})

        assert response.status_code == 200
        body = response.json()
        assert body["plan"] == "monthly"
        assert body["plan_change"] == {
            "timing": "period_end",
            "invoice_id": None,
            "payment_id": None,
        }
        assert body["pending_plan_change"]["plan"] == "basic"
        assert len(fake_gateway.calls_to("charge")) == charges_before

    def test_the_same_plan_changes_nothing(
        self, subscription: Subscription, support_client: APIClient
    ) -> None:
        response = _change(support_client, subscription.id, {"plan": "monthly"})

        assert response.status_code == 200
        assert response.json()["plan_change"]["timing"] == "unchanged"


class TestUpgrade:
    def test_support_is_told_it_charges_now_and_nothing_is_done(
        self, subscription: Subscription, support_client: APIClient
    ) -> None:
        response = _change(support_client, subscription.id, {"plan": "premium"})

        assert response.status_code == 409
        assert is_error(response.json(), "plan_change_charges_now")
        subscription.refresh_from_db()
        assert subscription.plan.code == "monthly"
        assert _upgrade_invoices(subscription) == 0

    def test_support_may_not_allow_the_charge(
        self, subscription: Subscription, support_client: APIClient
    ) -> None:
        response = _change(
            support_client, subscription.id, {"plan": "premium", "charge_now": True}
        )

        assert response.status_code == 403
        body = response.json()
        assert is_error(body, "permission_denied")
        assert body["extra"]["fields"] == ["charge_now"]
        assert _upgrade_invoices(subscription) == 0

    def test_accounting_upgrades_and_the_card_is_charged(
        self, subscription: Subscription, accounting_client: APIClient
    ) -> None:
        response = _change(
            accounting_client, subscription.id, {"plan": "premium", "charge_now": True}
        )

        assert response.status_code == 200
        body = response.json()
        assert body["plan"] == "premium"
        outcome = body["plan_change"]
        assert outcome["timing"] == "now"
        invoice = Invoice.objects.get(id=outcome["invoice_id"])
        assert invoice.status == InvoiceStatus.PAID
        payment = Payment.objects.get(id=outcome["payment_id"])
        assert payment.status == PaymentStatus.SUCCEEDED
        assert payment.amount_minor == invoice.total_minor

    def test_accounting_without_charge_now_is_told_it_charges(
        self, subscription: Subscription, accounting_client: APIClient
    ) -> None:
        response = _change(accounting_client, subscription.id, {"plan": "premium"})

        assert response.status_code == 409
        assert is_error(response.json(), "plan_change_charges_now")

    def test_a_declined_upgrade_is_a_402_and_the_plan_is_unchanged(
        self,
        subscription: Subscription,
        accounting_client: APIClient,
        fake_gateway: FakeGateway,
    ) -> None:
        fake_gateway.script(
            "charge",
            Declined(reason_code="5051", message="Insufficient funds", hard=False),
        )

        response = _change(
            accounting_client, subscription.id, {"plan": "premium", "charge_now": True}
        )

        assert response.status_code == 402
        assert is_error(response.json(), "plan_change_payment_failed")
        subscription.refresh_from_db()
        assert subscription.plan.code == "monthly"


class TestTrial:
    def test_support_changes_a_trial_at_once_with_nothing_to_pay(
        self, fake_gateway: FakeGateway, support_client: APIClient
    ) -> None:
        trialing = subscribe_with_card(
            make_plan(code="trial", trial_days=14), now=billing_now()
        ).subscription
        make_plan(code="premium", price=PREMIUM, trial_days=14)

        response = _change(support_client, trialing.id, {"plan": "premium"})

        assert response.status_code == 200
        assert response.json()["plan"] == "premium"
        assert response.json()["plan_change"]["timing"] == "now"


class TestBadInput:
    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({}, "plan"),
            ({"plan": ""}, "plan"),
            ({"plan": "no spaces/slashes"}, "plan"),
            ({"plan": "x" * 51}, "plan"),
            ({"plan": "basic", "charge_now": "sometimes"}, "charge_now"),
        ],
    )
    def test_a_malformed_body_is_a_400_naming_the_field(
        self,
        subscription: Subscription,
        support_client: APIClient,
        body: dict[str, Any],
        field: str,
    ) -> None:
        response = _change(support_client, subscription.id, body)

        assert response.status_code == 400
        assert is_error(response.json(), "validation_error")
        assert field in response.json()["extra"]["fields"]

    def test_an_unknown_plan_is_a_404(
        self, subscription: Subscription, support_client: APIClient
    ) -> None:
        response = _change(support_client, subscription.id, {"plan": "platinum"})

        assert response.status_code == 404
        assert is_error(response.json(), "plan_not_found")

    def test_a_plan_off_sale_is_a_422(
        self, subscription: Subscription, support_client: APIClient
    ) -> None:
        basic = Plan.objects.get(code="basic")
        set_plan_active(plan_id=basic.id, active=False, now=billing_now(), actor=ACTOR)

        response = _change(support_client, subscription.id, {"plan": "basic"})

        assert response.status_code == 422
        assert is_error(response.json(), "plan_inactive")

    def test_a_plan_in_another_currency_is_refused(
        self, subscription: Subscription, support_client: APIClient
    ) -> None:
        make_plan(code="dollars", price=Money(999, "USD"))

        response = _change(support_client, subscription.id, {"plan": "dollars"})

        assert response.status_code == 422
        assert is_error(response.json(), "currency_mismatch")

    def test_a_canceled_subscription_is_a_409(
        self, subscription: Subscription, support_client: APIClient
    ) -> None:
        support_client.post(
            f"{SUBSCRIPTIONS}{subscription.id}/cancel/",
            {"at_period_end": False},
            format="json",
        )

        response = _change(support_client, subscription.id, {"plan": "basic"})

        assert response.status_code == 409
        assert is_error(response.json(), "plan_change_not_allowed")
        subscription.refresh_from_db()
        assert subscription.status == SubscriptionStatus.CANCELED

    def test_a_malformed_id_is_a_400_and_an_unknown_one_a_404(
        self, subscription: Subscription, support_client: APIClient
    ) -> None:
        malformed = _change(support_client, "not-a-uuid", {"plan": "basic"})
        unknown = _change(support_client, uuid.uuid4(), {"plan": "basic"})

        assert malformed.status_code == 400
        assert "subscription_id" in malformed.json()["extra"]["fields"]
        assert unknown.status_code == 404
        assert is_error(unknown.json(), "subscription_not_found")


def test_the_schema_documents_the_operation() -> None:
    assert "subscriptions_change_plan" in documented_operations()
