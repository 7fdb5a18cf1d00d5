"""How members prove who they are: simplejwt's access token, its user read by one
statement written once.

Every request of a member reads the member's row before anything else (simplejwt
refuses a user who is no longer active, a member who resigned). Building that
query anew with the ORM cost more CPU than sending it and reading the row; for a
reaction toggle, the shop's most frequent request, about a seventh of the web's
CPU (docs/performance.md, "Reaction toggles").

Verifying a token's signature and reading its claims cost about as much again, for
the same token on every request of a member's session; each process keeps the
tokens it has verified until they expire (`VerifiedTokens`).
"""

from __future__ import annotations

import functools
import threading
import time
import uuid
from typing import Any

from django.db import connection
from django.utils.translation import gettext as _
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import Token

from accounts.models import User


class VerifiedTokens:
    """Tokens this process has verified, by their text, until they expire.

    A token's text is signed: the same text verifies the same way until its
    `exp`, so it is not verified again before then. At most `limit` are kept;
    past that the memory starts over.
    """

    def __init__(self, limit: int = 10_000) -> None:
        self._limit = limit
        self._tokens: dict[bytes, tuple[Token, float]] = {}
        self._lock = threading.Lock()

    def get(self, raw_token: bytes) -> Token | None:
        kept = self._tokens.get(raw_token)
        if kept is None:
            return None
        token, expires = kept
        if time.time() >= expires:
            with self._lock:
                self._tokens.pop(raw_token, None)
            return None
        return token

    def keep(self, raw_token: bytes, token: Token) -> None:
        expires = token.get("exp")
        if not isinstance(expires, int | float):
            return
        with self._lock:
            if len(self._tokens) >= self._limit:
                self._tokens.clear()
            self._tokens[raw_token] = (token, float(expires))


class MemberJWTAuthentication(JWTAuthentication):
    """simplejwt's `JWTAuthentication` with the tokens it verified kept, and a
    cheaper read of the token's user.

    On PostgreSQL the row comes back in the fields' own types, so the user is built
    from it as the ORM would build it. Elsewhere, for a token whose user id is not
    a UUID, or with revocation by password on, simplejwt reads the user itself.
    The user is read on every request, so a member who resigns is refused at once.
    """

    verified = VerifiedTokens()

    def get_validated_token(self, raw_token: bytes) -> Token:
        token = self.verified.get(raw_token)
        if token is None:
            token = super().get_validated_token(raw_token)
            self.verified.keep(raw_token, token)
        return token

    def get_user(self, validated_token: Token) -> Any:
        user_id = _as_uuid(validated_token.get(api_settings.USER_ID_CLAIM))
        if (
            user_id is None
            or connection.vendor != "postgresql"
            or self.user_model is not User
            or api_settings.USER_ID_FIELD != "id"
            or api_settings.CHECK_REVOKE_TOKEN
        ):
            return super().get_user(validated_token)
        user = _user(user_id)
        # simplejwt's own answers.
        if user is None:
            raise AuthenticationFailed(_("User not found"), code="user_not_found")
        if api_settings.CHECK_USER_IS_ACTIVE and not user.is_active:
            raise AuthenticationFailed(_("User is inactive"), code="user_inactive")
        return user


def _as_uuid(value: object) -> uuid.UUID | None:
    """`value` as the ORM would read a UUID from text; None when it cannot."""
    if not isinstance(value, str):
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def _user(user_id: uuid.UUID) -> User | None:
    names, statement = _user_statement()
    with connection.cursor() as cursor:
        cursor.execute(statement, [user_id])
        row = cursor.fetchone()
    return None if row is None else User.from_db(connection.alias, names, row)


@functools.cache
def _user_statement() -> tuple[list[str], str]:
    """The user's columns, and `SELECT <them> FROM accounts_user WHERE id = %s` as
    the ORM writes it for PostgreSQL."""
    names = [field.attname for field in User._meta.concrete_fields]
    sql, _ = (
        User.objects.filter(pk=uuid.UUID(int=0))
        .values_list(*names)
        .query.sql_with_params()
    )
    return names, str(sql)


class MemberJWTScheme(SimpleJWTScheme):
    """The OpenAPI security scheme of simplejwt's class, for this one too."""

    target_class = "accounts.api.authentication.MemberJWTAuthentication"
