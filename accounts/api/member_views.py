"""The shop's members API: one view per operation (HackSoft), under the `shop` tag.

Anyone may sign up (throttled as the sign-in is); members, signed in with their
JWT, read their own account and resign; admins list members and promote them.
Every error is in the API's one error shape.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import AllowAny, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from accounts import selectors, services
from accounts.api.member_serializers import MemberOutput
from accounts.api.permissions import (
    SHOP_AUTHENTICATION,
    IsShopAdmin,
    IsShopMember,
    signed_in_member,
)
from accounts.models import ShopRole
from kit.api.errors import error_responses
from kit.api.pagination import ListPagination, paginated_response
from kit.api.paths import path_parameter, path_uuid
from kit.api.throttling import LoginThrottle

TAGS = ["shop"]


class MembersApi(APIView):
    """The collection of members: `POST` signs up (anyone), `GET` lists (admins).

    One URL for both, as REST has it; each method has its own credentials,
    permission and throttle, so it is two operations in one class.
    """

    pagination_class = ListPagination

    class SignUpInput(serializers.Serializer[Any]):
        email = serializers.EmailField(max_length=254)
        password = serializers.CharField(
            max_length=128, trim_whitespace=False, style={"input_type": "password"}
        )
        name = serializers.CharField(max_length=150, allow_blank=True, default="")

    class FilterSerializer(serializers.Serializer[Any]):
        role = serializers.ChoiceField(choices=ShopRole.choices, required=False)
        search = serializers.CharField(
            max_length=254, required=False, help_text="Part of the e-mail or name."
        )

    def _signing_up(self) -> bool:
        return getattr(getattr(self, "request", None), "method", "GET") == "POST"

    def get_authenticators(self) -> list[BaseAuthentication]:
        if self._signing_up():
            return []
        return [authentication() for authentication in SHOP_AUTHENTICATION]

    def get_permissions(self) -> Sequence[BasePermission]:
        return [AllowAny()] if self._signing_up() else [IsShopAdmin()]

    def get_throttles(self) -> list[BaseThrottle]:
        return [LoginThrottle()] if self._signing_up() else super().get_throttles()

    @extend_schema(
        operation_id="shop_members_sign_up",
        tags=TAGS,
        summary="Sign up as a member of the shop",
        description=(
            "E-mail, password (Django's password validators) and name; the member "
            "then signs in at /api/v1/auth/token/. 400 `validation_error` names the "
            "fields; 409 `email_taken` when the e-mail (in any case) is another "
            "user's, `email_resigned` when it is that of a member who resigned."
        ),
        auth=[],
        request=SignUpInput,
        responses={201: MemberOutput, **error_responses(400, 409, 429)},
    )
    def post(self, request: Request) -> Response:
        given = self.SignUpInput(data=request.data)
        given.is_valid(raise_exception=True)
        member = services.sign_up(**given.validated_data)
        return Response(MemberOutput(member).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        operation_id="shop_members_list",
        tags=TAGS,
        summary="Members of the shop (admins)",
        description="Active members, the earliest joined first, paginated.",
        parameters=[FilterSerializer],
        responses={200: MemberOutput(many=True), **error_responses(400, 401, 403)},
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        members = selectors.list_members(**filters.validated_data)
        return paginated_response(
            queryset=members, output=MemberOutput, request=request, view=self
        )


class MemberMeApi(APIView):
    """The signed-in member's own account."""

    authentication_classes = SHOP_AUTHENTICATION
    permission_classes = [IsShopMember]

    @extend_schema(
        operation_id="shop_members_me",
        tags=TAGS,
        summary="The signed-in member",
        responses={200: MemberOutput, **error_responses(401, 403)},
    )
    def get(self, request: Request) -> Response:
        return Response(MemberOutput(request.user).data)


class MemberResignApi(APIView):
    """Resign: the account can no longer sign in, and its e-mail cannot sign up."""

    authentication_classes = SHOP_AUTHENTICATION
    permission_classes = [IsShopMember]

    class InputSerializer(serializers.Serializer[Any]):
        password = serializers.CharField(
            max_length=128,
            trim_whitespace=False,
            style={"input_type": "password"},
            help_text="The member's password, to confirm.",
        )

    @extend_schema(
        operation_id="shop_members_resign",
        tags=TAGS,
        summary="Resign from the shop",
        description=(
            "A soft delete: the account stays, but cannot sign in or refresh a "
            "token, and its e-mail cannot sign up again. 403 `wrong_password`; "
            "409 `last_admin` for the shop's only admin."
        ),
        request=InputSerializer,
        responses={204: None, **error_responses(400, 401, 403, 404, 409)},
    )
    def post(self, request: Request) -> Response:
        given = self.InputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        services.resign(
            user_id=signed_in_member(request).id,
            password=given.validated_data["password"],
            now=timezone.now(),
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class MemberPromoteApi(APIView):
    """Make a member an admin of the shop (admins); promoting an admin is a no-op."""

    authentication_classes = SHOP_AUTHENTICATION
    permission_classes = [IsShopAdmin]

    @extend_schema(
        operation_id="shop_members_promote",
        tags=TAGS,
        summary="Promote a member to admin",
        parameters=[path_parameter("member_id")],
        request=None,
        responses={200: MemberOutput, **error_responses(400, 401, 403, 404)},
    )
    def post(self, request: Request, member_id: str) -> Response:
        member = services.promote(
            admin_id=signed_in_member(request).id,
            member_id=path_uuid(member_id, "member_id"),
        )
        return Response(MemberOutput(member).data)
