"""Who may use the shop's API: signed-in members read and react, admins manage
the shelf."""

from __future__ import annotations

from typing import Any

from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework_simplejwt.authentication import JWTAuthentication

from kit.api.authentication import TokenAuthentication

# Members present the access token of `accounts` (`Authorization: Bearer …`); the
# browsable API's session and scripts' API tokens work as on the rest of the API.
SHOP_AUTHENTICATION = [JWTAuthentication, SessionAuthentication, TokenAuthentication]


def is_shop_admin(user: Any) -> bool:
    """Whether `user` runs the shop: role `admin` where users have roles, staff
    otherwise."""
    if not (user.is_authenticated and user.is_active):
        return False
    role = getattr(user, "role", None)
    if role is not None:
        return str(role) == "admin"
    return bool(getattr(user, "is_staff", False))


class IsMember(BasePermission):
    """Any signed-in, active user."""

    message = "Sign in to use the shop."

    def has_permission(self, request: Request, view: Any) -> bool:
        return bool(request.user.is_authenticated and request.user.is_active)


class IsShopAdmin(BasePermission):
    """Shop admins only."""

    message = "Only shop admins may do this."

    def has_permission(self, request: Request, view: Any) -> bool:
        return is_shop_admin(request.user)
