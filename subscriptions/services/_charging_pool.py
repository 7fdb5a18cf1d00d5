"""The renewal run's threads: senders that call the gateway, settlers that apply
the answers, each side behind a bounded queue."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Final, Generic, TypeVar, cast

from django.db import connections

from payments.gateways.throttle import GatewayThrottle

# Answers applied in one transaction at most, and charging threads per thread that
# applies answers (a settler applies a group while the senders wait on the gateway).
SETTLE_GROUP: Final = 25
SENDERS_PER_SETTLER: Final = 8
_STOP: Final = object()

ChargeT = TypeVar("ChargeT")
AnswerT = TypeVar("AnswerT")


class ChargingPool(Generic[ChargeT, AnswerT]):
    """Threads that send prepared charges, and fewer threads that apply the answers.

    `size` senders call the gateway, each through `throttle` (the caller loaded
    what a charge needs). Their answers go to fewer threads (one per
    `SENDERS_PER_SETTLER`), which take every answer waiting (up to `SETTLE_GROUP`)
    and apply them in one transaction: one commit, and one turn at the events'
    order lock (held from the events' INSERT to the commit, see `billing.outbox`),
    for the group instead of for each renewal. Both queues hold at most two items
    per thread, so a run of any size keeps a bounded number of prepared payments in
    memory. With a `size` of one there is nothing to overlap: the charges are sent
    and applied one by one from the caller's thread.

    Every thread opens its own database connection, so the database must be one
    that several connections write: PostgreSQL, or SQLite in a file (an in-memory
    SQLite database cannot be shared by writing connections).
    """

    def __init__(
        self,
        *,
        size: int,
        send: Callable[[ChargeT, GatewayThrottle], AnswerT | None],
        settle: Callable[[list[tuple[ChargeT, AnswerT]]], None],
        throttle: GatewayThrottle,
    ) -> None:
        self._send = send
        self._settle = settle
        self._throttle = throttle
        self._inline = size <= 1
        settlers = 0 if self._inline else max(1, size // SENDERS_PER_SETTLER)
        self._charges: queue.Queue[object] = queue.Queue(maxsize=max(size, 1) * 2)
        self._answers: queue.Queue[object] = queue.Queue(maxsize=max(size, 1) * 2)
        self._senders = [
            threading.Thread(target=self._send_all, name=f"renewal-{n}", daemon=True)
            for n in range(0 if self._inline else size)
        ]
        self._settlers = [
            threading.Thread(
                target=self._settle_all, name=f"renewal-settle-{n}", daemon=True
            )
            for n in range(settlers)
        ]

    def __enter__(self) -> ChargingPool[ChargeT, AnswerT]:
        for thread in self._settlers + self._senders:
            thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        # Senders first: once they are done, every answer is queued for settling.
        for _ in self._senders:
            self._charges.put(_STOP)
        for thread in self._senders:
            thread.join()
        for _ in self._settlers:
            self._answers.put(_STOP)
        for thread in self._settlers:
            thread.join()

    def put(self, charge: ChargeT) -> None:
        if self._inline:
            answer = self._send(charge, self._throttle)
            if answer is not None:
                self._settle([(charge, answer)])
        else:
            self._charges.put(charge)

    def drain(self) -> None:
        """Wait until every charge handed over so far is sent and settled."""
        if not self._inline:
            self._charges.join()
            self._answers.join()

    def _send_all(self) -> None:
        try:
            while (item := self._charges.get()) is not _STOP:
                charge = cast(ChargeT, item)
                try:
                    answer = self._send(charge, self._throttle)
                    if answer is not None:
                        self._answers.put((charge, answer))
                finally:
                    self._charges.task_done()
            self._charges.task_done()
        finally:
            connections.close_all()

    def _settle_all(self) -> None:
        try:
            stopping = False
            while not stopping:
                group: list[tuple[ChargeT, AnswerT]] = []
                item = self._answers.get()
                while True:
                    if item is _STOP:
                        stopping = True
                    else:
                        group.append(cast(tuple[ChargeT, AnswerT], item))
                    if stopping or len(group) >= SETTLE_GROUP:
                        break
                    try:
                        item = self._answers.get_nowait()
                    except queue.Empty:
                        break
                try:
                    if group:
                        self._settle(group)
                finally:
                    for _ in range(len(group) + stopping):
                        self._answers.task_done()
        finally:
            connections.close_all()
