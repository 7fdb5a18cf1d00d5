"""Who may use the snack shelf: signed-in members read and react, shop admins
(`accounts`' role, not billing's staff) manage it."""

from __future__ import annotations

from rest_framework.authentication import SessionAuthentication

from accounts.api.authentication import MemberJWTAuthentication
from accounts.api.permissions import IsShopAdmin, IsShopMember
from kit.api.authentication import TokenAuthentication

# Members present the access token of `accounts` (`Authorization: Bearer …`); the
# browsable API's session and scripts' API tokens work as on the rest of the API.
SHOP_AUTHENTICATION = [
    MemberJWTAuthentication,
    SessionAuthentication,
    TokenAuthentication,
]

__all__ = ["SHOP_AUTHENTICATION", "IsShopAdmin", "IsShopMember"]
