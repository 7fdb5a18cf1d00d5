"""Fault knobs: the ways a real gateway misbehaves, dialled up at start or at run time.

Every knob applies to the gateways' own endpoints only; `/__sandbox/` controls and the
card pages are never slowed down or broken, so a test can always reach the controls.
The shipping partner has knobs of its own (`gateway_sandbox.shipping.faults`), built
on the same `Knobs`.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, fields
from typing import Any, ClassVar


class InvalidFaultSetting(ValueError):
    pass


@dataclass(slots=True)
class Knobs:
    """A set of knobs changed all-or-nothing; `RATES` are probabilities (0 to 1)."""

    RATES: ClassVar[frozenset[str]] = frozenset()

    def update(self, changes: dict[str, Any]) -> None:
        """Apply `changes` all-or-nothing.

        :raises InvalidFaultSetting: for an unknown knob or a value out of range.
        """
        candidate = dataclasses.replace(self)
        known = {field.name: field for field in fields(self)}
        for name, value in changes.items():
            if name not in known:
                raise InvalidFaultSetting(f"unknown fault knob: {name}")
            setattr(candidate, name, _coerce(name, known[name].type, value, self.RATES))
        candidate.check()
        for field in fields(self):
            setattr(self, field.name, getattr(candidate, field.name))

    def check(self) -> None:
        """Refuse a combination of values that are each in range.

        :raises InvalidFaultSetting:
        """

    def as_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(slots=True)
class FaultSettings(Knobs):
    """The current fault knobs; rates are probabilities between 0 and 1."""

    RATES: ClassVar[frozenset[str]] = frozenset(
        {
            "timeout_rate",
            "error_rate",
            "rate_limit_rate",
            "drop_reply_rate",
            "duplicate_notification_rate",
        }
    )

    latency_ms: int = 0
    jitter_ms: int = 0
    # The request is carried out, then the reply is held this long: past any sane
    # client timeout, so the client cannot know whether money moved.
    timeout_rate: float = 0.0
    timeout_hang_seconds: float = 60.0
    error_rate: float = 0.0
    rate_limit_rate: float = 0.0
    # The request is carried out and the connection is closed without a reply.
    drop_reply_rate: float = 0.0
    duplicate_notification_rate: float = 0.0
    reorder_notifications: bool = False
    # CloudPayments refuses more than 5 concurrent requests on a test terminal
    # (30 on a live one) with HTTP 429.
    max_in_flight: int = 5
    # Stripe allows 25 requests per second in test mode; 0 turns the limit off.
    stripe_requests_per_second: int = 25

    def check(self) -> None:
        if self.max_in_flight < 1:
            raise InvalidFaultSetting("max_in_flight must be at least 1")


def _coerce(name: str, annotation: object, value: Any, rates: frozenset[str]) -> Any:
    if annotation in ("bool", bool):
        if not isinstance(value, bool):
            raise InvalidFaultSetting(f"{name} must be true or false")
        return value
    if annotation == "int | None" and value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidFaultSetting(f"{name} must be a number")
    if not math.isfinite(value) or value < 0:
        raise InvalidFaultSetting(f"{name} must be a finite number >= 0")
    if name in rates:
        if value > 1:
            raise InvalidFaultSetting(f"{name} is a probability between 0 and 1")
        return float(value)  # a fault rate (probability), never money
    if annotation in ("int", int, "int | None"):
        if value != int(value):
            raise InvalidFaultSetting(f"{name} must be a whole number")
        return int(value)
    return float(value)  # seconds of hang time, never money
