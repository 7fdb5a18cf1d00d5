"""Hosted checkout of a plan end to end: the shop asks for a page for a plan, the
payer pays (or has the card checked for a trial) in the gateway's card form, and the
subscription starts.

The real adapters and official SDKs talk to the gateway sandbox over HTTP. What the
payments app defers to the commit (its signals, the receivers and their tasks) runs
as after a real request's commit.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import pytest
from pytest_django import DjangoCaptureOnCommitCallbacks

from billing.models import BillingReason, Invoice, InvoiceStatus
from payments.models import (
    CardSetup,
    CardSetupStatus,
    CheckoutSession,
    CheckoutSessionStatus,
    Payment,
    PaymentStatus,
)
from subscriptions.models import Plan, Subscription, SubscriptionStatus
from tests.journeys.cards import CARDS
from tests.journeys.checkout_pages import Payer, open_checkout, redirect_query
from tests.journeys.subscribing import (
    GATEWAYS,
    captures_of,
    event_types,
    make_plan,
    money_moves,
    unbalanced_books,
)

pytestmark = [pytest.mark.django_db, pytest.mark.sandbox]

SUCCESS_URL = "https://cinema.example/welcome"
FAILURE_URL = "https://cinema.example/sorry"
PRICE_MINOR = 99_900

Committing = Callable[[], AbstractContextManager[Any]]


@pytest.fixture
def committing(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> Committing:
    return lambda: django_capture_on_commit_callbacks(execute=True)


def _open_checkout(plan: Plan, **options: object) -> dict[str, Any]:
    """What the shop's back end does: ask billing for a page that starts the plan."""
    return open_checkout(
        plan=plan.code, success_url=SUCCESS_URL, failure_url=FAILURE_URL, **options
    )


def _assert_active_and_paid(
    sandbox_url: str, gateway: str, body: dict[str, Any], number: str
) -> Subscription:
    subscription = Subscription.objects.get(id=body["subscription_id"])
    session = CheckoutSession.objects.get(id=body["id"])
    (invoice,) = Invoice.objects.filter(subscription_id=subscription.id)
    payment = Payment.objects.get(pays=f"invoice:{invoice.id}")
    assert subscription.status == SubscriptionStatus.ACTIVE
    assert invoice.status == InvoiceStatus.PAID
    assert invoice.billing_reason == BillingReason.SUBSCRIPTION_CREATE
    assert invoice.amount_paid_minor == PRICE_MINOR
    assert session.status == CheckoutSessionStatus.COMPLETED
    assert session.payment_id == payment.id
    assert payment.status == PaymentStatus.SUCCEEDED
    assert payment.payment_method is not None
    assert payment.payment_method.last4 == number[-4:]
    assert subscription.payment_method_id == payment.payment_method_id
    assert subscription.due_at == subscription.current_period_ends_at
    captures = captures_of(sandbox_url, gateway, subscription.payer_id)
    assert [capture["amount_minor"] for capture in captures] == [PRICE_MINOR]
    assert unbalanced_books() == {}
    return subscription


@pytest.mark.parametrize("gateway", GATEWAYS)
class TestPlanCheckoutJourney:
    def test_a_monthly_plan_is_paid_and_the_payer_returns_to_the_shop(
        self, gateway: str, sandbox_url: str, committing: Committing
    ) -> None:
        plan = make_plan(gateway)
        body = _open_checkout(plan)
        payer = Payer(sandbox_url, gateway, body["url"])
        page = payer.open_page()
        assert "Monthly: 999.00" in page and "per month" in page
        number = CARDS[gateway]["success"]

        with committing():
            response = payer.pay_with(number)

        query = redirect_query(response, SUCCESS_URL)
        assert query == {"checkout": body["id"], "status": "succeeded"}
        subscription = _assert_active_and_paid(sandbox_url, gateway, body, number)
        assert event_types(subscription.payer_id) == [
            "subscription.created",
            "invoice.created",
            "invoice.paid",
            "payment.succeeded",
            "subscription.activated",
        ]

    def test_3ds_is_passed_and_the_subscription_starts_on_the_way_back(
        self, gateway: str, sandbox_url: str, committing: Committing
    ) -> None:
        plan = make_plan(gateway)
        body = _open_checkout(plan)
        payer = Payer(sandbox_url, gateway, body["url"])
        payer.open_page()
        number = CARDS[gateway]["success_3ds"]
        with committing():
            challenge = payer.pay_with(number)
        subscription = Subscription.objects.get(id=body["subscription_id"])
        assert subscription.status == SubscriptionStatus.INCOMPLETE
        assert captures_of(sandbox_url, gateway, subscription.payer_id) == []

        with committing():
            response = payer.pass_challenge(challenge)

        assert redirect_query(response, SUCCESS_URL)["status"] == "succeeded"
        _assert_active_and_paid(sandbox_url, gateway, body, number)

    def test_a_trial_plan_checks_the_card_without_a_capture(
        self, gateway: str, sandbox_url: str, committing: Committing
    ) -> None:
        plan = make_plan(gateway, trial_days=14)
        body = _open_checkout(plan)
        assert body["mode"] == "CARD_SETUP"
        payer = Payer(sandbox_url, gateway, body["url"])
        page = payer.open_page()
        assert "Nothing is charged now" in page
        assert "the trial ends on" in page

        with committing():
            response = payer.pay_with(CARDS[gateway]["success"])

        assert redirect_query(response, SUCCESS_URL)["status"] == "succeeded"
        subscription = Subscription.objects.get(id=body["subscription_id"])
        session = CheckoutSession.objects.get(id=body["id"])
        setup = CardSetup.objects.get(purpose=f"subscription:{subscription.id}")
        assert subscription.status == SubscriptionStatus.TRIALING
        assert subscription.payment_method_id == setup.payment_method_id
        assert setup.status == CardSetupStatus.SUCCEEDED
        assert session.status == CheckoutSessionStatus.COMPLETED
        assert session.card_setup_id == setup.id
        assert not Invoice.objects.filter(subscription_id=subscription.id).exists()
        assert not Payment.objects.filter(payer_id=subscription.payer_id).exists()
        moves = money_moves(sandbox_url, gateway, subscription.payer_id)
        assert [kind for kind, _ in moves if kind == "capture"] == []
        assert (
            moves
            == {
                "cloudpayments": [("authorize", 100), ("void", 100)],
                "stripe": [],
            }[gateway]
        )
        assert event_types(subscription.payer_id) == [
            "subscription.created",
            "payment_method.verified",
            "subscription.trial_started",
        ]

    def test_a_trial_card_check_with_3ds_starts_the_trial_on_the_way_back(
        self, gateway: str, sandbox_url: str, committing: Committing
    ) -> None:
        plan = make_plan(gateway, trial_days=14)
        body = _open_checkout(plan)
        payer = Payer(sandbox_url, gateway, body["url"])
        payer.open_page()
        with committing():
            challenge = payer.pay_with(CARDS[gateway]["setup_3ds"])
        assert (
            Subscription.objects.get(id=body["subscription_id"]).status
            == SubscriptionStatus.INCOMPLETE
        )

        with committing():
            response = payer.pass_challenge(challenge)

        assert redirect_query(response, SUCCESS_URL)["status"] == "succeeded"
        subscription = Subscription.objects.get(id=body["subscription_id"])
        assert subscription.status == SubscriptionStatus.TRIALING
        assert captures_of(sandbox_url, gateway, subscription.payer_id) == []
