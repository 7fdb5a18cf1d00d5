"""Who may use the support API: staff in a role, and scripts with a token.

The roles are the project's to name (`settings.API_STAFF_ROLES`, the groups the
auth service grants; `settings.API_MONEY_ROLES`, those that may move money), so the
kit knows no app.

Moving money (a refund, a charge other than retrying a past-due one) is a rule of
its own, not left to each view: an operation that always moves money takes the
`MovesMoney` permission, and an input that moves money only when set (a flag such
as `refund_unused`) is a `MovesMoneyBooleanField`, which refuses staff outside the
money roles with a 403 before anything is done.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.models import PermissionsMixin
from rest_framework import exceptions, serializers
from rest_framework.authtoken.models import Token
from rest_framework.fields import empty
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


def may_move_money(user: Any) -> bool:
    """Whether `user` may refund or charge: a superuser, or in a money role."""
    return user is not None and has_staff_role(user, settings.API_MONEY_ROLES)


def money_roles_text() -> str:
    roles = " or ".join(settings.API_MONEY_ROLES) or "no"
    return f"Only {roles} staff may move money."


class MoneyRoleRequired(exceptions.PermissionDenied):
    """A 403 in the error shape that names what was refused and who may do it."""

    default_code = "permission_denied"

    def __init__(self, *, fields: Sequence[str] = (), message: str = "") -> None:
        super().__init__(message or money_roles_text())
        self.extra = {"roles": list(settings.API_MONEY_ROLES)}
        if fields:
            self.extra["fields"] = list(fields)


class MovesMoney(BasePermission):
    """For operations that always move money: the money roles, or superusers."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if not may_move_money(request.user):
            raise MoneyRoleRequired()
        return True


class MovesMoneyBooleanField(serializers.BooleanField):
    """A flag that moves money when true (`refund_unused`): only the money roles
    may set it.

    The user comes from the serializer's context (`request`); without one, nobody
    may set it, so a view that forgets the context fails closed.
    """

    moves_money: ClassVar[bool] = True

    def run_validation(self, data: Any = empty) -> Any:
        value = super().run_validation(data)
        if value:
            request = self.context.get("request")
            if not may_move_money(getattr(request, "user", None)):
                raise MoneyRoleRequired(fields=[self.field_name or self.source or ""])
        return value


class IsSupportStaff(BasePermission):
    """Staff in one of the API's staff roles (support, accounting), or superusers."""

    message = "Only support or accounting staff may do this."

    def has_permission(self, request: Request, view: Any) -> bool:
        return has_staff_role(request.user, settings.API_STAFF_ROLES)


class IsAccountingStaff(BasePermission):
    """Staff in the money roles (accounting), or superusers: for operations that
    support may see but not make, such as forgetting a payer."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if not request.user.is_authenticated:
            return False  # DRF answers not_authenticated
        if not may_move_money(request.user):
            roles = " or ".join(settings.API_MONEY_ROLES) or "no"
            raise MoneyRoleRequired(message=f"Only {roles} staff may do this.")
        return True


class IsServiceToken(BasePermission):
    """A script or service account that authenticated with an API token.

    Tokens are issued one by one in the admin, for a named purpose; the shop's
    members sign in with JWTs and never hold one.
    """

    message = "Only staff or an API token may do this."

    def has_permission(self, request: Request, view: Any) -> bool:
        return isinstance(request.auth, Token) and bool(request.user.is_active)
