"""Changing plans: upgrades now with proration, downgrades at the end of the period.

An upgrade takes effect at once: a dearer plan of the same length, or a longer plan
(monthly to yearly: the payer commits to more). On a plan of the same length it is
prorated over what is left of the current period, with the formula of
`subscriptions.periods.plan_change_amounts`::

    credit = round_half_even(old_price * remaining / length)
    charge = round_half_even(new_price * remaining / length)
    invoice total = charge - credit

`remaining` and `length` are elapsed time to the microsecond. On a plan of another
length, a new period of the new plan starts now: the credit for the unused part of
the old period comes off the full new price, and a credit larger than the price is
kept for the next invoices. The invoice is charged to the subscription's card at
once: the plan changes when it is paid, and a declined upgrade changes nothing.

A downgrade (a cheaper plan of the same length, or a shorter plan) waits for the
end of the period; the next renewal bills the new plan. A trial changes plan at
once, with nothing to pay.

Only an upgrade of a paying subscription charges now. A caller that may not move
money (support staff) passes `may_charge=False`: the upgrade is then refused
before anything is issued, and the changes that charge nothing go ahead.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from dataclasses import dataclass
from fractions import Fraction
from typing import Final

from billing import outbox
from billing.errors import Conflict, DomainError
from billing.models import (
    Invoice,
    InvoiceStatus,
)
from billing.money import CurrencyMismatch
from billing.services import (
    void_invoice,
)
from payments.models import Payment, PaymentStatus
from payments.services import NoUsablePaymentMethod, charge_saved_card
from subscriptions.models import (
    LIVE_STATUSES,
    Plan,
    PlanPrice,
    Subscription,
    SubscriptionStatus,
)
from subscriptions.periods import (
    BillingCycle,
    Interval,
)
from subscriptions.services._billing_periods import next_look_at
from subscriptions.services._charge_outcomes import invoice_is_paid
from subscriptions.services._lifecycle import locked_subscription
from subscriptions.services._plans import active_plan
from subscriptions.services._subscription_history import record_subscription_event
from subscriptions.services._subscription_opening import AlreadySubscribed
from subscriptions.services._upgrade_invoices import (
    issue_upgrade_invoice,
    price_billed,
)

# The mean lengths of the calendar units in days (the Gregorian year is 365.2425
# days), to tell which of two plans is the longer.
_NOMINAL_DAYS: Final = {
    Interval.DAY: Fraction(1),
    Interval.WEEK: Fraction(7),
    Interval.MONTH: Fraction(146_097, 4_800),
    Interval.YEAR: Fraction(146_097, 400),
}
_CHANGEABLE: Final = (SubscriptionStatus.ACTIVE, SubscriptionStatus.TRIALING)


class PlanChangeNotAllowed(DomainError):
    """The subscription cannot move to that plan."""

    code = "plan_change_not_allowed"
    http_status = 409


class PlanChangePaymentFailed(DomainError):
    """The upgrade's payment was declined; the plan is unchanged."""

    code = "plan_change_payment_failed"
    http_status = 402


class PlanChangeChargesNow(Conflict):
    """The change is an upgrade, which charges the payer's card now."""

    code = "plan_change_charges_now"


class Timing(enum.StrEnum):
    NOW = "now"
    PERIOD_END = "period_end"
    # The upgrade's payment is still in progress (3-D Secure, unknown outcome): the
    # plan changes when it succeeds.
    AWAITING_PAYMENT = "awaiting_payment"
    UNCHANGED = "unchanged"


@dataclass(frozen=True, slots=True)
class PlanChange:
    subscription: Subscription
    timing: Timing
    invoice: Invoice | None = None
    payment: Payment | None = None


