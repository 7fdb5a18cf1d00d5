"""Stored first replies, replayed for repeated idempotency keys."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from gateway_sandbox.snapshots import JsonObject, Record, encode_blob, encode_moment

# (account, the client's key, ...): what one gateway scopes a replay by.
ReplayKey = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class StoredReply:
    status: int
    body: bytes
    content_type: str
    fingerprint: str
    request_id: str
    stored_at: dt.datetime


class ReplayCache:
    """First complete replies by key, forgotten after `ttl` of sandbox time.

    A key whose first request is still running is "in flight": gateways answer a
    concurrent repeat differently (Stripe with 409), so the cache tells them apart.
    """

    def __init__(self, ttl: dt.timedelta) -> None:
        self._ttl = ttl
        self._replies: dict[ReplayKey, StoredReply] = {}
        self._in_flight: set[ReplayKey] = set()

    def lookup(self, key: ReplayKey, *, now: dt.datetime) -> StoredReply | None:
        reply = self._replies.get(key)
        if reply is not None and now - reply.stored_at >= self._ttl:
            del self._replies[key]
            return None
        return reply

    def is_in_flight(self, key: ReplayKey) -> bool:
        return key in self._in_flight

    def begin(self, key: ReplayKey) -> None:
        self._in_flight.add(key)

    def abandon(self, key: ReplayKey) -> None:
        self._in_flight.discard(key)

    def store(self, key: ReplayKey, reply: StoredReply) -> None:
        self._in_flight.discard(key)
        self._replies[key] = reply

    def reset(self) -> None:
        self._replies.clear()
        self._in_flight.clear()

    def snapshot(self) -> list[JsonObject]:
        """The stored replies; requests in flight end with the process."""
        return [
            {
                "key": list(key),
                "status": reply.status,
                "body": encode_blob(reply.body),
                "content_type": reply.content_type,
                "fingerprint": reply.fingerprint,
                "request_id": reply.request_id,
                "stored_at": encode_moment(reply.stored_at),
            }
            for key, reply in self._replies.items()
        ]

    def restore(self, replies: list[Record]) -> None:
        """:raises UnreadableState: for replies that `snapshot` did not write."""
        self._replies = {
            tuple(reply.texts("key")): StoredReply(
                status=reply.integer("status"),
                body=reply.blob("body"),
                content_type=reply.text("content_type"),
                fingerprint=reply.text("fingerprint"),
                request_id=reply.text("request_id"),
                stored_at=reply.moment("stored_at"),
            )
            for reply in replies
        }
