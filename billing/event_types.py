"""Every event type the outbox carries: the names consumers may filter the stream by.

A service that starts recording a new type adds it here, or `EventService.Subscribe`
refuses a consumer that asks for it by name (INVALID_ARGUMENT, so a typo in a
consumer's filter fails loudly instead of waiting forever). The stream itself sends
every row whatever its type.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

EVENT_TYPES: Final = frozenset(
    {
        # billing
        "invoice.created",
        "invoice.paid",
        "invoice.voided",
        "invoice.marked_uncollectible",
        "invoice.payment_unapplied",
        "payer.forgotten",
        "reconciliation.discrepancy",
        # payments
        "payment.requires_action",
        "payment.authorized",
        "payment.succeeded",
        "payment.captured",
        "payment.voided",
        "payment.canceled",
        "payment.failed",
        "payment.outcome_unknown",
        "payment.refunded",
        "refund_request.filed",
        "refund_request.approved",
        "refund_request.rejected",
        "refund_request.executed",
        "refund_request.failed",
        "payment.mismatch",
        "payment_method.verified",
        "payment_method.verification_failed",
        "payment_method.expired",
        # subscriptions
        "plan.activated",
        "plan.deactivated",
        "plan.price_changed",
        "plan.subscribers_migrated",
        "subscription.created",
        "subscription.trial_started",
        "subscription.activated",
        "subscription.renewed",
        "subscription.past_due",
        "subscription.paused",
        "subscription.resumed",
        "subscription.canceled",
        "subscription.expired",
        "subscription.cancellation_scheduled",
        "subscription.cancellation_undone",
        "subscription.payment_failed",
        "subscription.payment_not_applied",
        "subscription.payment_method_changed",
        "subscription.payment_method_required",
        "subscription.plan_change_scheduled",
        "subscription.plan_changed",
        "subscription.plan_change_failed",
        "subscription.retry_requested",
    }
)


def unknown_event_types(types: Iterable[str]) -> list[str]:
    """The names in `types` that are no event type, in the order given."""
    return [name for name in types if name not in EVENT_TYPES]
