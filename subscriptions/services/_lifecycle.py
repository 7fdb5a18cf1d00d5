"""A subscriber's own changes: pause, resume, a new card, and a retry of a
past-due charge now (cancelling is `_cancellation`'s).

Each locks the subscription, refuses what its state does not allow, and is safe to
repeat: asking for what is already so returns the subscription unchanged. Changes
wait while the renewal run is charging the subscription (`RenewalInProgress`), so
that a renewal never lands on a subscription changed under it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Final

from billing import outbox
from billing.errors import Conflict, InvalidStatusTransition
from payments.selectors import (
    default_payment_methods,
    payment_method_is_usable,
    payment_method_is_usable_for,
)
from payments.services import NoUsablePaymentMethod
from subscriptions.models import Subscription, SubscriptionStatus
from subscriptions.services._billing_periods import next_look_at
from subscriptions.services._subscribe import SubscriptionNotFound
from subscriptions.services._subscription_history import (
    move_subscription,
    record_subscription_event,
)

_PAUSABLE: Final = (SubscriptionStatus.ACTIVE, SubscriptionStatus.TRIALING)


class RenewalInProgress(Conflict):
    """The subscription is being renewed right now; try again in a minute."""

    code = "renewal_in_progress"


def pause_subscription(
    *, subscription_id: uuid.UUID, now: dt.datetime, actor: str
) -> Subscription:
    """Stop charging until resumed; the period is extended by the time paused.

    :raises SubscriptionNotFound, RenewalInProgress:
    :raises InvalidStatusTransition: unless the subscription is active or trialing.
    """
    with outbox.atomic():
        subscription = locked_subscription(subscription_id, now=now)
        if subscription.status == SubscriptionStatus.PAUSED:
            return subscription
        if subscription.status not in _PAUSABLE:
            raise InvalidStatusTransition(
                f"A {subscription.status} subscription cannot be paused.",
                extra={"subscription": str(subscription.id)},
            )
        subscription.due_at = None
        move_subscription(subscription, SubscriptionStatus.PAUSED, at=now, actor=actor)
        subscription.save()
    return subscription


def resume_subscription(
    *, subscription_id: uuid.UUID, now: dt.datetime, actor: str
) -> Subscription:
    """Resume a paused subscription where it stopped.

    The period (and a trial, and a pending cancellation) end as much later as the
    pause lasted, and later periods follow from the new end: the billing anchor
    moves to it, so a monthly subscription paused for five days renews five days
    later each month from now on.

    :raises SubscriptionNotFound, RenewalInProgress:
    :raises InvalidStatusTransition: unless the subscription is paused.
    """
    with outbox.atomic():
        subscription = locked_subscription(subscription_id, now=now)
        if (
            subscription.status != SubscriptionStatus.PAUSED
            or subscription.paused_at is None
        ):
            raise InvalidStatusTransition(
                f"A {subscription.status} subscription cannot be resumed.",
                extra={"subscription": str(subscription.id)},
            )
        paused_for = now - subscription.paused_at
        subscription.current_period_ends_at += paused_for
        subscription.billing_anchor_at = subscription.current_period_ends_at
        trialing = subscription.trial_ends_at is not None and (
            subscription.trial_ends_at > subscription.paused_at
        )
        if trialing and subscription.trial_ends_at is not None:
            subscription.trial_ends_at += paused_for
        if subscription.cancel_at is not None:
            subscription.cancel_at += paused_for
        subscription.paused_at = None
        subscription.due_at = next_look_at(subscription)
        move_subscription(
            subscription,
            SubscriptionStatus.TRIALING if trialing else SubscriptionStatus.ACTIVE,
            at=now,
            actor=actor,
            reason=f"paused for {paused_for}",
            event_type="subscription.resumed",
        )
        subscription.save()
    return subscription


def change_payment_method(
    *,
    subscription_id: uuid.UUID,
    payment_method_id: uuid.UUID,
    now: dt.datetime,
    actor: str,
) -> Subscription:
    """Charge another of the payer's saved cards from now on.

    A past-due subscription is retried with the new card at the next run (within
    a minute), whatever its dunning schedule said.

    :raises SubscriptionNotFound, RenewalInProgress:
    :raises NoUsablePaymentMethod: for a card that is not the payer's, not on the
        subscription's gateway, or cannot be charged.
    :raises InvalidStatusTransition: for an ended subscription.
    """
    with outbox.atomic():
        subscription = locked_subscription(subscription_id, now=now)
        _require_live(subscription)
        if not payment_method_is_usable_for(
            payment_method_id=payment_method_id,
            payer_id=subscription.payer_id,
            gateway=subscription.gateway,
        ):
            raise NoUsablePaymentMethod(
                "That card cannot be charged for this subscription.",
                extra={"payment_method": str(payment_method_id)},
            )
        subscription.payment_method_id = payment_method_id
        if subscription.status == SubscriptionStatus.PAST_DUE:
            _retry_soon(subscription, now=now)
        subscription.updated_at = now
        subscription.save()
        record_subscription_event(
            subscription,
            "subscription.payment_method_changed",
            at=now,
            extra={"payment_method_id": str(payment_method_id), "actor": actor},
        )
    return subscription


def retry_past_due_now(
    *, subscription_id: uuid.UUID, now: dt.datetime, actor: str
) -> Subscription:
    """Have the next run (within a minute) retry a past-due subscription's invoice.

    :raises SubscriptionNotFound, RenewalInProgress:
    :raises InvalidStatusTransition: unless the subscription is past due.
    :raises NoUsablePaymentMethod: when its card was retired (expired, lost,
        stolen) and the payer has no other: a new card is needed, not a retry.
    """
    with outbox.atomic():
        subscription = locked_subscription(subscription_id, now=now)
        if subscription.status != SubscriptionStatus.PAST_DUE:
            raise InvalidStatusTransition(
                "Only a past-due subscription is retried.",
                extra={"subscription": str(subscription.id)},
            )
        if subscription.needs_new_payment_method and not _has_usable_card(subscription):
            raise NoUsablePaymentMethod(
                "The card was declined for good; the payer must give a new one.",
                extra={"subscription": str(subscription.id)},
            )
        _retry_soon(subscription, now=now)
        subscription.updated_at = now
        subscription.save()
        record_subscription_event(
            subscription,
            "subscription.retry_requested",
            at=now,
            extra={"actor": actor},
        )
    return subscription


def _has_usable_card(subscription: Subscription) -> bool:
    """The subscription's own card, or the payer's default, can still be charged."""
    if payment_method_is_usable(payment_method_id=subscription.payment_method_id):
        return True
    defaults = default_payment_methods(
        payer_ids=[subscription.payer_id], gateway=subscription.gateway
    )
    return subscription.payer_id in defaults


def _retry_soon(subscription: Subscription, *, now: dt.datetime) -> None:
    subscription.needs_new_payment_method = False
    subscription.next_retry_at = now
    subscription.due_at = now


def locked_subscription(
    subscription_id: uuid.UUID,
    *,
    now: dt.datetime,
    payer_id: uuid.UUID | None = None,
) -> Subscription:
    """The subscription, locked; refused while a renewal of it is being charged.

    With `payer_id`, another payer's subscription is not found, exactly like one
    that does not exist: an end user's request cannot probe other payers' ids.

    :raises SubscriptionNotFound, RenewalInProgress:
    """
    subscriptions = (
        Subscription.objects.select_for_update(of=("self",))
        .select_related("plan")
        .filter(id=subscription_id)
    )
    if payer_id is not None:
        subscriptions = subscriptions.filter(payer_id=payer_id)
    subscription = subscriptions.first()
    if subscription is None:
        raise SubscriptionNotFound(extra={"subscription": str(subscription_id)})
    leased = subscription.due_at is not None and subscription.due_at > now
    if subscription.claimed_by is not None and leased:
        raise RenewalInProgress(extra={"subscription": str(subscription.id)})
    return subscription


def _require_live(subscription: Subscription) -> None:
    if not subscription.is_live:
        raise InvalidStatusTransition(
            f"The subscription is {subscription.status}.",
            extra={"subscription": str(subscription.id)},
        )
