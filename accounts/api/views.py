"""End users' tokens over HTTP: sign in for a pair, refresh the access token.

Both answer in the API's one error shape, are limited by the `login` throttle
per address, and need no other credentials. Signing in also respects the
lock-out of `accounts.lockouts`, as the staff sign-in forms do.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView

from accounts.api.serializers import (
    AccessTokenOutput,
    TokenObtainInput,
    TokenPairOutput,
    TokenRefreshInput,
)
from accounts.lockouts import clear_failures, locked_for
from accounts.sign_in import LOCKED_OUT_MESSAGE
from kit.api.errors import error_responses
from kit.api.throttling import LoginThrottle, client_ip


class TokenObtainApi(TokenObtainPairView):
    """Sign in with e-mail and password for an access and a refresh token."""

    throttle_classes = [LoginThrottle]

    @extend_schema(
        operation_id="auth_token_obtain",
        tags=["auth"],
        summary="Sign in: an access and a refresh token",
        description=(
            "E-mail and password in; an access token (`sub` = the user's UUID) "
            "and a refresh token out. 401 `no_active_account` for wrong "
            "credentials or an inactive user; 429 when throttled or locked out."
        ),
        request=TokenObtainInput,
        responses={200: TokenPairOutput, **error_responses(400, 401, 429)},
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = request.data if isinstance(request.data, Mapping) else {}
        email = data.get("email")
        address = client_ip(request)
        wait = locked_for(email, address) if isinstance(email, str) and email else 0
        if wait:
            raise exceptions.Throttled(wait, LOCKED_OUT_MESSAGE, "login_locked_out")
        response = super().post(request, *args, **kwargs)
        if isinstance(email, str):
            clear_failures(email, address)
        return response


class TokenRefreshApi(TokenRefreshView):
    """A fresh access token for a refresh token, while its user is active."""

    throttle_classes = [LoginThrottle]

    @extend_schema(
        operation_id="auth_token_refresh",
        tags=["auth"],
        summary="A fresh access token for a refresh token",
        description=(
            "401 `token_not_valid` for an expired, forged or non-refresh token; "
            "401 `no_active_account` when the user is no longer active."
        ),
        request=TokenRefreshInput,
        responses={200: AccessTokenOutput, **error_responses(400, 401, 429)},
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().post(request, *args, **kwargs)
