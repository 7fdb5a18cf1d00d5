"""Idempotent requests (GATEWAYS.md C3): the first executed reply, replayed for 24 h.

Keys are scoped per API key. A key is saved once the endpoint began executing, whatever
the outcome (a 402 decline and a 500 included); failures found while reading the
parameters, and requests refused before execution (401, 429, a concurrent repeat),
leave no trace, so a corrected retry runs afresh.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json

from gateway_sandbox.clock import SandboxClock
from gateway_sandbox.replay import ReplayCache, StoredReply
from gateway_sandbox.stripe.encoding import FormTree
from gateway_sandbox.stripe.errors import StripeApiError, invalid_parameter

TTL = dt.timedelta(hours=24)
MAX_KEY_LENGTH = 255

CacheKey = tuple[str, str]


def fingerprint(method: str, path: str, params: FormTree) -> str:
    """The endpoint on the first line, then a digest of the decoded parameters.

    Comparing decoded trees (not raw bytes) means a retry that orders or encodes its
    parameters differently is still the same request.
    """
    digest = hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()
    return f"{method} {path}\n{digest}"


class IdempotencyKeys:
    def __init__(self, clock: SandboxClock) -> None:
        self._clock = clock
        self.cache = ReplayCache(TTL)

    def reset(self) -> None:
        self.cache.reset()

    def stored_reply(
        self, key: CacheKey, request_fingerprint: str
    ) -> StoredReply | None:
        """The reply to replay for `key`, or None when the request is to run.

        :raises StripeApiError: 400 idempotency_error when the key was used for another
            endpoint or other parameters; 409 while its first request still runs.
        """
        idempotency_key = key[1]
        if len(idempotency_key) > MAX_KEY_LENGTH:
            raise invalid_parameter(
                None,
                f"Idempotency keys may be at most {MAX_KEY_LENGTH} characters long.",
            )
        stored = self.cache.lookup(key, now=self._clock.now())
        if stored is not None:
            first_endpoint = stored.fingerprint.partition("\n")[0]
            if first_endpoint != request_fingerprint.partition("\n")[0]:
                raise StripeApiError(
                    400,
                    "Keys for idempotent requests can only be used for the same "
                    "endpoint they were first used for "
                    f"({first_endpoint}). Try using a key other than "
                    f"'{idempotency_key}' if you meant to execute a different request.",
                    type="idempotency_error",
                )
            if stored.fingerprint != request_fingerprint:
                raise StripeApiError(
                    400,
                    "Keys for idempotent requests can only be used with the same "
                    "parameters they were first used with. Try using a key other than "
                    f"'{idempotency_key}' if you meant to execute a different request.",
                    type="idempotency_error",
                )
            return stored
        if self.cache.is_in_flight(key):
            raise StripeApiError(
                409,
                "There is currently another in-progress request using this "
                f"Stripe-Idempotency-Key: {idempotency_key}. Please try again later.",
                code="idempotency_key_in_use",
            )
        return None

    def begin(self, key: CacheKey) -> None:
        self.cache.begin(key)

    def abandon(self, key: CacheKey) -> None:
        self.cache.abandon(key)

    def store(
        self,
        key: CacheKey,
        *,
        status: int,
        body: bytes,
        request_fingerprint: str,
        request_id: str,
    ) -> None:
        self.cache.store(
            key,
            StoredReply(
                status=status,
                body=body,
                content_type="application/json",
                fingerprint=request_fingerprint,
                request_id=request_id,
                stored_at=self._clock.now(),
            ),
        )
