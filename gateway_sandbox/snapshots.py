"""The state file: the sandbox's state as versioned JSON, written atomically.

With `--state-file` the sandbox takes up the state an earlier run left (payments,
tokens, customers, intents, the ledger, the delivery log, the clock's offset), so that
a restart of `make run` does not make every saved card unknown to the "gateway".

The document is `{"format": FORMAT, "version": VERSION, "state": {...}}`. Each part of
the state writes and reads its own piece with the codecs below: datetimes as ISO 8601
with their offset, Decimals as strings, enums by value, bytes as UTF-8 text. Nothing is
unpickled, and a piece of the wrong shape raises `UnreadableState` when read. Requests
in flight, sockets, throttles and fault knobs are not state: they start afresh.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import itertools
import json
import logging
import os
import tempfile
import threading
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

FORMAT = "gateway-sandbox-state"
# Bump when a piece changes shape; a file of another version is refused, not guessed at.
VERSION = 1
# A kill -9 loses at most this much of the sandbox's life.
SAVE_INTERVAL_SECONDS = 2.0
# Where an unreadable file is moved, so that the next save does not destroy it.
REJECTED_SUFFIX = ".rejected"

JsonObject = dict[str, Any]


class UnreadableState(ValueError):
    """The state file, or a piece of it, is not what this sandbox writes."""


def encode_moment(moment: dt.datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def encode_decimal(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def encode_blob(value: bytes) -> str:
    # Replies and notification bodies are UTF-8; surrogateescape keeps any other
    # byte exact through the JSON round trip.
    return value.decode("utf-8", "surrogateescape")


class Record:
    """One JSON object of the state file, read with the type each field must have.

    :raises UnreadableState: from every reader, for a missing field or a wrong type.
    """

    def __init__(self, data: object, where: str) -> None:
        if not isinstance(data, dict):
            raise UnreadableState(f"{where} must be a JSON object")
        self._data: JsonObject = data
        self._where = where

    def _get(self, name: str) -> Any:
        try:
            return self._data[name]
        except KeyError:
            raise UnreadableState(f"{self._where}.{name} is missing") from None

    def _wrong(self, name: str, expected: str) -> UnreadableState:
        return UnreadableState(f"{self._where}.{name} must be {expected}")

    def names(self) -> list[str]:
        return list(self._data)

    def raw(self, name: str) -> Any:
        """The JSON value as it is (for objects the gateway keeps as JSON)."""
        return self._get(name)

    def text(self, name: str) -> str:
        value = self._get(name)
        if not isinstance(value, str):
            raise self._wrong(name, "a string")
        return value

    def optional_text(self, name: str) -> str | None:
        return None if self._get(name) is None else self.text(name)

    def integer(self, name: str) -> int:
        value = self._get(name)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self._wrong(name, "a whole number")
        return value

    def optional_integer(self, name: str) -> int | None:
        return None if self._get(name) is None else self.integer(name)

    def flag(self, name: str) -> bool:
        value = self._get(name)
        if not isinstance(value, bool):
            raise self._wrong(name, "true or false")
        return value

    def decimal(self, name: str) -> Decimal:
        text = self.text(name)
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise self._wrong(name, "a decimal number in a string") from None
        if not value.is_finite():
            raise self._wrong(name, "a finite decimal number")
        return value

    def optional_decimal(self, name: str) -> Decimal | None:
        return None if self._get(name) is None else self.decimal(name)

    def moment(self, name: str) -> dt.datetime:
        try:
            value = dt.datetime.fromisoformat(self.text(name))
        except ValueError:
            raise self._wrong(name, "an ISO 8601 date and time") from None
        if value.tzinfo is None:
            raise self._wrong(name, "a date and time with an offset")
        return value

    def optional_moment(self, name: str) -> dt.datetime | None:
        return None if self._get(name) is None else self.moment(name)

    def blob(self, name: str) -> bytes:
        return self.text(name).encode("utf-8", "surrogateescape")

    def texts(self, name: str) -> list[str]:
        values = self._get(name)
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise self._wrong(name, "a list of strings")
        return list(values)

    def record(self, name: str) -> Record:
        return Record(self._get(name), f"{self._where}.{name}")

    def records(self, name: str) -> list[Record]:
        values = self._get(name)
        if not isinstance(values, list):
            raise self._wrong(name, "a list")
        return [Record(v, f"{self._where}.{name}[{i}]") for i, v in enumerate(values)]

    def objects(self, name: str) -> dict[str, JsonObject]:
        """A JSON object of JSON objects, taken as they are (Stripe's resources)."""
        values = self._get(name)
        if not isinstance(values, dict) or not all(
            isinstance(v, dict) for v in values.values()
        ):
            raise self._wrong(name, "an object of objects")
        return dict(values)


def _encode_document(state: JsonObject) -> bytes:
    document = {"format": FORMAT, "version": VERSION, "state": state}
    return json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")


def _write_atomically(path: Path, payload: bytes) -> None:
    """Replace `path` with `payload` so that a crash leaves the old or the new file.

    The temporary file sits in the same directory (a rename never crosses file
    systems) and is created readable by its owner only.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
    )
    try:
        with os.fdopen(descriptor, "wb") as stream:
            stream.write(payload)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    # The rename itself is durable only once the directory is.
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


class StateFile:
    """One state file: read at start, written when the state changed and at the end.

    Writes may run in a worker thread while the event loop takes the next snapshot;
    each carries a generation, and an older one never replaces a newer file.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._generations = itertools.count(1)
        self._written_generation = 0
        self._latest_payload: bytes | None = None

    def read(self) -> JsonObject | None:
        """The saved state, or None when there is no file yet.

        :raises UnreadableState: when the file is unreadable, not JSON, not a state
            file, or of another version.
        """
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise UnreadableState(f"cannot be read: {exc}") from exc
        try:
            document = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError) as exc:
            raise UnreadableState(f"is not JSON: {exc}") from exc
        if not isinstance(document, dict) or document.get("format") != FORMAT:
            raise UnreadableState("is not a gateway sandbox state file")
        version = document.get("version")
        if version != VERSION:
            raise UnreadableState(
                f"has version {version!r}; this sandbox reads version {VERSION} only"
            )
        state = document.get("state")
        if not isinstance(state, dict):
            raise UnreadableState("has no state object")
        self._latest_payload = raw
        return state

    def set_aside(self) -> Path | None:
        """Move an unreadable file out of the way; where it went, if it was moved."""
        if not self.path.is_file():
            return None
        target = self.path.with_name(self.path.name + REJECTED_SUFFIX)
        try:
            os.replace(self.path, target)
        except OSError:
            logger.exception("Unable to move the unreadable sandbox state aside")
            return None
        return target

    def save(self, state: JsonObject) -> None:
        """Write `state` now, whether or not it changed (shutdown, reset).

        :raises OSError: when the file cannot be written.
        """
        payload = _encode_document(state)
        self._latest_payload = payload
        self._write(payload, next(self._generations))

    def _prepare(self, state: JsonObject) -> tuple[bytes, int] | None:
        payload = _encode_document(state)
        if payload == self._latest_payload:
            return None
        self._latest_payload = payload
        return payload, next(self._generations)

    def _write(self, payload: bytes, generation: int) -> None:
        with self._lock:
            if generation <= self._written_generation:
                return
            _write_atomically(self.path, payload)
            self._written_generation = generation

    async def keep_saved(self, snapshot: Callable[[], JsonObject]) -> None:
        """Save every `SAVE_INTERVAL_SECONDS` when the state changed, until cancelled.

        The snapshot is taken and encoded on the event loop, between requests, so it
        is consistent; only the disk work goes to a thread.
        """
        while True:
            await asyncio.sleep(SAVE_INTERVAL_SECONDS)
            prepared = self._prepare(snapshot())
            if prepared is None:
                continue
            try:
                await asyncio.to_thread(self._write, *prepared)
            except OSError:
                # Try again at the next tick, even if nothing changes by then.
                self._latest_payload = None
                logger.exception(
                    "Unable to save the sandbox state", extra={"path": str(self.path)}
                )
