"""The simulated shipping partner: its state, its API and its `/__sandbox/` controls."""

from __future__ import annotations

import collections
import datetime as dt
from typing import Any, Final

from aiohttp import web

from gateway_sandbox.clock import SandboxClock
from gateway_sandbox.replay import ReplayCache
from gateway_sandbox.shipping.api import ShippingApi
from gateway_sandbox.shipping.controls import ShippingControls
from gateway_sandbox.shipping.faults import Dice, Fate, ShippingFaults
from gateway_sandbox.shipping.shipments import ShipmentBook
from gateway_sandbox.snapshots import JsonObject, Record

# A key answers its first shipment for a day of sandbox time, as Stripe's do; after
# that it is a new key.
REPLAY_TTL: Final = dt.timedelta(hours=24)
# What `GET /__sandbox/shipping/stats` counts since the last reset.
STATISTICS: Final = (
    "requests",
    *(fate.value for fate in Fate),
    "registered",
    "replayed",
    "refused",
)


class SimulatedShippingPartner:
    """A shipping partner that registers a shipment once per idempotency key."""

    def __init__(
        self, *, clock: SandboxClock, api_key: str, start_faults: dict[str, Any]
    ) -> None:
        self.clock = clock
        self.api_key = api_key
        self._start_faults = dict(start_faults)
        self.faults = ShippingFaults()
        self.faults.update(self._start_faults)
        self.dice = Dice(self.faults)
        self.book = ShipmentBook()
        self.replays = ReplayCache(REPLAY_TTL)
        self._counts: collections.Counter[str] = collections.Counter()
        self._api = ShippingApi(self)
        self._controls = ShippingControls(self)

    def routes(self) -> list[web.RouteDef]:
        return [*self._controls.routes(), *self._api.routes()]

    def change_faults(self, changes: dict[str, Any]) -> None:
        """Apply knob changes all-or-nothing; a `seed` given starts its dice afresh.

        :raises InvalidFaultSetting: for an unknown knob or a value out of range.
        """
        self.faults.update(changes)
        if "seed" in changes:
            self.dice.reseed()

    def count(self, *names: str) -> None:
        self._counts.update(names)

    def statistics(self) -> dict[str, int]:
        return {name: self._counts[name] for name in STATISTICS}

    @property
    def internal_errors(self) -> list[str]:
        """Requests that ended in an unexpected exception since the last reset."""
        return self._api.internal_errors

    def reset(self) -> None:
        """Forget every shipment and key; the knobs back to their start values."""
        self.book.reset()
        self.replays.reset()
        self._counts.clear()
        self._api.internal_errors.clear()
        self.faults.update({**ShippingFaults().as_json(), **self._start_faults})
        self.dice.reseed()

    def snapshot(self) -> JsonObject:
        return {
            "shipments": self.book.snapshot(),
            "idempotency_keys": self.replays.snapshot(),
        }

    def restore(self, data: Record) -> None:
        """:raises UnreadableState: for data that `snapshot` did not write."""
        self.book.restore(data.records("shipments"))
        self.replays.restore(data.records("idempotency_keys"))
