"""Signals the payments app listens to."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.apps import AppConfig, apps
from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.db import transaction

from accounts.roles import ACCOUNTING, STAFF_ROLES
from payments.models import CardSetupStatus, PaymentKind, PaymentStatus
from payments.services import DrainScheduler

# Staff read every billing and payment record in the admin; changing money goes
# through services (admin actions, API), never through a model's edit form.
_READABLE_APPS = ("billing", "payments")
# Accounting reconciles a day and resolves what it found (SPEC §9).
_ACCOUNTING_PERMISSIONS = ("add_reconciliationrun", "change_discrepancy")
# The payment statuses a checkout session follows (COMPLETED or FAILED).
_SETTLED_PAYMENT_STATUSES = frozenset(
    {
        PaymentStatus.SUCCEEDED,
        PaymentStatus.AUTHORIZED,
        PaymentStatus.FAILED,
        PaymentStatus.CANCELED,
    }
)
_FINAL_SETUP_STATUSES = frozenset({CardSetupStatus.SUCCEEDED, CardSetupStatus.FAILED})
# The kinds of payment a checkout opened for something makes: a payment (PAYMENT)
# or a hold (AUTHORIZE).
_CHECKOUT_PAYMENT_KINDS = frozenset({PaymentKind.INITIAL, PaymentKind.ORDER})


def grant_staff_view_permissions(sender: AppConfig, **kwargs: Any) -> None:
    """After migrations, let every staff role view the billing and payment records,
    and accounting reconcile."""
    if sender.label != "payments":
        return
    models = [
        m for label in _READABLE_APPS for m in apps.get_app_config(label).get_models()
    ]
    codenames = [f"view_{model._meta.model_name}" for model in models]
    permissions = Permission.objects.filter(
        content_type__app_label__in=_READABLE_APPS, codename__in=codenames
    )
    for name in STAFF_ROLES:
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(*permissions)
    Group.objects.get(name=ACCOUNTING).permissions.add(
        *Permission.objects.filter(
            content_type__app_label="payments", codename__in=_ACCOUNTING_PERMISSIONS
        )
    )


def enqueue_checkout_session_sync(
    sender: type,
    *,
    payment_id: uuid.UUID,
    pays: str = "",
    kind: str = "",
    to_status: str = "",
    **kwargs: Any,
) -> None:
    """When a checkout's payment moves, have its session follow (in a task).

    A checkout pays itself (`checkout:<id>`) or what it was opened for, such as a
    subscription's first invoice (INITIAL) or a shop order's hold (ORDER), always
    with a card just entered: a renewal's payment (RECURRING) or a one-off charge
    of a saved card never comes from a checkout, and is not given a task.
    """
    own = pays.startswith("checkout:")
    opened_for = bool(pays) and kind in _CHECKOUT_PAYMENT_KINDS
    if not own and not (opened_for and to_status in _SETTLED_PAYMENT_STATUSES):
        return
    # The signal is sent once the payment's transaction has committed, so this runs
    # at once; robust, because the payment is saved whatever the broker does.
    transaction.on_commit(lambda: _sync_checkout(payment_id), robust=True)


def enqueue_checkout_card_setup_sync(
    sender: type,
    *,
    setup_id: uuid.UUID,
    purpose: str = "",
    to_status: str = "",
    **kwargs: Any,
) -> None:
    """When a card setup finishes, have the checkout session that made it follow.

    Every checkout's setup has a purpose (`checkout:<id>` at least); setups finish
    once, a few per payer, so each finished one with a purpose is given a task.
    """
    if not purpose or to_status not in _FINAL_SETUP_STATUSES:
        return
    transaction.on_commit(lambda: _sync_checkout_setup(setup_id), robust=True)


def _sync_checkout(payment_id: uuid.UUID) -> None:
    from payments.tasks import sync_checkout_session

    sync_checkout_session.delay(payment_id=str(payment_id))


def _sync_checkout_setup(setup_id: uuid.UUID) -> None:
    from payments.tasks import sync_checkout_session_card_setup

    sync_checkout_session_card_setup.delay(setup_id=str(setup_id))


def enqueue_payment_receipt(
    sender: type, *, payment_id: uuid.UUID, to_status: str = "", **kwargs: Any
) -> None:
    """Every payment that succeeds (captured at once or later) earns a receipt."""
    if to_status != PaymentStatus.SUCCEEDED:
        return
    transaction.on_commit(lambda: _send_receipt(payment_id), robust=True)


def enqueue_card_expired_notice(
    sender: type, *, payment_method_id: uuid.UUID, **kwargs: Any
) -> None:
    """A card the gateway refused for good: ask the payer for another."""
    transaction.on_commit(lambda: _send_card_expired(payment_method_id), robust=True)


def _send_receipt(payment_id: uuid.UUID) -> None:
    from payments.tasks import send_payment_receipt

    send_payment_receipt.delay(payment_id=str(payment_id))


def _send_card_expired(payment_method_id: uuid.UUID) -> None:
    from payments.tasks import send_card_expired_notice

    send_card_expired_notice.delay(payment_method_id=str(payment_method_id))


def request_gateway_event_drain(sender: type, **kwargs: Any) -> None:
    """Once stored gateway events have committed, have a drain process them.

    Sent from an on-commit hook, so this runs after the rows are visible; the
    scheduler publishes at most one drain per delay from this process.
    """
    _drains.request()


def _publish_drain(countdown: float) -> None:
    from payments.tasks import drain_gateway_events

    drain_gateway_events.apply_async(countdown=countdown)


_drains = DrainScheduler(
    _publish_drain, delay=lambda: float(settings.WEBHOOK_DRAIN_DELAY_SECONDS)
)


def enqueue_reconciliation(
    sender: type, *, gateway: str, day: str, actor: str, **kwargs: Any
) -> None:
    """A person asked for a day to be reconciled: a worker runs it (sent on commit)."""
    from payments.tasks import reconcile_gateway_day

    reconcile_gateway_day.delay(gateway=gateway, day=day, actor=actor)


def answer_gateway_fees(
    sender: type, *, starts: dt.date, ends: dt.date, **kwargs: Any
) -> list[tuple[dt.date, str, str, int]]:
    """The fees reconciliation read from the gateways' lists, for the daily totals."""
    from payments.services import gateway_fees

    return gateway_fees(starts=starts, ends=ends)
