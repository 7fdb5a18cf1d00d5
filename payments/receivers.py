"""Signals the payments app listens to."""

from __future__ import annotations

from typing import Any

from django.apps import AppConfig, apps
from django.contrib.auth.models import Group, Permission

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
