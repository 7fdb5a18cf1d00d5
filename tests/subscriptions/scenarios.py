"""Subscriptions in the states staff act on, made through the services on the fake
gateway, around the wall clock that the admin and the API read (`billing_now()`)."""

from __future__ import annotations

import datetime as dt

from billing.clock import billing_now
from payments.gateways.base import Declined
from payments.gateways.fake import FakeGateway
from subscriptions.models import Plan, Subscription
from subscriptions.services import (
    cancel_subscription,
    pause_subscription,
    renew_due_subscriptions,
)
from tests.subscriptions.factories import ACTOR, make_plan, subscribe_with_card

# A monthly period is at least 28 days long, so one that began this long ago ends
# within a day or two from now.
ALMOST_A_MONTH = dt.timedelta(days=27)


def active(plan: Plan | None = None, *, days_ago: int = 10) -> Subscription:
    """ACTIVE, paid, `days_ago` into its first monthly period."""
    started = subscribe_with_card(
        plan or make_plan(),
        now=billing_now() - dt.timedelta(days=days_ago),
        with_trial=False,
    )
    return started.subscription


def past_due(fake_gateway: FakeGateway, plan: Plan | None = None) -> Subscription:
    """PAST_DUE: its renewal was declined (a soft decline, so a retry is scheduled)."""
    subscription = subscribe_with_card(
        plan or make_plan(), now=billing_now() - ALMOST_A_MONTH, with_trial=False
    ).subscription
    fake_gateway.script(
        "charge",
        Declined(reason_code="5051", message="Insufficient funds", hard=False),
    )
    renewal_at = subscription.current_period_ends_at + dt.timedelta(minutes=1)
    renew_due_subscriptions(gateway="fake", clock=lambda: renewal_at)
    subscription.refresh_from_db()
    assert subscription.status == "PAST_DUE", subscription.status
    return subscription


def paused(plan: Plan | None = None) -> Subscription:
    """PAUSED since a day ago."""
    subscription = active(plan)
    return pause_subscription(
        subscription_id=subscription.id,
        now=billing_now() - dt.timedelta(days=1),
        actor=ACTOR,
    )


def canceling(plan: Plan | None = None) -> Subscription:
    """ACTIVE, with a cancellation at the end of its period."""
    subscription = active(plan)
    return cancel_subscription(
        subscription_id=subscription.id,
        now=billing_now() - dt.timedelta(hours=1),
        actor=ACTOR,
        at_period_end=True,
        reason="moving abroad",
    ).subscription
