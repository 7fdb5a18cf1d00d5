"""Bearer tokens of the benchmarks' callers, signed with a key made for the run.

The service's processes verify them with it: put `SIGNING_KEY` in their
`JWT_SIGNING_KEY`. A user's token is what `accounts` issues at sign-in (simplejwt's
access token: `sub` the user's UUID, `token_type` "access", `jti`, `exp`).
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid

import jwt

from kit.tokens import ALGORITHM, SERVICE_TOKEN_TYPE, USER_TOKEN_TYPE

SIGNING_KEY = secrets.token_urlsafe(48)


def user_token(user_id: str) -> str:
    return _token(sub=user_id, token_type=USER_TOKEN_TYPE)


def service_token(*scopes: str) -> str:
    return _token(
        sub="service:bench", token_type=SERVICE_TOKEN_TYPE, scope=list(scopes)
    )


def _token(**claims: object) -> str:
    now = dt.datetime.now(dt.UTC)
    body = {
        **claims,
        "jti": uuid.uuid4().hex,
        "iat": int(now.timestamp()),
        "exp": int((now + dt.timedelta(hours=2)).timestamp()),
    }
    return jwt.encode(body, SIGNING_KEY, algorithm=ALGORITHM)
