"""Finishing a payer's 3-D Secure step, whatever it was for.

A client that showed the payer a 3-D Secure challenge names the payment (or, for a
trial, the card check) and passes what the bank's page answered. A subscription's
first payment or trial card check finishes through `complete_subscription_3ds`, so
that the subscription starts with it; any other payment (a one-off payment) through
the payments app alone.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from billing.models import BillingReason, Invoice
from payments.models import Payment
from payments.selectors import card_setup_get, payment_get
from payments.services import PaymentNotFound, complete_3ds
from subscriptions.models import Subscription
from subscriptions.services._subscribe import (
    NothingToComplete,
    complete_subscription_3ds,
)

# How a payment names the invoice it pays (`Invoice.pays_reference`).
_INVOICE_PREFIX = "invoice:"
# A trial's card check is for "subscription:<uuid>" (`card_check_purpose`).
_SUBSCRIPTION_PREFIX = "subscription:"


@dataclass(frozen=True, slots=True)
class CompletedStep:
    """A 3-D Secure step after its completion: the payment (None for a trial's card
    check) and the subscription it started (None for a one-off payment)."""

    payment: Payment | None
    subscription: Subscription | None


def complete_3ds_step(
    *,
    attempt_id: uuid.UUID,
    payer_id: uuid.UUID | None,
    authentication_result: str | None,
    now: dt.datetime,
    actor: str,
) -> CompletedStep:
    """Finish the 3-D Secure step of a payment, or of a trial's card check.

    `payer_id` restricts the step to that payer's (None: any payer's). Safe to call
    twice: a step already finished is answered as it stands.

    :raises PaymentNotFound: for an unknown payment or card check, or another
        payer's.
    :raises GatewayNotConfigured: when its gateway is no longer set up.
    """
    payment = payment_get(payment_id=attempt_id)
    if payment is not None:
        _require_payer(payment.payer_id, payer_id, attempt_id)
        subscription_id = _subscription_started_by(payment)
        if subscription_id is None:
            completed = complete_3ds(
                payment_id=payment.id,
                authentication_result=authentication_result,
                now=now,
                actor=actor,
            )
            return CompletedStep(completed, None)
    else:
        setup = card_setup_get(setup_id=attempt_id)
        if setup is None or not setup.purpose.startswith(_SUBSCRIPTION_PREFIX):
            raise PaymentNotFound(extra={"payment": str(attempt_id)})
        _require_payer(setup.payer_id, payer_id, attempt_id)
        subscription_id = uuid.UUID(setup.purpose.removeprefix(_SUBSCRIPTION_PREFIX))
    try:
        started = complete_subscription_3ds(
            subscription_id=subscription_id,
            authentication_result=authentication_result,
            now=now,
            actor=actor,
        )
    except NothingToComplete:
        # Finished already (a second call) or given up: answer the step as it is.
        subscription = Subscription.objects.select_related("plan").get(
            id=subscription_id
        )
        fresh = payment_get(payment_id=payment.id) if payment is not None else None
        return CompletedStep(fresh, subscription)
    return CompletedStep(started.payment, started.subscription)


def _require_payer(
    owner: uuid.UUID, payer_id: uuid.UUID | None, attempt_id: uuid.UUID
) -> None:
    """:raises PaymentNotFound: for another payer's step, as for no step at all."""
    if payer_id is not None and owner != payer_id:
        raise PaymentNotFound(extra={"payment": str(attempt_id)})


def _subscription_started_by(payment: Payment) -> uuid.UUID | None:
    """The subscription whose first invoice `payment` pays, or None."""
    invoice_id = payment.pays.removeprefix(_INVOICE_PREFIX)
    if invoice_id == payment.pays or not invoice_id.isdigit():
        return None
    return (
        Invoice.objects.filter(
            id=int(invoice_id), billing_reason=BillingReason.SUBSCRIPTION_CREATE
        )
        .values_list("subscription_id", flat=True)
        .first()
    )
