"""What a payment's outcome means for the subscription whose invoice it pays.

One place decides it, whoever learnt the outcome: the renewal run (in the same
transaction as the payment's answer), the subscribe flow, or a task after the janitor
or a webhook settled a payment. The subscription is locked by the caller, and every
step is a no-op when repeated, so the same outcome applied twice changes nothing.

Dunning. A failed renewal moves the subscription into the new period as PAST_DUE
(access continues) and schedules retries of the same invoice `DUNNING_RETRY_DAYS`
after the first failure (default 1, 3, 5, 7 days). A hard decline (the card is
expired, lost or stolen, or there is no usable card) stops the retries and asks for a
new card; a new card retries at once. When the retries are used up, or the grace of
the last retry day passes without a new card, the subscription ends
(`DUNNING_FINAL_STATUS`, CANCELED by default) and the invoice is written off. A
recovered subscription continues on its original anchor: the period it paid for
is the one it was already in.
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
from dataclasses import dataclass
from typing import Final

from django.conf import settings

from billing.models import BillingReason, Invoice, InvoiceStatus
from billing.services import mark_invoice_uncollectible, void_invoice
from payments.models import CardSetup, CardSetupStatus, Payment, PaymentStatus
from payments.selectors import payment_method_is_usable
from subscriptions.models import Subscription, SubscriptionStatus
from subscriptions.services._billing_periods import next_look_at
from subscriptions.services._dunning_notices import announce_failed_renewal
from subscriptions.services._subscription_history import (
    move_subscription,
    record_subscription_event,
)

logger = logging.getLogger(__name__)


# Failures that say nothing about the card: the gateway was down or never saw the
# charge. The same invoice is tried again soon, outside the dunning schedule.
TRANSIENT_FAILURES: Final = frozenset({"gateway_unavailable", "not_at_gateway"})
TRANSIENT_RETRY_AFTER: Final = dt.timedelta(minutes=5)
# A payment still in flight (outcome unknown, 3-D Secure pending) is looked at again
# this much later, unless its settlement reaches the subscription first.
RECHECK_AFTER: Final = dt.timedelta(hours=1)
_SETTLED: Final = frozenset(
    {PaymentStatus.SUCCEEDED, PaymentStatus.FAILED, PaymentStatus.CANCELED}
)


class Outcome(enum.StrEnum):
    """What an invoice's payment did to its subscription."""

    PAID = "paid"
    FAILED = "failed"
    # Nothing settled yet (a payment in flight, a gateway outage): look again later.
    WAITING = "waiting"
    ENDED = "ended"


@dataclass(frozen=True, slots=True)
class DunningPolicy:
    """When failed renewals are retried, and how a subscription ends without pay."""

    retry_days: tuple[int, ...] = (1, 3, 5, 7)
    final_status: str = SubscriptionStatus.CANCELED

    @classmethod
    def from_settings(cls) -> DunningPolicy:
        return cls(
            retry_days=tuple(settings.DUNNING_RETRY_DAYS),
            final_status=settings.DUNNING_FINAL_STATUS,
        )

    def retry_at(self, past_due_since: dt.datetime, retry_count: int) -> dt.datetime:
        return past_due_since + dt.timedelta(days=self.retry_days[retry_count])

    def grace_ends_at(self, past_due_since: dt.datetime) -> dt.datetime:
        return past_due_since + dt.timedelta(days=max(self.retry_days, default=0))


def apply_invoice_outcome(
    subscription: Subscription,
    invoice: Invoice,
    payment: Payment | None,
    *,
    now: dt.datetime,
    actor: str,
    policy: DunningPolicy,
) -> Outcome:
    """Bring a locked subscription in line with a payment for one of its invoices.

    A period is paid when its invoice is PAID (`invoice_is_paid`); money taken for
    an invoice that is not (staff voided it meanwhile: billing kept the money as
    the payer's credit) leaves the subscription waiting for a person. `payment` is
    None when nothing was charged: a zero invoice (paid at issue), or no usable card
    (a hard failure). Saves the subscription.
    """
    subscription.updated_at = now
    if payment is not None and payment.id == subscription.latest_payment_id:
        # This payment's news was applied before; a claim the caller released is
        # saved (the renewal run clears `claimed_by` before it calls).
        subscription.save(update_fields=["claimed_by", "updated_at"])
        return _repeated(subscription, payment)
    outcome = _decide(
        subscription, invoice, payment, now=now, actor=actor, policy=policy
    )
    if payment is not None and outcome != Outcome.WAITING:
        subscription.latest_payment_id = payment.id
    subscription.save()
    return outcome


