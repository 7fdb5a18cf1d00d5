"""Signals the payments app listens to."""

from __future__ import annotations

import uuid
from typing import Any

from django.apps import AppConfig, apps
from django.contrib.auth.models import Group, Permission
from django.db import transaction

from accounts.roles import STAFF_ROLES

# Staff read every billing and payment record in the admin; changing money goes
# through services (admin actions, API), never through a model's edit form.
_READABLE_APPS = ("billing", "payments")


def grant_staff_view_permissions(sender: AppConfig, **kwargs: Any) -> None:
    """After migrations, let every staff role view the billing and payment records."""
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


def enqueue_checkout_session_sync(
    sender: type, *, payment_id: uuid.UUID, pays: str = "", **kwargs: Any
) -> None:
    """When a checkout's payment moves, have its session follow (in a task)."""
    if not pays.startswith("checkout:"):
        return
    # The signal is sent once the payment's transaction has committed, so this runs
    # at once; robust, because the payment is saved whatever the broker does.
    transaction.on_commit(lambda: _sync_checkout(payment_id), robust=True)


def _sync_checkout(payment_id: uuid.UUID) -> None:
    from payments.tasks import sync_checkout_session

    sync_checkout_session.delay(payment_id=str(payment_id))
