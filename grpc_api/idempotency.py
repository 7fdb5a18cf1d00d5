"""A write request's idempotency key, as the domain's `RequestKey`.

The key is the caller's own (`service:<name>` or `user:<uuid>` from its token); the
fingerprint is a SHA-256 of the request serialized deterministically without its
key, so the same key with any other field changed is a different request.
"""

from __future__ import annotations

import hashlib
from typing import Final

from google.protobuf.message import Message

from billing.services import RequestKey
from grpc_api.auth import InvalidArgument, caller
from kit.tokens import PrincipalKind

KEY_FIELD: Final = "idempotency_key"
MAX_KEY_LENGTH: Final = 255


def request_key(request: Message, *, operation: str) -> RequestKey:
    """The key of `request` (its `idempotency_key` field) for `operation`.

    :raises InvalidArgument: when the key is empty or longer than 255 characters.
    """
    key = getattr(request, KEY_FIELD)
    if not key:
        raise InvalidArgument(KEY_FIELD, "idempotency_key is required.")
    if len(key) > MAX_KEY_LENGTH:
        raise InvalidArgument(
            KEY_FIELD, f"idempotency_key is longer than {MAX_KEY_LENGTH} characters."
        )
    keyless = type(request)()
    keyless.CopyFrom(request)
    keyless.ClearField(KEY_FIELD)
    fingerprint = hashlib.sha256(keyless.SerializeToString(deterministic=True))
    principal = caller()
    kind = "user" if principal.kind is PrincipalKind.USER else "service"
    return RequestKey(
        client=f"{kind}:{principal.subject}",
        key=key,
        operation=operation,
        fingerprint=fingerprint.hexdigest(),
    )
