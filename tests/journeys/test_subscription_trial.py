"""A trial: the card is verified without taking money, then charged when it ends."""

from __future__ import annotations

import datetime as dt

import pytest

from billing.models import BillingReason, InvoiceStatus
from payments.models import CardSetupStatus, PaymentMethod
from subscriptions.models import SubscriptionStatus
from tests.journeys.subscribing import (
    GATEWAYS,
    START,
    event_types,
    invoices_of,
    latest_cursor,
    make_plan,
    money_moves,
    reloaded,
    renew_at,
    stripe_setup_intent,
    subscribe_with,
    unbalanced_books,
)

pytestmark = [pytest.mark.django_db, pytest.mark.sandbox]

CARD = {"cloudpayments": "4000000000003055", "stripe": "4242424242424242"}
TRIAL_ENDS_AT = START + dt.timedelta(days=14)


@pytest.mark.parametrize("gateway", GATEWAYS)
class TestTrial:
    def test_verifies_the_card_without_a_capture_then_charges_at_the_trial_end(
        self, gateway: str, sandbox_url: str
    ) -> None:
        plan = make_plan(gateway, trial_days=14)

        started = subscribe_with(sandbox_url, plan, CARD[gateway])

        subscription = started.subscription
        assert subscription.status == SubscriptionStatus.TRIALING
        assert subscription.trial_ends_at == TRIAL_ENDS_AT
        assert subscription.due_at == TRIAL_ENDS_AT
        assert started.invoice is None and started.payment is None
        setup = started.card_setup
        assert setup is not None and setup.status == CardSetupStatus.SUCCEEDED
        method = PaymentMethod.objects.get(payer_id=subscription.payer_id)
        assert subscription.payment_method_id == method.id == setup.payment_method_id
        assert invoices_of(subscription) == []
        payer_id = subscription.payer_id
        if gateway == "cloudpayments":
            assert money_moves(sandbox_url, gateway, payer_id) == [
                ("authorize", 100),
                ("void", 100),
            ]
        else:
            assert money_moves(sandbox_url, gateway, payer_id) == []
            assert setup.gateway_reference and setup.gateway_reference.startswith(
                "seti_"
            )
            intent = stripe_setup_intent(sandbox_url, setup.gateway_reference)
            assert (intent["status"], intent["usage"]) == ("succeeded", "off_session")
        assert event_types(payer_id) == [
            "subscription.created",
            "payment_method.verified",
            "subscription.trial_started",
        ]
        before_the_trial_ends = money_moves(sandbox_url, gateway, payer_id)
        assert renew_at(gateway, TRIAL_ENDS_AT - dt.timedelta(seconds=1)).claimed == 0
        cursor = latest_cursor()

        report = renew_at(gateway, TRIAL_ENDS_AT)

        assert report.paid == 1
        subscription = reloaded(subscription)
        assert subscription.status == SubscriptionStatus.ACTIVE
        assert subscription.current_period_starts_at == TRIAL_ENDS_AT
        assert subscription.current_period_ends_at == dt.datetime(
            2026, 3, 14, 9, 0, tzinfo=dt.UTC
        )
        (invoice,) = invoices_of(subscription)
        assert invoice.status == InvoiceStatus.PAID
        assert invoice.billing_reason == BillingReason.SUBSCRIPTION_CYCLE
        assert invoice.period_starts_at == TRIAL_ENDS_AT
        assert money_moves(sandbox_url, gateway, payer_id) == [
            *before_the_trial_ends,
            ("capture", 99_900),
        ]
        assert event_types(payer_id, after=cursor) == [
            "invoice.created",
            "invoice.paid",
            "payment.succeeded",
            "subscription.activated",
            "subscription.renewed",
        ]
        assert unbalanced_books() == {}
