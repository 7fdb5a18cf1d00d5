"""Claiming due subscriptions for a renewal run, and handing over a dead run's.

A claim takes a batch with `SELECT … FOR UPDATE SKIP LOCKED`, so that concurrent
claimers never take the same subscription, and marks it with the run and a lease
(`due_at` moved `CLAIM_LEASE` ahead); the batch's charges are prepared in the
claim's transaction.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from typing import Final

from django.db import IntegrityError
from django.db.models import F, Q

from billing import outbox
from subscriptions.models import Subscription, SubscriptionStatus
from subscriptions.services._billing_periods import first_period, period_after
from subscriptions.services._charge_outcomes import RECHECK_AFTER
from subscriptions.services._renewal_charges import RenewalTarget, prepare_charges
from subscriptions.services._renewal_context import PreparedCharge, RenewalRun
from subscriptions.services._renewal_outcomes import end_scheduled

logger = logging.getLogger(__name__)

# How long a claimed subscription is left alone while its charge is on the way.
CLAIM_LEASE: Final = dt.timedelta(minutes=10)


def release_dead_claims(run: RenewalRun) -> None:
    """Make the claims of earlier runs due at once: `run` holds the lock, so they
    were made by runs that died (or were killed) with charges on the way."""
    # Back to the moment of the claim (the lease's end less the lease), so that
    # they come first, while their PENDING payments are young enough to resend.
    released = (
        Subscription.objects.filter(gateway=run.gateway, claimed_by__isnull=False)
        .exclude(claimed_by=run.run_id)
        .update(due_at=F("due_at") - CLAIM_LEASE, claimed_by=None)
    )
    if released:
        logger.warning(
            "subscription.renewal.dead_claims_released",
            extra={"gateway": run.gateway, "subscriptions": released},
        )


def claim_and_prepare(run: RenewalRun) -> list[PreparedCharge] | None:
    """Claim a batch and prepare its charges; None when nothing is due.

    A batch that conflicts with a constraint (another process billed one of
    its periods meanwhile) is rolled back whole and redone one subscription at
    a time, so that one conflict holds up nobody else.
    """
    try:
        return _claim_and_prepare(run)
    except IntegrityError:
        logger.exception("Unable to prepare a renewal batch; going one by one")
    candidates = list(
        Subscription.objects.filter(_due(run), gateway=run.gateway)
        .order_by("due_at")
        .values_list("id", flat=True)[: run.batch_size]
    )
    charges: list[PreparedCharge] = []
    for subscription_id in candidates:
        try:
            charges.extend(_claim_and_prepare(run, only=subscription_id) or [])
        except IntegrityError:
            logger.exception(
                "Unable to prepare a renewal",
                extra={"subscription": str(subscription_id)},
            )
            Subscription.objects.filter(id=subscription_id).update(
                due_at=run.clock() + RECHECK_AFTER, claimed_by=None
            )
    return charges if candidates else None


def _claim_and_prepare(
    run: RenewalRun, *, only: uuid.UUID | None = None
) -> list[PreparedCharge] | None:
    with outbox.atomic():
        subscriptions = _claim(run, only=only)
        if not subscriptions:
            return None
        run.report.count("claimed", len(subscriptions))
        targets = [t for s in subscriptions if (t := _target(run, s)) is not None]
        return prepare_charges(run, targets)


def _due(run: RenewalRun) -> Q:
    due = Q(due_at__lte=run.as_of)
    for payer_id, offset in run.offsets.items():
        due |= Q(payer_id=payer_id, due_at__lte=run.as_of + offset)
    return due


def _claim(run: RenewalRun, *, only: uuid.UUID | None = None) -> list[Subscription]:
    due = _due(run) if only is None else _due(run) & Q(id=only)
    subscriptions = list(
        Subscription.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related(
            "plan",
            "price",
            "scheduled_plan",
            "scheduled_price",
            "payment_method__payer",
        )
        .filter(due, gateway=run.gateway)
        .order_by("due_at")[: run.batch_size]
    )
    if subscriptions:
        lease_until = run.clock() + CLAIM_LEASE
        Subscription.objects.filter(id__in=[s.id for s in subscriptions]).update(
            due_at=lease_until, claimed_by=run.run_id
        )
    return subscriptions


def _target(run: RenewalRun, subscription: Subscription) -> RenewalTarget | None:
    """What a claimed subscription is due for; None when it was dealt with."""
    now = run.now_for(subscription.payer_id)
    status = subscription.status
    renewing = (SubscriptionStatus.ACTIVE, SubscriptionStatus.TRIALING)
    owing = (SubscriptionStatus.PAST_DUE, SubscriptionStatus.INCOMPLETE)
    if status in (*renewing, SubscriptionStatus.PAST_DUE) and (
        subscription.cancel_at is not None and subscription.cancel_at <= now
    ):
        end_scheduled(run, subscription, now=now)
        return None
    if status in renewing:
        return next_period(subscription)
    if status in owing:
        return RenewalTarget(
            subscription,
            subscription.current_period,
            subscription.plan,
            subscription.price,
        )
    # Paused or ended since it was scheduled: nothing is due any more.
    subscription.due_at = None
    subscription.claimed_by = None
    subscription.save(update_fields=["due_at", "claimed_by"])
    return None


def next_period(subscription: Subscription) -> RenewalTarget:
    plan = subscription.scheduled_plan or subscription.plan
    price = subscription.scheduled_price or subscription.price
    if plan.cycle == subscription.plan.cycle:
        period = period_after(subscription, plan.cycle)
    else:
        period = first_period(
            subscription.current_period_ends_at,
            plan.cycle,
            time_zone=subscription.time_zone,
        )
    return RenewalTarget(subscription, period, plan, price)
