"""Outgoing notifications (CloudPayments) and webhooks (Stripe), with retries and a log.

Each gateway builds the body and says how to sign it; this module owns the queue, the
retry schedule, the duplicate and reorder faults and the delivery log that tests read.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import itertools
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import aiohttp

from gateway_sandbox.clock import SandboxClock
from gateway_sandbox.faults import FaultSettings
from gateway_sandbox.snapshots import (
    JsonObject,
    Record,
    UnreadableState,
    encode_blob,
    encode_moment,
)

logger = logging.getLogger(__name__)

DeliveryState = Literal["pending", "delivered", "failed"]
Signer = Callable[[bytes], dict[str, str]]
Acknowledger = Callable[[int, bytes], bool]
# Functions are not written to the state file: a restored delivery gets its signer and
# acknowledger back from its gateway, by the gateway's name and the delivery's URL.
DeliveryHooks = tuple[Signer, Acknowledger]
HooksFinder = Callable[[str, str], DeliveryHooks | None]
_STATES: tuple[DeliveryState, ...] = ("pending", "delivered", "failed")

# CloudPayments retries 1, 2, 5, 10 and 30 minutes apart, then every 30 minutes.
NOTIFICATION_RETRY_SECONDS = (60, 120, 300, 600, 1800)
SEND_TIMEOUT_SECONDS = 10.0


@dataclass(slots=True)
class Attempt:
    at: dt.datetime
    status: int | None
    response: str
    error: str | None

    def as_json(self) -> dict[str, object]:
        return {
            "at": self.at.isoformat(),
            "status": self.status,
            "response": self.response,
            "error": self.error,
        }


@dataclass(slots=True)
class Delivery:
    """One message to one endpoint; a duplicate is a second Delivery of the body."""

    gateway: str
    kind: str
    url: str
    body: bytes
    content_type: str
    sign: Signer
    is_acknowledged: Acknowledger
    max_attempts: int
    id: int = 0
    next_attempt_at: dt.datetime | None = None
    state: DeliveryState = "pending"
    attempts: list[Attempt] = field(default_factory=list)
    duplicate_of: int | None = None

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "gateway": self.gateway,
            "kind": self.kind,
            "url": self.url,
            "body": self.body.decode(),
            "state": self.state,
            "duplicate_of": self.duplicate_of,
            "next_attempt_at": (
                self.next_attempt_at.isoformat() if self.next_attempt_at else None
            ),
            "attempts": [attempt.as_json() for attempt in self.attempts],
        }

    def snapshot(self) -> JsonObject:
        return {
            "id": self.id,
            "gateway": self.gateway,
            "kind": self.kind,
            "url": self.url,
            "body": encode_blob(self.body),
            "content_type": self.content_type,
            "max_attempts": self.max_attempts,
            "next_attempt_at": encode_moment(self.next_attempt_at),
            "state": self.state,
            "attempts": [attempt.as_json() for attempt in self.attempts],
            "duplicate_of": self.duplicate_of,
        }

    @classmethod
    def restore(cls, data: Record, hooks: DeliveryHooks) -> Delivery:
        """:raises UnreadableState: for data that `snapshot` did not write."""
        state = next((s for s in _STATES if s == data.text("state")), None)
        if state is None:
            raise UnreadableState(f"unknown delivery state {data.text('state')!r}")
        sign, is_acknowledged = hooks
        return cls(
            gateway=data.text("gateway"),
            kind=data.text("kind"),
            url=data.text("url"),
            body=data.blob("body"),
            content_type=data.text("content_type"),
            sign=sign,
            is_acknowledged=is_acknowledged,
            max_attempts=data.integer("max_attempts"),
            id=data.integer("id"),
            next_attempt_at=data.optional_moment("next_attempt_at"),
            state=state,
            attempts=[
                Attempt(
                    at=attempt.moment("at"),
                    status=attempt.optional_integer("status"),
                    response=attempt.text("response"),
                    error=attempt.optional_text("error"),
                )
                for attempt in data.records("attempts")
            ],
            duplicate_of=data.optional_integer("duplicate_of"),
        )


class Outbox:
    """Queues deliveries and sends them, in the background or on demand (flush)."""

    def __init__(self, clock: SandboxClock, faults: FaultSettings) -> None:
        self._clock = clock
        self._faults = faults
        self._ids = itertools.count(1)
        self._deliveries: list[Delivery] = []
        self._wakeup = asyncio.Event()
        self._lock = asyncio.Lock()
        self.auto_deliver = True
        # With reordering on, deliveries wait this long so that a pair can be swapped.
        self.reorder_window = dt.timedelta(milliseconds=300)

    def enqueue(self, delivery: Delivery) -> Delivery:
        delivery.id = next(self._ids)
        delivery.next_attempt_at = self._clock.now()
        if self._faults.reorder_notifications:
            delivery.next_attempt_at += self.reorder_window
        self._deliveries.append(delivery)
        if random.random() < self._faults.duplicate_notification_rate:
            twin = Delivery(
                gateway=delivery.gateway,
                kind=delivery.kind,
                url=delivery.url,
                body=delivery.body,
                content_type=delivery.content_type,
                sign=delivery.sign,
                is_acknowledged=delivery.is_acknowledged,
                max_attempts=delivery.max_attempts,
                id=next(self._ids),
                next_attempt_at=delivery.next_attempt_at,
                duplicate_of=delivery.id,
            )
            self._deliveries.append(twin)
        self._wakeup.set()
        return delivery

    def record(self, delivery: Delivery) -> Delivery:
        """Log a delivery its gateway made itself (CloudPayments' Check decides a
        payment, so it cannot wait in the queue); it is never sent again."""
        delivery.id = next(self._ids)
        self._deliveries.append(delivery)
        return delivery

    def log(self, gateway: str | None = None) -> list[Delivery]:
        return [d for d in self._deliveries if gateway in (None, d.gateway)]

    def reset(self) -> None:
        self._deliveries.clear()

    def snapshot(self) -> list[JsonObject]:
        """The delivery log, pending deliveries included: they go out after a restart,
        as a real gateway's retries outlive its restarts."""
        return [delivery.snapshot() for delivery in self._deliveries]

    def restore(self, deliveries: list[Record], hooks: HooksFinder) -> None:
        """Take the log back; deliveries of a gateway this sandbox lacks are dropped.

        :raises UnreadableState: for deliveries that `snapshot` did not write.
        """
        restored: list[Delivery] = []
        for data in deliveries:
            found = hooks(data.text("gateway"), data.text("url"))
            if found is not None:
                restored.append(Delivery.restore(data, found))
        self._deliveries = restored
        self._ids = itertools.count(max((d.id for d in restored), default=0) + 1)
        self._wakeup.set()

    async def flush(self, gateway: str | None = None) -> list[Delivery]:
        """Send every pending delivery now, whatever its schedule says."""
        async with self._lock:
            batch = [d for d in self.log(gateway) if d.state == "pending"]
            await self._send_all(self._ordered(batch))
            return batch

    async def run(self) -> None:
        """Deliver due messages until cancelled (the server's background task)."""
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), timeout=0.2)
            self._wakeup.clear()
            if not self.auto_deliver:
                continue
            async with self._lock:
                now = self._clock.now()
                due = [
                    d
                    for d in self._deliveries
                    if d.state == "pending"
                    and d.next_attempt_at is not None
                    and d.next_attempt_at <= now
                ]
                await self._send_all(self._ordered(due))

    def _ordered(self, batch: list[Delivery]) -> list[Delivery]:
        if self._faults.reorder_notifications:
            return list(reversed(batch))
        return batch

    async def _send_all(self, batch: list[Delivery]) -> None:
        if not batch:
            return
        timeout = aiohttp.ClientTimeout(total=SEND_TIMEOUT_SECONDS)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            for delivery in batch:
                await self._send(session, delivery)

    async def _send(self, session: aiohttp.ClientSession, delivery: Delivery) -> None:
        headers = {
            "Content-Type": delivery.content_type,
            **delivery.sign(delivery.body),
        }
        status: int | None = None
        text = ""
        error: str | None = None
        try:
            async with session.post(
                delivery.url, data=delivery.body, headers=headers
            ) as response:
                status = response.status
                raw = await response.read()
                text = raw[:2000].decode(errors="replace")
                accepted = delivery.is_acknowledged(status, raw)
        except (aiohttp.ClientError, TimeoutError) as exc:
            error = f"{type(exc).__name__}: {exc}"
            accepted = False
        now = self._clock.now()
        delivery.attempts.append(
            Attempt(at=now, status=status, response=text, error=error)
        )
        if accepted:
            delivery.state = "delivered"
            delivery.next_attempt_at = None
        elif len(delivery.attempts) >= delivery.max_attempts:
            delivery.state = "failed"
            delivery.next_attempt_at = None
        else:
            step = min(len(delivery.attempts), len(NOTIFICATION_RETRY_SECONDS)) - 1
            delay = NOTIFICATION_RETRY_SECONDS[step]
            delivery.next_attempt_at = now + dt.timedelta(seconds=delay)
        logger.info(
            "sandbox.delivery.attempt",
            extra={"delivery": delivery.id, "kind": delivery.kind, "status": status},
        )
