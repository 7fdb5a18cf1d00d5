"""Hosted checkout of a plan: the subscription starts INCOMPLETE with its page.

The page (a payments checkout session) either pays the first invoice, with a
payment that pays `invoice:<id>`, so that billing marks the invoice paid; or, for a
trial, checks the card without charging it, with a card setup for
`subscription:<uuid>`. Either outcome reaches the subscription the way a payment
settled by the janitor does: the payments app signals it, and
`subscriptions.receivers` has the subscription follow (ACTIVE, TRIALING, or
EXPIRED when the card is refused). A page left unused makes the subscription
expire once the page can no longer be used (`CHECKOUT_SESSION_SETTLES_WITHIN`
after its expiry), so that the payer can be sent to a new one; a payer who asks
for a new page before then gets it, and the unused one expires with its
subscription at once.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from billing import outbox
from billing.models import Invoice, InvoiceStatus
from billing.services import void_invoice
from payments.models import CheckoutSession, CheckoutSessionMode
from payments.services import (
    CHECKOUT_SESSION_SETTLES_WITHIN,
    CHECKOUT_SESSION_TTL,
    create_checkout_session,
    expire_unused_checkout_session,
)
from subscriptions.models import Plan, PlanPrice, Subscription, SubscriptionStatus
from subscriptions.services._billing_periods import zone_named
from subscriptions.services._plans import active_plan
from subscriptions.services._subscription_history import move_subscription
from subscriptions.services._subscription_opening import (
    card_check_purpose,
    open_subscription,
    verification_amount,
)

# The longest description a checkout session shows.
_DESCRIPTION_LENGTH = 200
_REPLACED = "its checkout page was left unused and a new one opened"


@dataclass(frozen=True, slots=True)
class PlanCheckout:
    """A checkout page opened for a plan, with the subscription it starts."""

    session: CheckoutSession
    subscription: Subscription
    # The first invoice the page pays (None with a trial: the page checks the card).
    invoice: Invoice | None = None


def open_plan_checkout(
    *,
    payer_id: uuid.UUID,
    plan_code: str,
    success_url: str,
    failure_url: str,
    created_by: str,
    now: dt.datetime,
    with_trial: bool = True,
    time_zone: str = "UTC",
) -> PlanCheckout:
    """Start the payer's subscription INCOMPLETE and open the page that starts it.

    The plan's gateway and current price apply. With a trial (unless `with_trial`
    is False) the page verifies a card and charges nothing; otherwise it pays the
    first invoice. The subscription, its first invoice and the page are saved in
    one transaction: nothing is kept when any of them cannot be.

    :raises PlanNotFound, PlanInactive: for a plan not offered.
    :raises UnknownTimeZone: for a time zone that is not an IANA name.
    :raises AlreadySubscribed: when the payer has a live subscription to the plan,
        other than one waiting for a page nobody has started on (that one expires).
    :raises InvalidCheckoutSession: for a success/failure URL that is not http(s)
        or a plan whose gateway is not configured.
    """
    plan = active_plan(plan_code)
    price = plan.current_price
    assert price is not None
    with outbox.atomic():
        _end_unused_checkout(payer_id=payer_id, plan=plan, now=now, actor=created_by)
        subscription, invoice = open_subscription(
            payer_id=payer_id,
            plan=plan,
            with_trial=with_trial,
            time_zone=time_zone,
            now=now,
            actor=created_by,
            expires_at=now + CHECKOUT_SESSION_TTL + CHECKOUT_SESSION_SETTLES_WITHIN,
        )
        # Without a trial the page pays the first invoice; with one it checks a card.
        if invoice is not None:
            mode, amount = CheckoutSessionMode.PAYMENT, invoice.total
            pays, setup_purpose = invoice.pays_reference, ""
        else:
            mode, amount = (
                CheckoutSessionMode.CARD_SETUP,
                verification_amount(price.currency),
            )
            pays, setup_purpose = "", card_check_purpose(subscription)
        session = create_checkout_session(
            payer_id=payer_id,
            amount=amount,
            gateway=plan.gateway,
            success_url=success_url,
            failure_url=failure_url,
            created_by=created_by,
            now=now,
            description=_what_is_bought(plan, price, subscription),
            expires_in=CHECKOUT_SESSION_TTL,
            mode=mode,
            pays=pays,
            setup_purpose=setup_purpose,
        )
    return PlanCheckout(session, subscription, invoice)


def _end_unused_checkout(
    *, payer_id: uuid.UUID, plan: Plan, now: dt.datetime, actor: str
) -> None:
    """Expire the payer's INCOMPLETE subscription to `plan` if its page is unused.

    A payer who closed the page and asks again gets a new one instead of
    AlreadySubscribed until the old page would have expired. A page someone has
    started on (a payment or a card check made through it) keeps its subscription,
    and the refusal stands. The page expires first, by an UPDATE that requires it
    unclaimed: a payer starting on it at the same moment either claims it first
    (and the refusal stands) or finds it expired.
    """
    subscription = (
        Subscription.objects.select_for_update()
        .filter(payer_id=payer_id, plan=plan, status=SubscriptionStatus.INCOMPLETE)
        .first()
    )
    if subscription is None:
        return
    invoice = Invoice.objects.filter(
        subscription_id=subscription.id, status=InvoiceStatus.OPEN
    ).first()
    if invoice is not None:
        reference, mode = invoice.pays_reference, CheckoutSessionMode.PAYMENT
    else:
        reference = card_check_purpose(subscription)
        mode = CheckoutSessionMode.CARD_SETUP
    if not expire_unused_checkout_session(reference=reference, mode=mode, now=now):
        return
    if invoice is not None:
        void_invoice(invoice_id=invoice.id, at=now, actor=actor, reason=_REPLACED)
    subscription.due_at = None
    subscription.claimed_by = None
    move_subscription(
        subscription, SubscriptionStatus.EXPIRED, at=now, actor=actor, reason=_REPLACED
    )
    subscription.save()


def _what_is_bought(plan: Plan, price: PlanPrice, subscription: Subscription) -> str:
    """The plan's name and price per period, and when a trial ends."""
    count = plan.interval_count
    per = plan.interval if count == 1 else f"{count} {plan.interval}s"
    price_text = f"{price.amount.format()} per {per}"
    if subscription.trial_ends_at is None:
        text = f"{plan.name}: {price_text}"
    else:
        ends = subscription.trial_ends_at.astimezone(zone_named(subscription.time_zone))
        when = f"{ends.day} {ends:%B %Y}"
        text = f"{plan.name}: the trial ends on {when}, then {price_text}"
    return text[:_DESCRIPTION_LENGTH]
