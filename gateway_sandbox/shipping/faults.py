"""The shipping partner's knobs, and the dice that decide each call's fate.

One roll per call splits the calls into exact shares: `failure_rate` of them fail
(503), `rate_limit_rate` are refused (429), `timeout_rate` are held longer than a
client waits, the rest are answered. Of the held calls, `timeout_registered_rate`
are carried out *before* the hold (the partner did the work, the reply is lost) and
the others hold and then answer 504 having done nothing, so a client's retry meets
both kinds. With `seed` set, the same calls in the same order meet the same fates.
"""

from __future__ import annotations

import enum
import random
from dataclasses import dataclass
from typing import ClassVar

from gateway_sandbox.faults import InvalidFaultSetting, Knobs


@dataclass(slots=True)
class ShippingFaults(Knobs):
    """The partner's knobs; rates are probabilities between 0 and 1."""

    RATES: ClassVar[frozenset[str]] = frozenset(
        {"failure_rate", "rate_limit_rate", "timeout_rate", "timeout_registered_rate"}
    )

    # Answered 503 at once; nothing is done.
    failure_rate: float = 0.0
    # Answered 429 with Retry-After at once; nothing is done.
    rate_limit_rate: float = 0.0
    # Held `timeout_seconds` before the answer: longer than the client waits.
    timeout_rate: float = 0.0
    timeout_seconds: float = 30.0
    # The share of held calls carried out before the hold (the reply is lost); the
    # rest answer 504 after it, having done nothing.
    timeout_registered_rate: float = 0.5
    # Seeds the dice; None draws from the system's entropy.
    seed: int | None = None

    def check(self) -> None:
        shares = self.failure_rate + self.rate_limit_rate + self.timeout_rate
        if shares > 1:
            raise InvalidFaultSetting(
                "failure_rate + rate_limit_rate + timeout_rate is the share of calls "
                "that misbehave: at most 1"
            )


class Fate(enum.Enum):
    ANSWERED = "answered"
    FAILED = "failed"
    RATE_LIMITED = "rate_limited"
    # Held, then 504: nothing was done.
    TIMED_OUT = "timed_out"
    # Carried out, then held: the reply comes too late for the client.
    TIMED_OUT_CARRIED_OUT = "timed_out_carried_out"


class Dice:
    """The fate of each call, from the knobs' current values."""

    def __init__(self, faults: ShippingFaults) -> None:
        self._faults = faults
        self._random = random.Random(faults.seed)

    def reseed(self) -> None:
        """Start the sequence again from the knobs' seed."""
        self._random = random.Random(self._faults.seed)

    def roll(self) -> Fate:
        faults = self._faults
        roll = self._random.random()
        if roll < faults.failure_rate:
            return Fate.FAILED
        roll -= faults.failure_rate
        if roll < faults.rate_limit_rate:
            return Fate.RATE_LIMITED
        roll -= faults.rate_limit_rate
        if roll >= faults.timeout_rate:
            return Fate.ANSWERED
        if self._random.random() < faults.timeout_registered_rate:
            return Fate.TIMED_OUT_CARRIED_OUT
        return Fate.TIMED_OUT
