"""The sandbox's notion of now, which tests and people can move forward."""

from __future__ import annotations

import datetime as dt

from gateway_sandbox.snapshots import JsonObject, Record, encode_moment

_MICROSECOND = dt.timedelta(microseconds=1)


class SandboxClock:
    """Wall-clock time shifted by an offset, or frozen at a chosen instant.

    Subscriptions, automatic voids, idempotency expiry and notification retries all read
    this clock, so advancing it lets a person watch a month of gateway life in a minute.
    """

    def __init__(self) -> None:
        self._offset = dt.timedelta(0)
        self._frozen_at: dt.datetime | None = None

    def now(self) -> dt.datetime:
        if self._frozen_at is not None:
            return self._frozen_at
        return dt.datetime.now(dt.UTC) + self._offset

    def advance(self, seconds: float) -> dt.datetime:
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        if self._frozen_at is not None:
            self._frozen_at += dt.timedelta(seconds=seconds)
        else:
            self._offset += dt.timedelta(seconds=seconds)
        return self.now()

    def set(self, moment: dt.datetime, *, frozen: bool = False) -> dt.datetime:
        if moment.tzinfo is None:
            raise ValueError("the moment must carry a time zone")
        if frozen:
            self._frozen_at = moment.astimezone(dt.UTC)
        else:
            self._frozen_at = None
            self._offset = moment - dt.datetime.now(dt.UTC)
        return self.now()

    def reset(self) -> None:
        self._offset = dt.timedelta(0)
        self._frozen_at = None

    def describe(self) -> dict[str, object]:
        return {
            "now": self.now().isoformat(),
            "offset_seconds": self._offset.total_seconds(),
            "frozen": self._frozen_at is not None,
        }

    def snapshot(self) -> JsonObject:
        """The offset from the wall clock, not the time: a restart goes on from it."""
        return {
            "offset_microseconds": self._offset // _MICROSECOND,
            "frozen_at": encode_moment(self._frozen_at),
        }

    def restore(self, data: Record) -> None:
        """:raises UnreadableState: for data that `snapshot` did not write."""
        self._offset = data.integer("offset_microseconds") * _MICROSECOND
        frozen_at = data.optional_moment("frozen_at")
        self._frozen_at = None if frozen_at is None else frozen_at.astimezone(dt.UTC)
