"""Cancelling at period end (and changing one's mind), and cancelling now with a
refund of the unused part, exact to the minor unit."""

from __future__ import annotations

import datetime as dt

import pytest

from billing.models import LedgerEntry
from payments.models import Payment, RefundStatus
from subscriptions.models import Subscription, SubscriptionStatus
from subscriptions.services import cancel_subscription, undo_cancellation
from tests.journeys.subscribing import (
    GATEWAYS,
    PAYER,
    START,
    event_types,
    invoices_of,
    latest_cursor,
    make_plan,
    money_moves,
    reloaded,
    renew_at,
    share,
    subscribe_with,
    unbalanced_books,
)

pytestmark = [pytest.mark.django_db, pytest.mark.sandbox]

CARD = {"cloudpayments": "4000000000003055", "stripe": "4242424242424242"}
PRICE = 99_900
PERIOD_ENDS_AT = dt.datetime(2026, 2, 28, 9, 0, tzinfo=dt.UTC)
CANCELED_AT = START + dt.timedelta(days=9, hours=3, minutes=41, microseconds=77)


def active_subscription(sandbox_url: str, gateway: str) -> Subscription:
    plan = make_plan(gateway, amount_minor=PRICE)
    subscription = subscribe_with(sandbox_url, plan, CARD[gateway]).subscription
    assert subscription.status == SubscriptionStatus.ACTIVE
    assert subscription.current_period_ends_at == PERIOD_ENDS_AT
    return subscription


@pytest.mark.parametrize("gateway", GATEWAYS)
class TestCancelAtPeriodEnd:
    def test_ends_the_subscription_at_the_period_end_without_a_charge(
        self, gateway: str, sandbox_url: str
    ) -> None:
        subscription = active_subscription(sandbox_url, gateway)
        payer_id = subscription.payer_id
        cursor = latest_cursor()

        cancel_subscription(
            subscription_id=subscription.id,
            now=CANCELED_AT,
            actor=PAYER,
            at_period_end=True,
            reason="too expensive",
        )
        still_on = reloaded(subscription)
        early = renew_at(gateway, PERIOD_ENDS_AT - dt.timedelta(seconds=1))
        report = renew_at(gateway, PERIOD_ENDS_AT)

        assert still_on.status == SubscriptionStatus.ACTIVE
        assert still_on.cancel_at == PERIOD_ENDS_AT
        assert early.claimed == 0
        assert report.canceled == 1
        subscription = reloaded(subscription)
        assert subscription.status == SubscriptionStatus.CANCELED
        assert subscription.ended_at == PERIOD_ENDS_AT
        assert subscription.due_at is None
        assert len(invoices_of(subscription)) == 1
        assert money_moves(sandbox_url, gateway, payer_id) == [("capture", PRICE)]
        assert renew_at(gateway, PERIOD_ENDS_AT + dt.timedelta(days=40)).claimed == 0
        assert event_types(payer_id, after=cursor) == [
            "subscription.cancellation_scheduled",
            "subscription.canceled",
        ]

    def test_undone_the_subscription_renews_at_the_period_end(
        self, gateway: str, sandbox_url: str
    ) -> None:
        subscription = active_subscription(sandbox_url, gateway)
        payer_id = subscription.payer_id
        cursor = latest_cursor()
        cancel_subscription(
            subscription_id=subscription.id,
            now=CANCELED_AT,
            actor=PAYER,
            at_period_end=True,
        )

        undone = undo_cancellation(
            subscription_id=subscription.id,
            now=CANCELED_AT + dt.timedelta(days=2),
            actor=PAYER,
        )
        report = renew_at(gateway, PERIOD_ENDS_AT)

        assert undone.cancel_at is None
        assert undone.due_at == PERIOD_ENDS_AT
        assert report.paid == 1
        subscription = reloaded(subscription)
        assert subscription.status == SubscriptionStatus.ACTIVE
        assert subscription.current_period_starts_at == PERIOD_ENDS_AT
        assert money_moves(sandbox_url, gateway, payer_id) == [
            ("capture", PRICE),
            ("capture", PRICE),
        ]
        assert event_types(payer_id, after=cursor) == [
            "subscription.cancellation_scheduled",
            "subscription.cancellation_undone",
            "invoice.created",
            "invoice.paid",
            "payment.succeeded",
            "subscription.renewed",
        ]


@pytest.mark.parametrize("gateway", GATEWAYS)
class TestCancelNow:
    def test_refunds_the_unused_part_of_the_period_exactly(
        self, gateway: str, sandbox_url: str
    ) -> None:
        subscription = active_subscription(sandbox_url, gateway)
        payer_id = subscription.payer_id
        unused = share(
            PRICE,
            remaining=PERIOD_ENDS_AT - CANCELED_AT,
            length=PERIOD_ENDS_AT - START,
        )
        cursor = latest_cursor()

        cancellation = cancel_subscription(
            subscription_id=subscription.id,
            now=CANCELED_AT,
            actor=PAYER,
            at_period_end=False,
            refund_unused=True,
            reason="moving abroad",
        )

        assert cancellation.subscription.status == SubscriptionStatus.CANCELED
        (refund,) = cancellation.refunds
        assert refund.status == RefundStatus.SUCCEEDED
        assert refund.amount_minor == unused == 67_242
        payment = Payment.objects.get(pays=invoices_of(subscription)[0].pays_reference)
        assert payment.refunded_minor == unused
        assert money_moves(sandbox_url, gateway, payer_id) == [
            ("capture", PRICE),
            ("refund", unused),
        ]
        refunds = LedgerEntry.objects.filter(account="REFUNDS", payer_id=payer_id)
        assert sum(e.debit_minor - e.credit_minor for e in refunds) == unused
        assert unbalanced_books() == {}
        assert renew_at(gateway, PERIOD_ENDS_AT).claimed == 0
        assert len(invoices_of(subscription)) == 1
        assert event_types(payer_id, after=cursor) == [
            "subscription.canceled",
            "payment.refunded",
        ]
