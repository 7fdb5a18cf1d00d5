"""Subscribing with a card that asks for 3-D Secure, passed at the sandbox's ACS."""

from __future__ import annotations

import datetime as dt

import pytest

from billing.models import InvoiceStatus
from payments.models import Payment, PaymentStatus
from subscriptions.models import SubscriptionStatus
from subscriptions.services import NothingToComplete, complete_subscription_3ds
from tests.journeys.cards import pass_3ds
from tests.journeys.subscribing import (
    GATEWAYS,
    PAYER,
    START,
    captures_of,
    event_types,
    invoices_of,
    make_plan,
    money_moves,
    reloaded,
    renew_at,
    subscribe_with,
    unbalanced_books,
)

pytestmark = [pytest.mark.django_db, pytest.mark.sandbox]

# Both ask for 3-D Secure on the first payment and then pay off-session without it
# (Stripe's 3155 card once it was authenticated for future off-session use).
CARD_3DS = {"cloudpayments": "4242424242424242", "stripe": "4000002500003155"}
# Stripe's 3220 card asks for 3-D Secure on every payment, off-session ones too.
STRIPE_ALWAYS_3DS = "4000000000003220"


@pytest.mark.parametrize("gateway", GATEWAYS)
class TestSubscribeWith3ds:
    def test_waits_incomplete_for_the_challenge_then_activates_with_the_invoice_paid(
        self, gateway: str, sandbox_url: str
    ) -> None:
        started = subscribe_with(sandbox_url, make_plan(gateway), CARD_3DS[gateway])
        subscription = started.subscription
        assert subscription.status == SubscriptionStatus.INCOMPLETE
        assert started.action is not None
        assert started.action["url"].startswith(sandbox_url)
        assert started.invoice is not None
        assert started.invoice.status == InvoiceStatus.OPEN
        assert captures_of(sandbox_url, gateway, subscription.payer_id) == []
        assert started.payment is not None and started.payment.gateway_reference
        answer = pass_3ds(
            sandbox_url, gateway, started.payment.gateway_reference, succeed=True
        )
        completed_at = START.replace(minute=3)

        completed = complete_subscription_3ds(
            subscription_id=subscription.id,
            authentication_result=answer,
            now=completed_at,
            actor=PAYER,
        )

        assert completed.subscription.status == SubscriptionStatus.ACTIVE
        assert completed.payment is not None
        assert completed.payment.status == PaymentStatus.SUCCEEDED
        assert completed.invoice is not None
        assert completed.invoice.status == InvoiceStatus.PAID
        assert completed.invoice.amount_paid_minor == 99_900
        assert completed.action is None
        subscription = reloaded(subscription)
        assert subscription.payment_method_id == completed.payment.payment_method_id
        assert subscription.due_at == subscription.current_period_ends_at
        captures = captures_of(sandbox_url, gateway, subscription.payer_id)
        assert [c["amount_minor"] for c in captures] == [99_900]
        assert event_types(subscription.payer_id) == [
            "subscription.created",
            "invoice.created",
            "payment.requires_action",
            "invoice.paid",
            "payment.succeeded",
            "subscription.activated",
        ]
        assert unbalanced_books() == {}
        with pytest.raises(NothingToComplete):
            complete_subscription_3ds(
                subscription_id=subscription.id,
                authentication_result=answer,
                now=completed_at,
                actor=PAYER,
            )

    def test_the_card_authenticated_once_renews_off_session(
        self, gateway: str, sandbox_url: str
    ) -> None:
        started = subscribe_with(sandbox_url, make_plan(gateway), CARD_3DS[gateway])
        assert started.payment is not None and started.payment.gateway_reference
        answer = pass_3ds(
            sandbox_url, gateway, started.payment.gateway_reference, succeed=True
        )
        subscription = complete_subscription_3ds(
            subscription_id=started.subscription.id,
            authentication_result=answer,
            now=START,
            actor=PAYER,
        ).subscription

        report = renew_at(gateway, subscription.current_period_ends_at)

        assert report.paid == 1
        assert reloaded(subscription).status == SubscriptionStatus.ACTIVE
        assert len(captures_of(sandbox_url, gateway, subscription.payer_id)) == 2


class TestACardThatAlwaysAsksFor3ds:
    def test_makes_the_off_session_renewal_past_due_with_retries(
        self, sandbox_url: str
    ) -> None:
        """Nobody is there to authenticate a renewal: it is dunned like a decline."""
        started = subscribe_with(sandbox_url, make_plan("stripe"), STRIPE_ALWAYS_3DS)
        assert started.payment is not None and started.payment.gateway_reference
        pass_3ds(sandbox_url, "stripe", started.payment.gateway_reference, succeed=True)
        subscription = complete_subscription_3ds(
            subscription_id=started.subscription.id,
            authentication_result=None,
            now=START,
            actor=PAYER,
        ).subscription
        renewal_at = subscription.current_period_ends_at

        report = renew_at("stripe", renewal_at)

        assert report.failed == 1
        subscription = reloaded(subscription)
        assert subscription.status == SubscriptionStatus.PAST_DUE
        assert subscription.next_retry_at == renewal_at + dt.timedelta(days=1)
        assert not subscription.needs_new_payment_method
        renewal = Payment.objects.get(pays=invoices_of(subscription)[-1].pays_reference)
        assert renewal.failure_code == "authentication_required"
        assert len(captures_of(sandbox_url, "stripe", subscription.payer_id)) == 1


@pytest.mark.parametrize("gateway", GATEWAYS)
class TestTrialWith3ds:
    def test_the_card_check_waits_for_the_challenge_then_the_trial_starts(
        self, gateway: str, sandbox_url: str
    ) -> None:
        plan = make_plan(gateway, trial_days=14)
        started = subscribe_with(sandbox_url, plan, CARD_3DS[gateway])
        assert started.subscription.status == SubscriptionStatus.INCOMPLETE
        assert started.action is not None
        setup = started.card_setup
        assert setup is not None and setup.gateway_reference
        answer = pass_3ds(sandbox_url, gateway, setup.gateway_reference, succeed=True)

        completed = complete_subscription_3ds(
            subscription_id=started.subscription.id,
            authentication_result=answer,
            now=START,
            actor=PAYER,
        )
        report = renew_at(gateway, START + dt.timedelta(days=14))

        assert completed.subscription.status == SubscriptionStatus.TRIALING
        assert completed.card_setup is not None
        assert completed.subscription.payment_method_id == (
            completed.card_setup.payment_method_id
        )
        assert report.paid == 1
        subscription = reloaded(completed.subscription)
        assert subscription.status == SubscriptionStatus.ACTIVE
        assert money_moves(sandbox_url, gateway, subscription.payer_id) == [
            *{
                "cloudpayments": [("authorize", 100), ("void", 100)],
                "stripe": [],
            }[gateway],
            ("capture", 99_900),
        ]
        assert event_types(subscription.payer_id)[:3] == [
            "subscription.created",
            "payment_method.verified",
            "subscription.trial_started",
        ]
