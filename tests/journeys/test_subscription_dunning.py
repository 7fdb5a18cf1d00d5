"""Dunning: renewals the card keeps declining, retried on schedule, then canceled."""

from __future__ import annotations

import datetime as dt

import pytest

from billing.models import InvoiceStatus
from payments.models import Payment, PaymentStatus
from subscriptions.models import Subscription, SubscriptionStatus
from subscriptions.services import change_payment_method
from tests.journeys.subscribing import (
    GATEWAYS,
    PAYER,
    captures_of,
    event_types,
    invoices_of,
    latest_cursor,
    make_plan,
    reloaded,
    renew_at,
    save_new_card,
    subscribe_with,
    unbalanced_books,
)

pytestmark = [pytest.mark.django_db, pytest.mark.sandbox]

# Cards that pay (or are verified) once and whose later charges are declined:
# CloudPayments' 4111 pays the first payment, every token charge then fails 5051;
# Stripe's 0341 (pm_card_chargeCustomerFail) is saved by a SetupIntent, and every
# charge fails generic_decline, so on Stripe the journey starts with a trial.
FAILING_LATER = {"cloudpayments": "4111111111111111", "stripe": "4000000000000341"}
DECLINE_CODE = {"cloudpayments": "5051", "stripe": "generic_decline"}
TRIAL_DAYS = {"cloudpayments": 0, "stripe": 14}
WORKING_CARD = {"cloudpayments": "4000000000003055", "stripe": "4242424242424242"}


def subscribed_with_a_card_that_fails_later(
    sandbox_url: str, gateway: str
) -> Subscription:
    plan = make_plan(gateway, trial_days=TRIAL_DAYS[gateway])
    started = subscribe_with(sandbox_url, plan, FAILING_LATER[gateway])
    assert started.subscription.status in (
        SubscriptionStatus.ACTIVE,
        SubscriptionStatus.TRIALING,
    )
    return started.subscription


@pytest.mark.parametrize("gateway", GATEWAYS)
class TestDunning:
    def test_retries_at_one_three_five_seven_days_then_cancels_uncollectible(
        self, gateway: str, sandbox_url: str
    ) -> None:
        subscription = subscribed_with_a_card_that_fails_later(sandbox_url, gateway)
        payer_id = subscription.payer_id
        captured_before = len(captures_of(sandbox_url, gateway, payer_id))
        renewal_at = subscription.current_period_ends_at
        cursor = latest_cursor()

        report = renew_at(gateway, renewal_at)
        assert report.failed == 1
        retries = []
        for _ in range(4):
            subscription = reloaded(subscription)
            assert subscription.status == SubscriptionStatus.PAST_DUE
            assert subscription.next_retry_at is not None
            assert subscription.due_at == subscription.next_retry_at
            too_early = subscription.next_retry_at - dt.timedelta(seconds=1)
            assert renew_at(gateway, too_early).claimed == 0
            retries.append(subscription.next_retry_at)
            renew_at(gateway, subscription.next_retry_at)

        assert retries == [renewal_at + dt.timedelta(days=d) for d in (1, 3, 5, 7)]
        subscription = reloaded(subscription)
        assert subscription.status == SubscriptionStatus.CANCELED
        assert subscription.due_at is None
        assert subscription.current_period_starts_at == renewal_at
        renewal = invoices_of(subscription)[-1]
        assert renewal.period_starts_at == renewal_at
        assert renewal.status == InvoiceStatus.UNCOLLECTIBLE
        attempts = Payment.objects.filter(pays=renewal.pays_reference).order_by(
            "attempt"
        )
        assert [(p.attempt, p.status, p.failure_code) for p in attempts] == [
            (n, PaymentStatus.FAILED, DECLINE_CODE[gateway]) for n in range(1, 6)
        ]
        assert len(captures_of(sandbox_url, gateway, payer_id)) == captured_before
        assert renew_at(gateway, renewal_at + dt.timedelta(days=60)).claimed == 0
        assert event_types(payer_id, after=cursor) == [
            "invoice.created",
            "payment.failed",
            "subscription.past_due",
            "subscription.payment_failed",
            *["payment.failed", "subscription.payment_failed"] * 3,
            "payment.failed",
            "invoice.marked_uncollectible",
            "subscription.canceled",
        ]
        assert unbalanced_books() == {}


@pytest.mark.parametrize("gateway", GATEWAYS)
class TestRecoveryWithANewCard:
    def test_a_new_card_is_charged_at_the_next_run_and_the_subscription_recovers(
        self, gateway: str, sandbox_url: str
    ) -> None:
        subscription = subscribed_with_a_card_that_fails_later(sandbox_url, gateway)
        payer_id = subscription.payer_id
        old_card = reloaded(subscription).payment_method_id
        renewal_at = subscription.current_period_ends_at
        renew_at(gateway, renewal_at)
        assert reloaded(subscription).status == SubscriptionStatus.PAST_DUE
        captured_before = len(captures_of(sandbox_url, gateway, payer_id))
        replaced_at = renewal_at + dt.timedelta(hours=5)
        new_card = save_new_card(
            sandbox_url, gateway, payer_id, WORKING_CARD[gateway], now=replaced_at
        )
        cursor = latest_cursor()

        change_payment_method(
            subscription_id=subscription.id,
            payment_method_id=new_card.id,
            now=replaced_at,
            actor=PAYER,
        )
        report = renew_at(gateway, replaced_at + dt.timedelta(minutes=1))

        assert report.paid == 1
        subscription = reloaded(subscription)
        assert subscription.status == SubscriptionStatus.ACTIVE
        assert subscription.payment_method_id == new_card.id != old_card
        assert subscription.retry_count == 0 and subscription.next_retry_at is None
        assert subscription.current_period_starts_at == renewal_at
        assert subscription.due_at == subscription.current_period_ends_at
        renewal = invoices_of(subscription)[-1]
        assert renewal.status == InvoiceStatus.PAID
        attempts = Payment.objects.filter(pays=renewal.pays_reference).order_by(
            "attempt"
        )
        assert [(p.attempt, p.status, p.payment_method_id) for p in attempts] == [
            (1, PaymentStatus.FAILED, old_card),
            (2, PaymentStatus.SUCCEEDED, new_card.id),
        ]
        captures = captures_of(sandbox_url, gateway, payer_id)
        assert [c["amount_minor"] for c in captures[captured_before:]] == [99_900]
        assert event_types(payer_id, after=cursor) == [
            "subscription.payment_method_changed",
            "invoice.paid",
            "payment.succeeded",
            "subscription.activated",
        ]
        assert unbalanced_books() == {}

        next_report = renew_at(gateway, subscription.current_period_ends_at)

        assert next_report.paid == 1
        latest = invoices_of(subscription)[-1]
        assert Payment.objects.get(pays=latest.pays_reference).payment_method_id == (
            new_card.id
        )
