"""Pausing stops charging, even past the period end; resuming moves the period end
by the time paused, and the renewal happens then."""

from __future__ import annotations

import datetime as dt

import pytest

from billing.models import InvoiceStatus
from subscriptions.models import SubscriptionStatus
from subscriptions.services import pause_subscription, resume_subscription
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
    subscribe_with,
    unbalanced_books,
)

pytestmark = [pytest.mark.django_db, pytest.mark.sandbox]

CARD = {"cloudpayments": "4000000000003055", "stripe": "4242424242424242"}
PERIOD_ENDS_AT = dt.datetime(2026, 2, 28, 9, 0, tzinfo=dt.UTC)
PAUSED_AT = START + dt.timedelta(days=10)
PAUSED_FOR = dt.timedelta(days=40, hours=5, minutes=17)
RESUMED_AT = PAUSED_AT + PAUSED_FOR


@pytest.mark.parametrize("gateway", GATEWAYS)
class TestPauseAndResume:
    def test_nothing_is_charged_while_paused_and_the_renewal_moves_by_the_pause(
        self, gateway: str, sandbox_url: str
    ) -> None:
        plan = make_plan(gateway)
        subscription = subscribe_with(sandbox_url, plan, CARD[gateway]).subscription
        payer_id = subscription.payer_id
        assert subscription.current_period_ends_at == PERIOD_ENDS_AT
        cursor = latest_cursor()

        paused = pause_subscription(
            subscription_id=subscription.id, now=PAUSED_AT, actor=PAYER
        )
        while_paused = [
            renew_at(gateway, moment)
            for moment in (PERIOD_ENDS_AT, PERIOD_ENDS_AT + dt.timedelta(days=20))
        ]
        resumed = resume_subscription(
            subscription_id=subscription.id, now=RESUMED_AT, actor=PAYER
        )
        moved_end = PERIOD_ENDS_AT + PAUSED_FOR
        early = renew_at(gateway, moved_end - dt.timedelta(seconds=1))
        report = renew_at(gateway, moved_end)

        assert paused.status == SubscriptionStatus.PAUSED
        assert paused.due_at is None
        assert [r.claimed for r in while_paused] == [0, 0]
        assert resumed.status == SubscriptionStatus.ACTIVE
        assert resumed.current_period_starts_at == START
        assert resumed.current_period_ends_at == moved_end
        assert resumed.due_at == moved_end
        assert early.claimed == 0
        assert report.paid == 1
        subscription = reloaded(subscription)
        assert subscription.status == SubscriptionStatus.ACTIVE
        assert subscription.current_period_starts_at == moved_end
        assert subscription.current_period_ends_at == dt.datetime(
            2026, 5, 9, 14, 17, tzinfo=dt.UTC
        )
        renewal = invoices_of(subscription)[-1]
        assert (renewal.status, renewal.period_starts_at) == (
            InvoiceStatus.PAID,
            moved_end,
        )
        assert len(invoices_of(subscription)) == 2
        assert money_moves(sandbox_url, gateway, payer_id) == [
            ("capture", 99_900),
            ("capture", 99_900),
        ]
        assert event_types(payer_id, after=cursor) == [
            "subscription.paused",
            "subscription.resumed",
            "invoice.created",
            "invoice.paid",
            "payment.succeeded",
            "subscription.renewed",
        ]
        assert unbalanced_books() == {}
