"""Call metadata with bearer tokens, as the frontend and the services send them."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from accounts.service_tokens import issue_service_token
from kit.tokens import USER_TOKEN_TYPE, encode_token

Metadata = tuple[tuple[str, str], ...]


def bearer(token: str) -> Metadata:
    return (("authorization", f"Bearer {token}"),)


def user_token(user_id: uuid.UUID, *, key: str | None = None, **claims: Any) -> str:
    """An end user's access token for `user_id`, valid for a quarter of an hour."""
    now = dt.datetime.now(tz=dt.UTC)
    body: dict[str, Any] = {
        "sub": str(user_id),
        "token_type": USER_TOKEN_TYPE,
        "jti": uuid.uuid4().hex,
        "iat": int(now.timestamp()),
        "exp": int((now + dt.timedelta(minutes=15)).timestamp()),
    }
    body.update(claims)
    return encode_token(body, key=key)


def user_metadata(user_id: uuid.UUID) -> Metadata:
    return bearer(user_token(user_id))


def service_metadata(*scopes: str, name: str = "shop") -> Metadata:
    """A service token granting `scopes`, as `issue_service_token` prints it."""
    token = issue_service_token(
        name=name, scopes=scopes, days=1, now=dt.datetime.now(tz=dt.UTC)
    )
    return bearer(token)
