"""Signals the subscriptions app listens to: payments settled outside its own flows,
and migrations (to grant the staff roles their permissions)."""

from __future__ import annotations

import uuid
from typing import Any, Final

from django.apps import AppConfig
from django.contrib.auth.models import Group, Permission
from django.db import transaction

from accounts.roles import ACCOUNTING, STAFF_ROLES

# Settled payments that can move a subscription; the rest are still in flight.
_FINAL_PAYMENT_STATUSES: Final = frozenset({"SUCCEEDED", "FAILED", "CANCELED"})
_FINAL_SETUP_STATUSES: Final = frozenset({"SUCCEEDED", "FAILED"})
# Accounting changes plans and subscriptions in the admin, through forms and actions
# that call the services; prices and the rest are never edited in place.
_ACCOUNTING_PERMISSIONS: Final = ("add_plan", "change_plan", "change_subscription")


def grant_staff_permissions(sender: AppConfig, **kwargs: Any) -> None:
    """After migrations, let every staff role view plans and subscriptions, and
    accounting change them."""
    if sender.label != "subscriptions":
        return
    codenames = [f"view_{model._meta.model_name}" for model in sender.get_models()]
    mine = Permission.objects.filter(content_type__app_label=sender.label)
    for name in STAFF_ROLES:
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(*mine.filter(codename__in=codenames))
    accounting = Group.objects.get(name=ACCOUNTING)
    accounting.permissions.add(*mine.filter(codename__in=_ACCOUNTING_PERMISSIONS))


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


def enqueue_dunning_reminder(
    sender: type,
    *,
    subscription_id: uuid.UUID,
    invoice_id: int,
    payment_id: uuid.UUID | None,
    attempt: int,
    **kwargs: Any,
) -> None:
    """Every failed renewal charge earns the payer a reminder (in a task)."""
    transaction.on_commit(
        lambda: _remind(subscription_id, invoice_id, payment_id, attempt), robust=True
    )


def _remind(
    subscription_id: uuid.UUID,
    invoice_id: int,
    payment_id: uuid.UUID | None,
    attempt: int,
) -> None:
    from subscriptions.tasks import send_dunning_reminder

    send_dunning_reminder.delay(
        subscription_id=str(subscription_id),
        invoice_id=invoice_id,
        payment_id=str(payment_id) if payment_id else None,
        attempt=attempt,
    )


def _settle_payment(payment_id: uuid.UUID) -> None:
    from subscriptions.tasks import settle_subscription_payment

    settle_subscription_payment.delay(payment_id=str(payment_id))


def _settle_setup(setup_id: uuid.UUID) -> None:
    from subscriptions.tasks import settle_subscription_card_setup

    settle_subscription_card_setup.delay(setup_id=str(setup_id))
