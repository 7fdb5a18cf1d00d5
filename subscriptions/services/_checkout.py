"""Hosted checkout of a plan: the subscription starts INCOMPLETE with its page.

The page (a payments checkout session) either pays the first invoice, with a
payment that pays `invoice:<id>`, so that billing marks the invoice paid; or, for a
trial, checks the card without charging it, with a card setup for
`subscription:<uuid>`. Either outcome reaches the subscription the way a payment
settled by the janitor does: the payments app signals it, and
`subscriptions.receivers` has the subscription follow (ACTIVE, TRIALING, or
EXPIRED when the card is refused). A page left unused makes the subscription
expire once the page can no longer be used (`CHECKOUT_SESSION_SETTLES_WITHIN`
after its expiry), so that the payer can be sent to a new one.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from billing import outbox
from billing.models import Invoice
from payments.models import CheckoutSession, CheckoutSessionMode
from payments.services import (
    CHECKOUT_SESSION_SETTLES_WITHIN,
    CHECKOUT_SESSION_TTL,
    create_checkout_session,
)
from subscriptions.models import Plan, PlanPrice, Subscription
from subscriptions.services._billing_periods import zone_named
from subscriptions.services._plans import active_plan
from subscriptions.services._subscribe import open_subscription, verification_amount

# The longest description a checkout session shows.
_DESCRIPTION_LENGTH = 200


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
    :raises AlreadySubscribed: when the payer has a live subscription to the plan.
    :raises InvalidCheckoutSession: for a success/failure URL that is not http(s)
        or a plan whose gateway is not configured.
    """
    plan = active_plan(plan_code)
    price = plan.current_price
    assert price is not None
    with outbox.atomic():
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
            pays, setup_purpose = "", f"subscription:{subscription.id}"
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
