"""What each simulated gateway plugs into the sandbox server."""

from __future__ import annotations

import abc
import collections
import time
from collections.abc import Callable, Coroutine
from typing import Any

from aiohttp import web

from gateway_sandbox.deliveries import DeliveryHooks
from gateway_sandbox.discrepancies import ReconciliationKnobs
from gateway_sandbox.snapshots import JsonObject, Record


class Throttle(abc.ABC):
    """Admits a request or refuses it, as the real gateway's rate limiter would."""

    @abc.abstractmethod
    def try_enter(self) -> bool: ...

    def leave(self) -> None:  # noqa: B027 - most throttles have nothing to release
        """Called once for every admitted request when it ends."""


class ConcurrencyThrottle(Throttle):
    """At most `limit()` requests in flight (CloudPayments' per-terminal rule)."""

    def __init__(self, limit: Callable[[], int]) -> None:
        self._limit = limit
        self.in_flight = 0

    def try_enter(self) -> bool:
        if self.in_flight >= self._limit():
            return False
        self.in_flight += 1
        return True

    def leave(self) -> None:
        self.in_flight -= 1


class RateThrottle(Throttle):
    """At most `limit()` requests per rolling second (Stripe's test-mode rule)."""

    def __init__(self, limit: Callable[[], int]) -> None:
        self._limit = limit
        self._admitted: collections.deque[float] = collections.deque()

    def try_enter(self) -> bool:
        limit = self._limit()
        if limit <= 0:
            return True
        now = time.monotonic()
        while self._admitted and now - self._admitted[0] >= 1.0:
            self._admitted.popleft()
        if len(self._admitted) >= limit:
            return False
        self._admitted.append(now)
        return True


class SimulatedGateway(abc.ABC):
    """One gateway's wire protocol, state and error shapes."""

    name: str
    throttle: Throttle

    @abc.abstractmethod
    def owns(self, path: str) -> bool:
        """Whether `path` is one of this gateway's API paths (faults apply there)."""

    @abc.abstractmethod
    def routes(self) -> list[web.RouteDef]: ...

    @abc.abstractmethod
    def reset(self) -> None: ...

    @abc.abstractmethod
    def snapshot(self) -> JsonObject:
        """What a restart must not lose, as JSON (see `gateway_sandbox.snapshots`)."""

    @abc.abstractmethod
    def restore(self, data: Record) -> None:
        """Take up the state `snapshot` wrote; called right after `reset`.

        :raises UnreadableState: for data that `snapshot` did not write.
        """

    @abc.abstractmethod
    def delivery_hooks(self, url: str) -> DeliveryHooks:
        """How this gateway signs and judges deliveries to `url` (restored ones)."""

    @abc.abstractmethod
    def reconciliation_knobs(self) -> ReconciliationKnobs:
        """How this gateway makes discrepancies and seeds payments [SANDBOX]."""

    @abc.abstractmethod
    def server_error(self) -> web.Response:
        """The gateway's answer when it fails internally (HTTP 5xx)."""

    @abc.abstractmethod
    def too_many_requests(self) -> web.Response:
        """The gateway's answer when its rate limit is exceeded (HTTP 429)."""

    def background_jobs(self) -> list[Callable[[], Coroutine[Any, Any, None]]]:
        """Coroutines run beside the requests for the server's life (e.g. schedules)."""
        return []
