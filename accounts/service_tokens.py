"""Tokens for other services (the shop, the frontend's backend) to call billing.

A service token is a JWT like an end user's access token, but its `sub` is
`service:<name>`, its `token_type` is "service" and its `scope` lists what the
service may do, from `kit.tokens.SERVICE_SCOPES`. It lasts long (a year by
default) and is revoked by rotating the signing key (docs/operations.md).
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Iterable
from typing import Final

from kit.tokens import (
    SERVICE_SCOPES,
    SERVICE_SUBJECT_PREFIX,
    SERVICE_TOKEN_TYPE,
    encode_token,
)

DEFAULT_LIFETIME_DAYS: Final = 365
# Lower-case words joined by `-`, `_` or `.`: it appears in logs and in `sub`.
_SERVICE_NAME = re.compile(r"[a-z0-9]+(?:[._-][a-z0-9]+)*")


class ServiceTokenRefused(ValueError):
    """The token was not issued: the name or a scope is not acceptable."""


def issue_service_token(
    *, name: str, scopes: Iterable[str], days: int, now: dt.datetime
) -> str:
    """A signed token for the service `name`, granting `scopes` for `days` days.

    :raises ServiceTokenRefused: when the name is not a plain lower-case name,
        no scope is given, a scope is not one of `SERVICE_SCOPES`, or `days` is
        not positive.
    """
    granted = sorted(set(scopes))
    if not _SERVICE_NAME.fullmatch(name):
        raise ServiceTokenRefused(
            f"{name!r} is not a service name (lower-case letters, digits, '.-_')"
        )
    if not granted:
        raise ServiceTokenRefused("a service token needs at least one scope")
    if unknown := [scope for scope in granted if scope not in SERVICE_SCOPES]:
        raise ServiceTokenRefused(
            f"unknown scope {', '.join(unknown)}; "
            f"known: {', '.join(sorted(SERVICE_SCOPES))}"
        )
    if days <= 0:
        raise ServiceTokenRefused("a service token must last at least one day")
    return encode_token(
        {
            "sub": f"{SERVICE_SUBJECT_PREFIX}{name}",
            "token_type": SERVICE_TOKEN_TYPE,
            "scope": granted,
            "iat": int(now.timestamp()),
            "exp": int((now + dt.timedelta(days=days)).timestamp()),
            "jti": uuid.uuid4().hex,
        }
    )
