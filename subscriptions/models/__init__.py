"""Subscriptions: plans, their price history, and the subscriptions to them."""

from subscriptions.models._plans import Plan, PlanPrice
from subscriptions.models._subscriptions import (
    ALLOWED_TRANSITIONS,
    LIVE_STATUSES,
    Subscription,
    SubscriptionStatus,
)

__all__ = [
    "ALLOWED_TRANSITIONS",
    "LIVE_STATUSES",
    "Plan",
    "PlanPrice",
    "Subscription",
    "SubscriptionStatus",
]
