"""simplejwt's serializers, as this service needs them (`SIMPLE_JWT` names them)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, serializers
from rest_framework_simplejwt.serializers import (
    TokenObtainPairSerializer,
    TokenRefreshSerializer,
)

from accounts.models import User

NO_ACTIVE_ACCOUNT = _("No active account found for the given token.")


class TokenObtainInput(TokenObtainPairSerializer):
    """E-mail and password in; an access and a refresh token out.

    simplejwt's own: it calls `authenticate()` with the request, so the lock-out
    backend counts and refuses, and an inactive user gets no token.
    """


class TokenRefreshInput(TokenRefreshSerializer):
    """A refresh token in; a fresh access token out, while the user is active."""

    def validate(self, attrs: dict[str, Any]) -> dict[str, str]:
        try:
            return super().validate(attrs)
        except User.DoesNotExist:
            # The account was deleted after the token was issued.
            raise exceptions.AuthenticationFailed(
                NO_ACTIVE_ACCOUNT, "no_active_account"
            ) from None


class TokenPairOutput(serializers.Serializer[Any]):
    access = serializers.CharField(help_text="Access token (JWT), `sub` = user UUID.")
    refresh = serializers.CharField(help_text="Refresh token (JWT).")


class AccessTokenOutput(serializers.Serializer[Any]):
    access = serializers.CharField(help_text="Access token (JWT), `sub` = user UUID.")
