"""Every subscription transition is audited and becomes an outbox event."""

from __future__ import annotations

import datetime as dt
from typing import Any, Final

from billing.events import record_event
from billing.services import record_status_change
from subscriptions.models import Subscription, SubscriptionStatus

_EVENT_TYPES: Final = {
    SubscriptionStatus.TRIALING: "subscription.trial_started",
    SubscriptionStatus.ACTIVE: "subscription.activated",
    SubscriptionStatus.PAST_DUE: "subscription.past_due",
    SubscriptionStatus.PAUSED: "subscription.paused",
    SubscriptionStatus.CANCELED: "subscription.canceled",
    SubscriptionStatus.EXPIRED: "subscription.expired",
}


def subscription_payload(subscription: Subscription) -> dict[str, Any]:
    """Version 1 of the `subscription.*` event payload."""
    return {
        "subscription_id": str(subscription.id),
        "payer_id": str(subscription.payer_id),
        "plan_id": subscription.plan_id,
        "price_id": subscription.price_id,
        "gateway": subscription.gateway,
        "status": subscription.status,
        "current_period_starts_at": _text(subscription.current_period_starts_at),
        "current_period_ends_at": _text(subscription.current_period_ends_at),
        "trial_ends_at": _text(subscription.trial_ends_at),
        "cancel_at": _text(subscription.cancel_at),
        "retry_count": subscription.retry_count,
        "next_retry_at": _text(subscription.next_retry_at),
        "needs_new_payment_method": subscription.needs_new_payment_method,
    }


def move_subscription(
    subscription: Subscription,
    status: str,
    *,
    at: dt.datetime,
    actor: str,
    reason: str = "",
    event_type: str | None = None,
) -> str:
    """Move a locked subscription to `status`, audit it and record its event.

    The caller saves the row. Returns the status left.

    :raises InvalidStatusTransition: when the state machine does not allow it.
    """
    previous = subscription.transition_to(status, at=at)
    record_status_change(
        object_type="subscription",
        object_id=str(subscription.id),
        from_status=previous,
        to_status=status,
        actor=actor,
        reason=reason,
        at=at,
    )
    record_subscription_event(
        subscription,
        event_type or _EVENT_TYPES[SubscriptionStatus(status)],
        at=at,
        extra={"previous_status": previous, "reason": reason},
    )
    return previous


def record_subscription_event(
    subscription: Subscription,
    type: str,
    *,
    at: dt.datetime,
    extra: dict[str, Any] | None = None,
) -> None:
    """Record a `subscription.*` event that is not a status change (a renewal …)."""
    record_event(
        type=type,
        occurred_at=at,
        payer_id=subscription.payer_id,
        payload={**subscription_payload(subscription), **(extra or {})},
    )


def _text(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
