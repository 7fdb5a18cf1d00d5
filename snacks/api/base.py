"""What every view of the shop's API shares: the members' credentials, the body
parsers, and a permission per method (members, or admins for `admin_methods`)."""

from __future__ import annotations

from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import BasePermission
from rest_framework.views import APIView

from kit.api.parsers import JSONParser
from snacks.api.permissions import SHOP_AUTHENTICATION, IsShopAdmin, IsShopMember

TAGS = ["shop"]


class ShopApi(APIView):
    authentication_classes = SHOP_AUTHENTICATION
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    admin_methods: frozenset[str] = frozenset()

    def get_permissions(self) -> list[BasePermission]:
        if self.request.method in self.admin_methods:
            return [IsShopAdmin()]
        return [IsShopMember()]
