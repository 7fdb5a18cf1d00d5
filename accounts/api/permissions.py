"""Who may use the shop's members API: members and admins, by their JWT.

Members prove who they are with an access token (`Authorization: Bearer`) from
`/api/v1/auth/token/`; simplejwt refuses one whose user is no longer active (a
member who resigned). The shop roles are `User.role`, not the billing staff roles.
"""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from accounts.api.authentication import MemberJWTAuthentication
from accounts.models import ShopRole, User

# The views of the shop authenticate members by their JWT alone.
SHOP_AUTHENTICATION = (MemberJWTAuthentication,)


class IsShopMember(BasePermission):
    """An active user signed in to the shop (any role)."""

    message = "Only a member of the shop may do this."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_active)


class IsShopAdmin(IsShopMember):
    """An active admin of the shop."""

    message = "Only an admin of the shop may do this."

    def has_permission(self, request: Request, view: Any) -> bool:
        return (
            super().has_permission(request, view)
            and getattr(request.user, "role", None) == ShopRole.ADMIN
        )


def signed_in_member(request: Request) -> User:
    """The member behind a request that a shop permission let through."""
    user = request.user
    if not isinstance(user, User):  # pragma: no cover - the permission ran first
        raise exceptions.NotAuthenticated()
    return user
