"""How API clients prove who they are: a session cookie or an API token."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

# DRF's own words for a key that is not text.
INVALID_CHARACTERS = _(
    "Invalid token header. Token string should not contain invalid characters."
)


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's `Authorization: Token <key>`, refusing a key that no token has before
    looking it up.

    A key is 40 hex digits; one with a control character in it is refused here, as
    DRF refuses one that is not text, because PostgreSQL refuses a NUL byte in a
    query and the look-up would end in a 500.
    """

    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        if not key.isprintable():
            raise exceptions.AuthenticationFailed(INVALID_CHARACTERS)
        return super().authenticate_credentials(key)
