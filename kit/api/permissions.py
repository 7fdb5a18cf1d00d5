"""Who may use the support API: staff in a role, and scripts with a token.

The roles are the project's to name (`settings.API_STAFF_ROLES`, the groups the
auth service grants), so the kit knows no app.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.contrib.auth.models import PermissionsMixin
from rest_framework.authtoken.models import Token
from rest_framework.permissions import BasePermission
from rest_framework.request import Request


def has_staff_role(user: Any, roles: Sequence[str]) -> bool:
    """Whether `user` is an active superuser, or active staff in one of `roles`."""
    if not (user.is_authenticated and user.is_active):
        return False
    if not isinstance(user, PermissionsMixin):
        return False
    if user.is_superuser:
        return True
    return bool(getattr(user, "is_staff", False)) and (
        user.groups.filter(name__in=roles).exists()
    )


class IsSupportStaff(BasePermission):
    """Staff in one of the API's staff roles (support, accounting), or superusers."""

    message = "Only support or accounting staff may do this."

    def has_permission(self, request: Request, view: Any) -> bool:
        return has_staff_role(request.user, settings.API_STAFF_ROLES)


class IsServiceToken(BasePermission):
    """A script or service account that authenticated with an API token.

    Tokens are issued one by one in the admin, for a named purpose; the shop's
    members sign in with JWTs and never hold one.
    """

    message = "Only staff or an API token may do this."

    def has_permission(self, request: Request, view: Any) -> bool:
        return isinstance(request.auth, Token) and bool(request.user.is_active)
