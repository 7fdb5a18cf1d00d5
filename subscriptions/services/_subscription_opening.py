"""Opening a subscription: the payer's INCOMPLETE subscription to a plan and, without
a trial, its first invoice, saved in one transaction before any card is asked.

Both ways of subscribing start here: with a card given to the service
(`_subscribe`) and on a hosted checkout page (`_plan_checkout`).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Final

from django.conf import settings
from django.db import IntegrityError

from billing import outbox
from billing.errors import Conflict
from billing.models import BillingReason, Invoice
from billing.money import Money
from billing.services import RequestKey, ensure_payer, issue_invoice, remember_request
from subscriptions.models import LIVE_STATUSES, Plan, Subscription, SubscriptionStatus
from subscriptions.periods import BillingCycle, Interval, Period, add_intervals
from subscriptions.services._billing_periods import first_period, zone_named
from subscriptions.services._period_invoices import period_invoice_draft
from subscriptions.services._subscription_history import record_subscription_event

# Stripe's choice too: a first payment not completed within a day is given up.
INCOMPLETE_EXPIRES_AFTER: Final = dt.timedelta(hours=23)
# How a stored idempotency key names the subscription its request opened.
_RESULT_PREFIX: Final = "subscription:"


class AlreadySubscribed(Conflict):
    """The payer already has a live subscription to this plan."""

    code = "already_subscribed"


def open_subscription(
    *,
    payer_id: uuid.UUID,
    plan: Plan,
    with_trial: bool,
    time_zone: str,
    now: dt.datetime,
    actor: str,
    expires_at: dt.datetime | None = None,
    request_key: RequestKey | None = None,
) -> tuple[Subscription, Invoice | None]:
    """Save the payer's INCOMPLETE subscription to an offered plan and, without a
    trial, its first invoice, in one transaction.

    It waits for its first payment (or its trial's card check) until `expires_at`,
    by default `INCOMPLETE_EXPIRES_AFTER` from now, when the renewal run expires
    it unless a payment for it is still in flight. A caller's `request_key` is
    stored in the same transaction, with the subscription as its result.

    :raises UnknownTimeZone: for a time zone that is not an IANA name.
    :raises AlreadySubscribed: when the payer has a live subscription to the plan.
    :raises KeyTaken: when a concurrent request stored `request_key` first.
    """
    zone_named(time_zone)
    ensure_payer(payer_id=payer_id)
    trial_days = plan.trial_days if with_trial else 0
    price = plan.current_price
    assert price is not None
    if trial_days:
        local_now = now.astimezone(zone_named(time_zone))
        trial_ends_at = add_intervals(local_now, BillingCycle(Interval.DAY), trial_days)
        period = Period(local_now, trial_ends_at)
        anchor = trial_ends_at
    else:
        period = first_period(now, plan.cycle, time_zone=time_zone)
        trial_ends_at = None
        anchor = period.starts_at
    try:
        with outbox.atomic():
            subscription = Subscription.objects.create(
                payer_id=payer_id,
                plan=plan,
                price=price,
                gateway=plan.gateway,
                status=SubscriptionStatus.INCOMPLETE,
                billing_anchor_at=anchor,
                time_zone=time_zone,
                current_period_starts_at=period.starts_at,
                current_period_ends_at=period.ends_at,
                trial_ends_at=trial_ends_at,
                due_at=expires_at or now + INCOMPLETE_EXPIRES_AFTER,
                created_at=now,
                updated_at=now,
            )
            if request_key is not None:
                remember_request(
                    request_key, result=subscription_result(subscription), now=now
                )
            record_subscription_event(
                subscription, "subscription.created", at=now, extra={"actor": actor}
            )
            invoice = (
                None if trial_days else _first_invoice(subscription, plan, now, actor)
            )
    except IntegrityError as exc:
        live = Subscription.objects.filter(
            payer_id=payer_id, plan=plan, status__in=LIVE_STATUSES
        )
        if live.exists():
            raise AlreadySubscribed(extra={"plan": plan.code}) from exc
        raise
    return subscription, invoice


def _first_invoice(
    subscription: Subscription, plan: Plan, now: dt.datetime, actor: str
) -> Invoice:
    draft = period_invoice_draft(
        subscription,
        subscription.current_period,
        plan,
        subscription.price,
        reason=BillingReason.SUBSCRIPTION_CREATE,
    )
    return issue_invoice(draft, now=now, actor=actor)


def verification_amount(currency: str) -> Money:
    """What checking a new card authorizes, and voids at once, in `currency`."""
    return Money(settings.CARD_VERIFICATION_AMOUNT_MINOR, currency)


def card_check_purpose(subscription: Subscription) -> str:
    """What a trial's card check is for (`CardSetup.purpose`)."""
    return f"subscription:{subscription.id}"


def subscription_result(subscription: Subscription) -> str:
    """How a stored idempotency key names the subscription its request opened."""
    return f"{_RESULT_PREFIX}{subscription.id}"


def subscription_of_result(result: str) -> uuid.UUID:
    """The subscription a stored idempotency key's `result` names."""
    return uuid.UUID(result.removeprefix(_RESULT_PREFIX))