def _repeated(subscription: Subscription, payment: Payment) -> Outcome:
    if not subscription.is_live:
        return Outcome.ENDED
    return Outcome.PAID if payment.status == PaymentStatus.SUCCEEDED else Outcome.FAILED


def _decide(
    subscription: Subscription,
    invoice: Invoice,
    payment: Payment | None,
    *,
    now: dt.datetime,
    actor: str,
    policy: DunningPolicy,
) -> Outcome:
    if invoice_is_paid(invoice, payment):
        if payment is not None and subscription.payment_method_id is None:
            # The card that paid is the one to charge from now on.
            subscription.payment_method_id = payment.payment_method_id
        _paid(subscription, invoice, now=now, actor=actor)
        return Outcome.PAID
    if payment is not None and payment.status == PaymentStatus.SUCCEEDED:
        # Money taken that did not pay the invoice (voided meanwhile, say): it is
        # the payer's credit. Charging again would take it twice, and activating
        # would give away what is unpaid: a person decides.
        logger.warning(
            "subscription.payment_not_applied",
            extra={
                "subscription": str(subscription.id),
                "invoice": invoice.id,
                "payment": str(payment.id),
            },
        )
        subscription.due_at = now + RECHECK_AFTER
        return Outcome.WAITING
    waiting = payment is not None and payment.status not in _SETTLED
    if waiting and not (
        payment is not None
        and payment.status == PaymentStatus.REQUIRES_ACTION
        and _is_renewal(subscription, invoice)
    ):
        subscription.due_at = now + RECHECK_AFTER
        return Outcome.WAITING
    if (
        payment is not None
        and payment.failure_code in TRANSIENT_FAILURES
        and subscription.status != SubscriptionStatus.INCOMPLETE
    ):
        subscription.due_at = now + TRANSIENT_RETRY_AFTER
        return Outcome.WAITING
    # A decline, no usable card, or (off-session, where the payer is not there to
    # authenticate) a 3-D Secure request: dun; the payment keeps its challenge.
    _failed(subscription, invoice, payment, now=now, actor=actor, policy=policy)
    return Outcome.FAILED if subscription.is_live else Outcome.ENDED


def invoice_is_paid(invoice: Invoice, payment: Payment | None) -> bool:
    """Whether billing has marked the invoice PAID.

    The one test of a paid period: a subscription becomes ACTIVE, and enters a new
    period, only on it. A payment's status is not enough: billing marks an invoice
    PAID only when the money applied to it covers its total in its currency. A
    copy read before `payment` succeeded is read again: billing marked it in the
    payment's transaction.
    """
    succeeded = payment is not None and payment.status == PaymentStatus.SUCCEEDED
    if invoice.status != InvoiceStatus.PAID and succeeded:
        invoice.refresh_from_db()
    return invoice.status == InvoiceStatus.PAID


def apply_card_setup_outcome(
    subscription: Subscription,
    setup: CardSetup | None,
    *,
    now: dt.datetime,
    actor: str,
) -> Outcome:
    """Start the trial of a locked INCOMPLETE subscription once its card is verified.

    `setup` is None for a saved card, which was verified when it was saved. A
    failed check expires the subscription. Saves the subscription.
    """
    if subscription.status != SubscriptionStatus.INCOMPLETE:
        return Outcome.ENDED if not subscription.is_live else Outcome.PAID
    subscription.updated_at = now
    if setup is not None and setup.status == CardSetupStatus.FAILED:
        _end(
            subscription,
            SubscriptionStatus.EXPIRED,
            now=now,
            actor=actor,
            reason="card not verified",
        )
        subscription.save()
        return Outcome.ENDED
    if setup is not None and setup.status != CardSetupStatus.SUCCEEDED:
        subscription.due_at = now + RECHECK_AFTER
        subscription.save()
        return Outcome.WAITING
    if setup is not None:
        subscription.payment_method_id = setup.payment_method_id
    subscription.due_at = next_look_at(subscription)
    move_subscription(
        subscription,
        SubscriptionStatus.TRIALING,
        at=now,
        actor=actor,
        reason="card verified",
    )
    subscription.save()
    return Outcome.PAID


def end_dunning(
    subscription: Subscription,
    invoice: Invoice | None,
    *,
    now: dt.datetime,
    actor: str,
    policy: DunningPolicy,
    reason: str,
) -> None:
    """End a past-due subscription that was not paid for, writing off its invoice."""
    if invoice is not None and invoice.status == InvoiceStatus.OPEN:
        mark_invoice_uncollectible(
            invoice_id=invoice.id, at=now, actor=actor, reason=reason
        )
    _end(subscription, policy.final_status, now=now, actor=actor, reason=reason)


