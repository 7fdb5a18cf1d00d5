"""A payer worth forgetting, and the proofs that they were: no secret left in any
table, and books that still balance."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from billing.clock import billing_now
from billing.selectors import check_ledger
from payments.models import CardSetup, Payment, PaymentMethod
from payments.selectors import cash_held_by_gateway
from subscriptions.models import Subscription
from tests.database_dump import every_stored_text
from tests.payments.factories import CheckoutSessionFactory, GatewayEventRecordFactory
from tests.subscriptions.factories import make_plan, subscribe_with_card

# A cryptogram a crash left behind: saved with its payment, never sent.
LEFT_BEHIND_CRYPTOGRAM = "sbx1:left-behind-cryptogram"


@dataclass(frozen=True, slots=True)
class Payer:
    id: uuid.UUID
    subscription: Subscription
    tokens: list[str]


def payer_with_history(*, gateway: str = "fake") -> Payer:
    """An ACTIVE subscriber with a paid first invoice, a saved card, a stored
    gateway message naming the card, an open checkout page and a cryptogram that a
    crash left on a payment."""
    now = billing_now() - dt.timedelta(days=3)
    started = subscribe_with_card(make_plan(gateway=gateway), now=now, with_trial=False)
    subscription = started.subscription
    payer_id = subscription.payer_id
    payment = Payment.objects.filter(payer_id=payer_id).latest("created_at")
    GatewayEventRecordFactory.create(
        gateway=gateway,
        payment=payment,
        status="PROCESSED",
        payload={"CardFirstSix": "424242", "CardLastFour": "4242", "Amount": 999},
    )
    Payment.objects.filter(id=payment.id).update(
        cryptogram=LEFT_BEHIND_CRYPTOGRAM, cryptogram_expires_at=now
    )
    CheckoutSessionFactory.create(payer_id=payer_id, gateway=gateway, now=now)
    tokens = [
        method.token
        for method in PaymentMethod.objects.filter(payer_id=payer_id)
        if method.token
    ]
    assert tokens
    return Payer(payer_id, subscription, tokens)


def stored_text() -> str:
    """Every value of every table, as text: what a database dump would show."""
    return "\n".join(every_stored_text())


def secrets_left(payer_id: uuid.UUID) -> list[str]:
    """The payer's encrypted columns that still hold a value."""
    return [
        f"{model.__name__}.{column}"
        for model, column in (
            (PaymentMethod, "token"),
            (Payment, "cryptogram"),
            (CardSetup, "cryptogram"),
        )
        if model.objects.filter(
            payer_id=payer_id, **{f"{column}__isnull": False}
        ).exists()
    ]


def books_problems() -> list[str]:
    return check_ledger(cash_held=cash_held_by_gateway()).problems
