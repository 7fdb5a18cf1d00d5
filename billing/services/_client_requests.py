"""Idempotency keys of callers' write requests: replay the first result, refuse reuse.

A write service that takes a `RequestKey` first asks `replay_of` whether the key was
seen; if so it answers the first result instead of acting again. Otherwise it acts,
and `remember_request` stores the key inside the transaction that creates the
result's row, so a crash leaves both or neither. Two concurrent requests with one
key meet at the unique constraint: the loser's transaction rolls back and it answers
the winner's result.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from billing.errors import DuplicateRequest
from billing.models import ClientRequest


@dataclass(frozen=True, slots=True)
class RequestKey:
    """A caller's idempotency key with what identifies its request.

    `fingerprint` is a digest of the request without the key (the transport makes
    it); the same key must come with the same operation and fingerprint.
    """

    client: str
    key: str
    operation: str
    fingerprint: str


class KeyTaken(Exception):
    """Another request stored the same key first; its result answers this one."""


def replay_of(request: RequestKey) -> str | None:
    """The result (`<kind>:<uuid>`) of the earlier request under this key, or None.

    :raises DuplicateRequest: when the key was used for another operation or with
        other arguments.
    """
    earlier = ClientRequest.objects.filter(
        client=request.client, key=request.key
    ).first()
    if earlier is None:
        return None
    if (earlier.operation, earlier.fingerprint) != (
        request.operation,
        request.fingerprint,
    ):
        raise DuplicateRequest(
            extra={"idempotency_key": request.key, "first_operation": earlier.operation}
        )
    return earlier.result


def remember_request(request: RequestKey, *, result: str, now: dt.datetime) -> None:
    """Store the key with its result, in the transaction that creates the result.

    :raises KeyTaken: when a concurrent request stored the key first; the caller's
        transaction must roll back (the savepoint here keeps it usable until then).
    """
    try:
        with transaction.atomic():
            ClientRequest.objects.create(
                client=request.client,
                key=request.key,
                operation=request.operation,
                fingerprint=request.fingerprint,
                result=result,
                created_at=now,
            )
    except IntegrityError:
        raise KeyTaken(request.key) from None


def purge_client_requests(*, older_than: dt.datetime) -> int:
    """Forget keys stored before `older_than`; how many went."""
    deleted, _ = ClientRequest.objects.filter(created_at__lt=older_than).delete()
    return deleted
