"""Verification of the service's bearer tokens: who a JWT speaks for, or why not.

Two kinds of token are accepted as access tokens, both HS256 JWTs:

- an end user's access token (`token_type` "access", issued by `accounts` over
  HTTP with simplejwt), whose `sub` is the user's UUID, the payer's UUID in billing;
- a service's token (`token_type` "service", from `issue_service_token`), whose
  `sub` is `service:<name>` and whose `scope` lists what the service may do.

A token verifies under `JWT_SIGNING_KEY` or any of `JWT_VERIFYING_KEYS` (retired
signing keys, newest first), so that the signing key rotates without turning away
tokens that are still live. Only HS256 is allowed: a token that names another
algorithm (`none` above all) is refused before any key is tried.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import jwt
from django.conf import settings
from jwt.types import Options

ALGORITHM: Final = "HS256"
# Claim values, not secrets.
USER_TOKEN_TYPE: Final = "access"  # noqa: S105
SERVICE_TOKEN_TYPE: Final = "service"  # noqa: S105
SERVICE_SUBJECT_PREFIX: Final = "service:"
_REQUIRED_CLAIMS: Final = ["exp", "sub", "token_type", "jti"]

# What a service token may be granted; the gRPC services check these names.
SERVICE_SCOPES: Final = frozenset(
    {
        "billing.read",
        "billing.subscriptions.write",
        "billing.payments.write",
        "billing.payments.refund",
        "billing.events.read",
        "auth.users.read",
    }
)


class InvalidToken(Exception):
    """The token is no proof of anyone: malformed, forged, expired or of a kind
    that does not grant access. The message says which, for logs only."""

    code = "token_not_valid"


class PrincipalKind(enum.StrEnum):
    USER = "user"
    SERVICE = "service"


@dataclass(frozen=True)
class Principal:
    """Whom a verified token speaks for.

    `subject` is the user's UUID as text for a user, the service's name for a
    service; only services hold scopes.
    """

    kind: PrincipalKind
    subject: str
    scopes: frozenset[str]
    token_id: str

    @property
    def user_id(self) -> uuid.UUID | None:
        """The user's (payer's) UUID; None for a service."""
        return uuid.UUID(self.subject) if self.kind is PrincipalKind.USER else None

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes


def verifying_keys() -> list[str]:
    """The keys a token may be signed with: the signing key, then the retired ones."""
    keys = [str(settings.JWT_SIGNING_KEY)]
    keys += [str(key).strip() for key in settings.JWT_VERIFYING_KEYS]
    return list(dict.fromkeys(key for key in keys if key))


def verify_access_token(token: str, *, keys: Sequence[str] | None = None) -> Principal:
    """The principal that `token` speaks for.

    Expiry is checked against the clock (PyJWT reads it, with no leeway).

    :param keys: the keys to try, by default `verifying_keys()`.
    :raises InvalidToken: when the token is malformed, names an algorithm other
        than HS256, is signed by none of the keys, has expired, or is not an
        access or service token (a refresh token above all).
    """
    claims = _decode(token, keys=verifying_keys() if keys is None else keys)
    return _principal(claims)


def encode_token(claims: dict[str, Any], *, key: str | None = None) -> str:
    """`claims` signed as a JWT with `key`, by default `JWT_SIGNING_KEY`."""
    return jwt.encode(
        claims,
        str(settings.JWT_SIGNING_KEY) if key is None else key,
        algorithm=ALGORITHM,
    )


def _decode(token: str, *, keys: Sequence[str]) -> Any:
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as error:
        raise InvalidToken(f"malformed token: {error}") from None
    if header.get("alg") != ALGORITHM:
        raise InvalidToken(f"algorithm {header.get('alg')!r} is not accepted")
    options = Options(require=_REQUIRED_CLAIMS)
    for key in keys:
        try:
            claims = jwt.decode(token, key, algorithms=[ALGORITHM], options=options)
        except jwt.InvalidSignatureError:
            continue
        except jwt.PyJWTError as error:
            raise InvalidToken(f"token refused: {error}") from None
        return claims
    raise InvalidToken("token refused: signed by no accepted key")


def _principal(claims: dict[str, Any]) -> Principal:
    kind = claims["token_type"]
    subject = claims["sub"]
    if not isinstance(subject, str):
        raise InvalidToken("token refused: the subject is not text")
    if kind == USER_TOKEN_TYPE:
        try:
            user_id = uuid.UUID(subject)
        except ValueError:
            raise InvalidToken("token refused: the subject is no user id") from None
        return Principal(
            kind=PrincipalKind.USER,
            subject=str(user_id),
            scopes=frozenset(),
            token_id=str(claims["jti"]),
        )
    if kind == SERVICE_TOKEN_TYPE:
        name = subject.removeprefix(SERVICE_SUBJECT_PREFIX)
        scopes = claims.get("scope")
        if not subject.startswith(SERVICE_SUBJECT_PREFIX) or not name:
            raise InvalidToken("token refused: the subject is no service")
        if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes):
            raise InvalidToken("token refused: the scope is not a list of names")
        return Principal(
            kind=PrincipalKind.SERVICE,
            subject=name,
            scopes=frozenset(scopes),
            token_id=str(claims["jti"]),
        )
    raise InvalidToken(f"token refused: a {kind!r} token grants no access")
