"""Cancelling a subscription, now or at the end of its period, and undoing a
cancellation still to come.

Cancelling now ends access at once, voids the period's unpaid invoice and, when
asked, refunds the unused part of what was paid for the period. Like every change
a subscriber makes, each locks the subscription and waits while the renewal run
is charging it (`RenewalInProgress`).
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from dataclasses import dataclass
from typing import Final

from django.db.models import Q

from billing import outbox
from billing.errors import DomainError, InvalidStatusTransition
from billing.models import PERIOD_REASONS, BillingReason, Invoice, InvoiceStatus
from billing.services import void_invoice
from payments.models import PaymentStatus, Refund, RefundReason
from payments.selectors import live_payments_for
from payments.services import refund_payment
from subscriptions.models import Subscription, SubscriptionStatus
from subscriptions.periods import Period, prorate
from subscriptions.services._billing_periods import next_look_at
from subscriptions.services._lifecycle import locked_subscription
from subscriptions.services._subscription_history import (
    move_subscription,
    record_subscription_event,
)

logger = logging.getLogger(__name__)

_CANCELABLE_AT_PERIOD_END: Final = (
    SubscriptionStatus.ACTIVE,
    SubscriptionStatus.TRIALING,
)


@dataclass(frozen=True, slots=True)
class Cancellation:
    subscription: Subscription
    # The refunds of the unused part of the period, when asked for: one per invoice
    # paid for the current period (its plan, and an upgrade bought during it).
    refunds: tuple[Refund, ...] = ()


def cancel_subscription(
    *,
    subscription_id: uuid.UUID,
    now: dt.datetime,
    actor: str,
    at_period_end: bool,
    refund_unused: bool = False,
    reason: str = "",
    payer_id: uuid.UUID | None = None,
) -> Cancellation:
    """Cancel now, or at the end of the current period (undo with `undo_cancellation`).

    Cancelling now ends access at once and voids an unpaid invoice of the period;
    with `refund_unused`, the unused part of each invoice paid for the period is
    refunded: its amount times the share of its period still to come, to the
    microsecond, rounded half-even to the minor unit. The cancellation stands even
    if a refund cannot be made (it is logged; the refund can be made by hand).

    With `payer_id`, only that payer's subscription is canceled; another's is not
    found.

    :raises SubscriptionNotFound, RenewalInProgress:
    :raises InvalidStatusTransition: for an ended subscription, or a cancellation
        at period end of one that is not active or trialing.
    """
    with outbox.atomic():
        subscription = locked_subscription(subscription_id, now=now, payer_id=payer_id)
        if at_period_end:
            _schedule_cancellation(subscription, now=now, actor=actor, reason=reason)
            return Cancellation(subscription)
        paid = _paid_period_invoices(subscription, now=now) if refund_unused else []
        _void_unpaid_invoices(subscription, now=now, actor=actor)
        subscription.due_at = None
        subscription.next_retry_at = None
        subscription.cancel_reason = reason[:200]
        move_subscription(
            subscription,
            SubscriptionStatus.CANCELED,
            at=now,
            actor=actor,
            reason=reason or "canceled now",
        )
        subscription.save()
    refunds = [
        refund
        for invoice in paid
        if (refund := _refund_unused(subscription, invoice, now=now, actor=actor))
    ]
    return Cancellation(subscription, tuple(refunds))


def undo_cancellation(
    *,
    subscription_id: uuid.UUID,
    now: dt.datetime,
    actor: str,
    payer_id: uuid.UUID | None = None,
) -> Subscription:
    """Keep a subscription whose cancellation at period end is still to come.

    With `payer_id`, only that payer's subscription; another's is not found.

    :raises SubscriptionNotFound, RenewalInProgress:
    :raises InvalidStatusTransition: when no cancellation is pending.
    """
    with outbox.atomic():
        subscription = locked_subscription(subscription_id, now=now, payer_id=payer_id)
        if subscription.cancel_at is None or not subscription.is_live:
            raise InvalidStatusTransition(
                "The subscription has no cancellation to undo.",
                extra={"subscription": str(subscription.id)},
            )
        subscription.cancel_at = None
        subscription.cancel_reason = ""
        if subscription.status in _CANCELABLE_AT_PERIOD_END:
            subscription.due_at = next_look_at(subscription)
        subscription.updated_at = now
        subscription.save()
        record_subscription_event(
            subscription, "subscription.cancellation_undone", at=now
        )
    return subscription


def _schedule_cancellation(
    subscription: Subscription, *, now: dt.datetime, actor: str, reason: str
) -> None:
    if subscription.status not in _CANCELABLE_AT_PERIOD_END:
        raise InvalidStatusTransition(
            f"A {subscription.status} subscription cannot be canceled at period end.",
            extra={"subscription": str(subscription.id)},
        )
    if subscription.cancel_at is not None:
        return
    subscription.cancel_at = subscription.current_period_ends_at
    subscription.cancel_reason = reason[:200]
    subscription.due_at = subscription.cancel_at
    subscription.updated_at = now
    subscription.save()
    record_subscription_event(
        subscription,
        "subscription.cancellation_scheduled",
        at=now,
        extra={"actor": actor, "reason": reason},
    )


def _paid_period_invoices(
    subscription: Subscription, *, now: dt.datetime
) -> list[Invoice]:
    """The paid invoices of the period: the period's own, and upgrades bought in it
    (whose periods end with it)."""
    period_invoice = Q(
        billing_reason__in=PERIOD_REASONS,
        period_starts_at=subscription.current_period_starts_at,
    )
    upgrade = Q(
        billing_reason=BillingReason.SUBSCRIPTION_UPDATE,
        period_ends_at=subscription.current_period_ends_at,
        period_starts_at__lte=now,
    )
    return list(
        Invoice.objects.filter(
            period_invoice | upgrade,
            subscription_id=subscription.id,
            status=InvoiceStatus.PAID,
            amount_paid_minor__gt=0,
        ).order_by("id")
    )


def _void_unpaid_invoices(
    subscription: Subscription, *, now: dt.datetime, actor: str
) -> None:
    """Void the period's unpaid invoice, unless a payment for it is still running
    (its money, if it comes, is kept as the payer's credit by billing)."""
    unpaid = list(
        Invoice.objects.filter(
            subscription_id=subscription.id, status=InvoiceStatus.OPEN
        )
    )
    live = live_payments_for(pays=[invoice.pays_reference for invoice in unpaid])
    for invoice in unpaid:
        if invoice.pays_reference not in live:
            void_invoice(
                invoice_id=invoice.id,
                at=now,
                actor=actor,
                reason="subscription canceled",
            )


def _refund_unused(
    subscription: Subscription, invoice: Invoice, *, now: dt.datetime, actor: str
) -> Refund | None:
    """Refund the part of `invoice`'s period still to come, from its payment."""
    payment = live_payments_for(pays=[invoice.pays_reference]).get(
        invoice.pays_reference
    )
    if payment is None or payment.status != PaymentStatus.SUCCEEDED:
        return None
    assert invoice.period_starts_at is not None and invoice.period_ends_at is not None
    period = Period(invoice.period_starts_at, invoice.period_ends_at)
    unused = prorate(payment.captured, period=period, from_moment=now)
    refundable = payment.captured - payment.refunded
    if refundable.amount_minor < unused.amount_minor:
        unused = refundable
    if unused.amount_minor <= 0:
        return None
    try:
        return refund_payment(
            payment_id=payment.id,
            reason=RefundReason.PRORATION,
            requested_by=actor,
            now=now,
            amount=unused,
            note=f"unused part of subscription {subscription.id}",
        )
    except DomainError as error:
        logger.warning(
            "subscription.cancel.refund_refused",
            extra={"subscription": str(subscription.id), "error": error.code},
        )
        return None