def change_plan(
    *,
    subscription_id: uuid.UUID,
    plan_code: str,
    now: dt.datetime,
    actor: str,
    payer_id: uuid.UUID | None = None,
    may_charge: bool = True,
) -> PlanChange:
    """Move a subscription to another plan (see the module for when and for how much).

    With `payer_id`, only that payer's subscription; another's is not found. With
    `may_charge=False`, an upgrade (the one change that charges now) is refused.

    :raises SubscriptionNotFound, RenewalInProgress, PlanNotFound, PlanInactive:
    :raises PlanChangeNotAllowed: unless active or trialing, or for a plan on
        another gateway.
    :raises CurrencyMismatch: for a plan priced in another currency.
    :raises AlreadySubscribed: when the payer already holds the new plan.
    :raises NoUsablePaymentMethod: for an upgrade with no card to charge.
    :raises PlanChangePaymentFailed: when the upgrade's payment is declined.
    :raises PlanChangeChargesNow: for an upgrade, when `may_charge` is false;
        nothing was changed or issued.
    """
    plan = active_plan(plan_code)
    with outbox.atomic():
        subscription = locked_subscription(subscription_id, now=now, payer_id=payer_id)
        price = plan.current_price
        assert price is not None
        if plan.id == subscription.plan_id and price.id == subscription.price_id:
            return PlanChange(subscription, Timing.UNCHANGED)
        _require_changeable(subscription, plan, price)
        if subscription.status == SubscriptionStatus.TRIALING:
            _switch(subscription, plan, price, now=now, actor=actor)
            return PlanChange(subscription, Timing.NOW)
        if not _is_upgrade(subscription, plan, price):
            _schedule(subscription, plan, price, now=now, actor=actor)
            return PlanChange(subscription, Timing.PERIOD_END)
        if not may_charge:
            raise PlanChangeChargesNow(
                extra={"subscription": str(subscription.id), "plan": plan.code}
            )
        subscription.scheduled_plan = None
        subscription.scheduled_price = None
        invoice = issue_upgrade_invoice(subscription, plan, price, now=now, actor=actor)
        if invoice.status == InvoiceStatus.PAID:
            apply_plan_change_outcome(subscription, invoice, None, now=now, actor=actor)
            return PlanChange(subscription, Timing.NOW, invoice)
    payment = _charge(subscription, invoice, now=now, actor=actor)
    with outbox.atomic():
        subscription = locked_subscription(subscription_id, now=now)
        timing = apply_plan_change_outcome(
            subscription, invoice, payment, now=now, actor=actor
        )
    if payment.status in (PaymentStatus.FAILED, PaymentStatus.CANCELED):
        raise PlanChangePaymentFailed(
            payment.failure_message or None,
            extra={"payment": str(payment.id), "failure_code": payment.failure_code},
        )
    invoice.refresh_from_db()
    return PlanChange(subscription, timing, invoice, payment)


def apply_plan_change_outcome(
    subscription: Subscription,
    invoice: Invoice,
    payment: Payment | None,
    *,
    now: dt.datetime,
    actor: str,
) -> Timing:
    """Switch plans once an upgrade's invoice is paid; void it when its payment fails.

    Safe to repeat. Saves the subscription.
    """
    if payment is not None and payment.id == subscription.latest_payment_id:
        return Timing.UNCHANGED
    if invoice_is_paid(invoice, payment) and subscription.is_live:
        price = price_billed(invoice)
        _switch(subscription, price.plan, price, now=now, actor=actor, invoice=invoice)
        timing = Timing.NOW
    elif payment is not None and payment.status in (
        PaymentStatus.FAILED,
        PaymentStatus.CANCELED,
    ):
        if invoice.status == InvoiceStatus.OPEN:
            void_invoice(
                invoice_id=invoice.id,
                at=now,
                actor=actor,
                reason="upgrade payment failed",
            )
        record_subscription_event(
            subscription,
            "subscription.plan_change_failed",
            at=now,
            extra={"invoice_id": invoice.id, "failure_code": payment.failure_code},
        )
        timing = Timing.UNCHANGED
    else:
        return Timing.AWAITING_PAYMENT
    if payment is not None:
        subscription.latest_payment_id = payment.id
    subscription.updated_at = now
    subscription.save()
    return timing


