"""Signals the subscriptions app listens to: payments settled outside its own flows."""

from __future__ import annotations

import uuid
from typing import Any, Final

from django.db import transaction

# Settled payments that can move a subscription; the rest are still in flight.
_FINAL_PAYMENT_STATUSES: Final = frozenset({"SUCCEEDED", "FAILED", "CANCELED"})
_FINAL_SETUP_STATUSES: Final = frozenset({"SUCCEEDED", "FAILED"})


def enqueue_subscription_payment(
    sender: type,
    *,
    payment_id: uuid.UUID,
    pays: str = "",
    to_status: str = "",
    actor: str = "",
    **kwargs: Any,
) -> None:
    """When an invoice's payment settles, have its subscription follow (in a task).

    The renewal run applies its own payments' outcomes in the same transaction as
    the answer, so only news from elsewhere (the janitor, webhooks, 3-D Secure
    finished by the payer) needs the task.
    """
    from subscriptions.services import RENEWAL_ACTOR

    if not pays.startswith("invoice:") or to_status not in _FINAL_PAYMENT_STATUSES:
        return
    if actor == RENEWAL_ACTOR:
        return
    # The payment's row is committed: robust, so a broker outage cannot undo it;
    # the renewal run's sweep brings the subscription in line later anyway.
    transaction.on_commit(lambda: _settle_payment(payment_id), robust=True)


def enqueue_subscription_card_setup(
    sender: type,
    *,
    setup_id: uuid.UUID,
    purpose: str = "",
    to_status: str = "",
    **kwargs: Any,
) -> None:
    """When a trial's card check finishes, start (or expire) the trial (in a task)."""
    if (
        not purpose.startswith("subscription:")
        or to_status not in _FINAL_SETUP_STATUSES
    ):
        return
    transaction.on_commit(lambda: _settle_setup(setup_id), robust=True)


def _settle_payment(payment_id: uuid.UUID) -> None:
    from subscriptions.tasks import settle_subscription_payment

    settle_subscription_payment.delay(payment_id=str(payment_id))


def _settle_setup(setup_id: uuid.UUID) -> None:
    from subscriptions.tasks import settle_subscription_card_setup

    settle_subscription_card_setup.delay(setup_id=str(setup_id))
