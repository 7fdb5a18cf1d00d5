"""Outcomes learnt after the fact: a payment or a card check settled elsewhere.

The janitor settles a payment whose answer was lost, a webhook reports one, a payer
finishes 3-D Secure: the payments app then says so with a signal, and these bring
the subscription in line (through a task, see `subscriptions.receivers`).
"""

from __future__ import annotations

import datetime as dt
import uuid

from billing import outbox
from billing.models import BillingReason, Invoice
from payments.selectors import card_setup_get, payment_get
from subscriptions.models import Subscription
from subscriptions.services._charge_outcomes import (
    DunningPolicy,
    apply_card_setup_outcome,
    apply_invoice_outcome,
)
from subscriptions.services._plan_changes import apply_plan_change_outcome

_INVOICE_PREFIX = "invoice:"
_SUBSCRIPTION_PREFIX = "subscription:"


def settle_subscription_payment(
    *, payment_id: uuid.UUID, now: dt.datetime, actor: str
) -> str | None:
    """Apply a payment's outcome to the subscription whose invoice it pays.

    Returns what happened, or None for a payment of no subscription. Safe to repeat.
    """
    payment = payment_get(payment_id=payment_id)
    if payment is None or not payment.pays.startswith(_INVOICE_PREFIX):
        return None
    invoice = Invoice.objects.filter(
        id=_number(payment.pays.removeprefix(_INVOICE_PREFIX))
    ).first()
    if invoice is None or invoice.subscription_id is None:
        return None
    with outbox.atomic():
        subscription = _locked(invoice.subscription_id)
        if subscription is None or not subscription.is_live:
            return None
        if invoice.billing_reason == BillingReason.SUBSCRIPTION_UPDATE:
            return apply_plan_change_outcome(
                subscription, invoice, payment, now=now, actor=actor
            ).value
        return apply_invoice_outcome(
            subscription,
            invoice,
            payment,
            now=now,
            actor=actor,
            policy=DunningPolicy.from_settings(),
        ).value


def settle_subscription_card_setup(
    *, setup_id: uuid.UUID, now: dt.datetime, actor: str
) -> str | None:
    """Start the trial whose card check just finished (or expire it). Safe to repeat."""
    setup = card_setup_get(setup_id=setup_id)
    if setup is None or not setup.purpose.startswith(_SUBSCRIPTION_PREFIX):
        return None
    try:
        subscription_id = uuid.UUID(setup.purpose.removeprefix(_SUBSCRIPTION_PREFIX))
    except ValueError:
        return None
    with outbox.atomic():
        subscription = _locked(subscription_id)
        if subscription is None:
            return None
        return apply_card_setup_outcome(subscription, setup, now=now, actor=actor).value


def _locked(subscription_id: uuid.UUID) -> Subscription | None:
    return (
        Subscription.objects.select_for_update(of=("self",))
        .select_related("plan", "scheduled_plan")
        .filter(id=subscription_id)
        .first()
    )


def _number(text: str) -> int:
    return int(text) if text.isdigit() else 0