def _require_changeable(
    subscription: Subscription, plan: Plan, price: PlanPrice
) -> None:
    if subscription.status not in _CHANGEABLE:
        raise PlanChangeNotAllowed(
            f"A {subscription.status} subscription cannot change plan.",
            extra={"subscription": str(subscription.id)},
        )
    if plan.gateway != subscription.gateway:
        raise PlanChangeNotAllowed(
            "The new plan is charged through another gateway.",
            extra={"plan": plan.code, "gateway": plan.gateway},
        )
    if price.currency != subscription.price.currency:
        raise CurrencyMismatch(
            f"Cannot change from a {subscription.price.currency} plan to a"
            f" {price.currency} one.",
            extra={"currencies": [subscription.price.currency, price.currency]},
        )
    held = Subscription.objects.filter(
        payer_id=subscription.payer_id, plan=plan, status__in=LIVE_STATUSES
    ).exclude(id=subscription.id)
    if held.exists():
        raise AlreadySubscribed(extra={"plan": plan.code})


def _is_upgrade(subscription: Subscription, plan: Plan, price: PlanPrice) -> bool:
    """Whether the change takes effect now: a dearer plan of the same length, or a
    longer plan (the payer commits to more); a shorter one waits for the period end.
    """
    if plan.cycle == subscription.plan.cycle:
        return price.amount_minor > subscription.price.amount_minor
    return _nominal_days(plan.cycle) > _nominal_days(subscription.plan.cycle)


def _nominal_days(cycle: BillingCycle) -> Fraction:
    return _NOMINAL_DAYS[cycle.interval] * cycle.count


def _charge(
    subscription: Subscription, invoice: Invoice, *, now: dt.datetime, actor: str
) -> Payment:
    try:
        return charge_saved_card(
            payer_id=subscription.payer_id,
            amount=invoice.total,
            now=now,
            actor=actor,
            pays=invoice.pays_reference,
            description=invoice.description,
            payment_method_id=subscription.payment_method_id,
        )
    except NoUsablePaymentMethod:
        with outbox.atomic():
            void_invoice(
                invoice_id=invoice.id, at=now, actor=actor, reason="no card to charge"
            )
        raise


def _schedule(
    subscription: Subscription,
    plan: Plan,
    price: PlanPrice,
    *,
    now: dt.datetime,
    actor: str,
) -> None:
    subscription.scheduled_plan = plan
    subscription.scheduled_price = price
    subscription.updated_at = now
    subscription.save()
    record_subscription_event(
        subscription,
        "subscription.plan_change_scheduled",
        at=now,
        extra={
            "new_plan_id": plan.id,
            "new_price_id": price.id,
            "effective_at": subscription.current_period_ends_at.isoformat(),
            "actor": actor,
        },
    )


def _switch(
    subscription: Subscription,
    plan: Plan,
    price: PlanPrice,
    *,
    now: dt.datetime,
    actor: str,
    invoice: Invoice | None = None,
) -> None:
    """Put the subscription on `plan` now; a paid invoice of a new period starts it."""
    previous_plan_id = subscription.plan_id
    subscription.plan = plan
    subscription.price = price
    if (
        invoice is not None
        and invoice.period_ends_at is not None
        and invoice.period_starts_at is not None
        and invoice.period_ends_at != subscription.current_period_ends_at
    ):
        subscription.current_period_starts_at = invoice.period_starts_at
        subscription.current_period_ends_at = invoice.period_ends_at
        subscription.billing_anchor_at = invoice.period_starts_at
    subscription.due_at = next_look_at(subscription)
    subscription.updated_at = now
    subscription.save()
    record_subscription_event(
        subscription,
        "subscription.plan_changed",
        at=now,
        extra={
            "previous_plan_id": previous_plan_id,
            "invoice_id": invoice.id if invoice else None,
            "actor": actor,
        },
    )
