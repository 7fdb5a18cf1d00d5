"""Stored first replies, replayed for repeated idempotency keys."""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable
from dataclasses import dataclass


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
        self._replies: dict[Hashable, StoredReply] = {}
        self._in_flight: set[Hashable] = set()

    def lookup(self, key: Hashable, *, now: dt.datetime) -> StoredReply | None:
        reply = self._replies.get(key)
        if reply is not None and now - reply.stored_at >= self._ttl:
            del self._replies[key]
            return None
        return reply

    def is_in_flight(self, key: Hashable) -> bool:
        return key in self._in_flight

    def begin(self, key: Hashable) -> None:
        self._in_flight.add(key)

    def abandon(self, key: Hashable) -> None:
        self._in_flight.discard(key)

    def store(self, key: Hashable, reply: StoredReply) -> None:
        self._in_flight.discard(key)
        self._replies[key] = reply

    def reset(self) -> None:
        self._replies.clear()
        self._in_flight.clear()
