"""Tokens: end users' access and refresh tokens (simplejwt) and services' tokens.

Both kinds are HS256 JWTs signed with `JWT_SIGNING_KEY` and verified by
`kit.tokens.verify_access_token`, which also accepts `JWT_VERIFYING_KEYS`.
"""

from __future__ import annotations

import datetime as dt

from config import env as environment

JWT_SIGNING_KEY = environment.JWT_SIGNING_KEY
JWT_VERIFYING_KEYS = environment.JWT_VERIFYING_KEYS

SIMPLE_JWT = {
    "ALGORITHM": "HS256",
    "SIGNING_KEY": JWT_SIGNING_KEY,
    "ACCESS_TOKEN_LIFETIME": dt.timedelta(minutes=environment.JWT_ACCESS_TOKEN_MINUTES),
    "REFRESH_TOKEN_LIFETIME": dt.timedelta(
        minutes=environment.JWT_REFRESH_TOKEN_MINUTES
    ),
    # `sub` is the user's UUID: billing knows its payers by that UUID alone.
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "sub",
    "UPDATE_LAST_LOGIN": False,
    "ROTATE_REFRESH_TOKENS": False,
    "TOKEN_OBTAIN_SERIALIZER": "accounts.api.serializers.TokenObtainInput",
    "TOKEN_REFRESH_SERIALIZER": "accounts.api.serializers.TokenRefreshInput",
}