def _is_renewal(subscription: Subscription, invoice: Invoice) -> bool:
    return (
        invoice.billing_reason == BillingReason.SUBSCRIPTION_CYCLE
        or subscription.status == SubscriptionStatus.PAST_DUE
    )


def _paid(
    subscription: Subscription, invoice: Invoice, *, now: dt.datetime, actor: str
) -> None:
    starts_at, ends_at = invoice.period_starts_at, invoice.period_ends_at
    assert starts_at is not None and ends_at is not None
    if starts_at < subscription.current_period_starts_at:
        return  # An older period paid late: nothing to move.
    renewed = starts_at >= subscription.current_period_ends_at
    if renewed:
        _enter_period(subscription, invoice)
    subscription.retry_count = 0
    subscription.next_retry_at = None
    subscription.needs_new_payment_method = False
    subscription.due_at = next_look_at(subscription)
    if subscription.status != SubscriptionStatus.ACTIVE:
        move_subscription(
            subscription,
            SubscriptionStatus.ACTIVE,
            at=now,
            actor=actor,
            reason=f"invoice {invoice.id}",
        )
    if renewed:
        record_subscription_event(
            subscription,
            "subscription.renewed",
            at=now,
            extra={"invoice_id": invoice.id},
        )


def _failed(
    subscription: Subscription,
    invoice: Invoice,
    payment: Payment | None,
    *,
    now: dt.datetime,
    actor: str,
    policy: DunningPolicy,
) -> None:
    if subscription.status == SubscriptionStatus.INCOMPLETE:
        void_invoice(
            invoice_id=invoice.id, at=now, actor=actor, reason="first payment failed"
        )
        _end(
            subscription,
            SubscriptionStatus.EXPIRED,
            now=now,
            actor=actor,
            reason="first payment failed",
        )
        return
    if invoice.period_starts_at == subscription.current_period_ends_at:
        _enter_period(subscription, invoice)
    if subscription.status != SubscriptionStatus.PAST_DUE:
        subscription.retry_count = 0
        move_subscription(
            subscription,
            SubscriptionStatus.PAST_DUE,
            at=now,
            actor=actor,
            reason=payment.failure_code if payment else "no usable card",
        )
    else:
        subscription.retry_count += 1
    since = subscription.past_due_since or now
    hard = payment is None or not payment_method_is_usable(
        payment_method_id=payment.payment_method_id
    )
    if hard:
        subscription.needs_new_payment_method = True
        subscription.next_retry_at = None
        subscription.due_at = policy.grace_ends_at(since)
        record_subscription_event(
            subscription,
            "subscription.payment_method_required",
            at=now,
            extra={
                "invoice_id": invoice.id,
                "grace_ends_at": _text(subscription.due_at),
            },
        )
    elif subscription.retry_count >= len(policy.retry_days):
        end_dunning(
            subscription,
            invoice,
            now=now,
            actor=actor,
            policy=policy,
            reason="retries exhausted",
        )
        return
    else:
        subscription.next_retry_at = policy.retry_at(since, subscription.retry_count)
        subscription.due_at = subscription.next_retry_at
    record_subscription_event(
        subscription,
        "subscription.payment_failed",
        at=now,
        extra={
            "invoice_id": invoice.id,
            "payment_id": str(payment.id) if payment else None,
            "failure_code": payment.failure_code if payment else "no_usable_card",
        },
    )
    announce_failed_renewal(subscription, invoice, payment)


def _enter_period(subscription: Subscription, invoice: Invoice) -> None:
    """Make the invoice's period the current one, on the plan and price it billed."""
    assert invoice.period_starts_at is not None and invoice.period_ends_at is not None
    subscription.current_period_starts_at = invoice.period_starts_at
    subscription.current_period_ends_at = invoice.period_ends_at
    if subscription.scheduled_price_id is None:
        return
    new_plan = subscription.scheduled_plan or subscription.plan
    if new_plan.cycle != subscription.plan.cycle:
        # A plan of another length starts its own calendar where it begins.
        subscription.billing_anchor_at = invoice.period_starts_at
    subscription.plan = new_plan
    subscription.price_id = subscription.scheduled_price_id
    subscription.scheduled_plan = None
    subscription.scheduled_price = None


def _end(
    subscription: Subscription,
    status: str,
    *,
    now: dt.datetime,
    actor: str,
    reason: str,
) -> None:
    subscription.due_at = None
    subscription.next_retry_at = None
    move_subscription(subscription, status, at=now, actor=actor, reason=reason)


def _text(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
