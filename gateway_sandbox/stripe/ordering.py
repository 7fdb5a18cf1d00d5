"""A collection's objects in creation order, for lists that bisect instead of scan.

Stripe lists newest first by `created`; ties keep the order the objects were made in.
`CreationIndex` keeps the ids of one collection (a dict in insertion order) sorted
that way, and catches up lazily with whatever was added since it last looked, so
the code that stores objects need not know it exists. A removal, or anything but
appending, is noticed and answered with a rebuild.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Iterable

from gateway_sandbox.stripe.wire import JsonObject

# (created, position of making): unique, and ordered as Stripe lists.
Key = tuple[int, int]


class CreationIndex:
    def __init__(self) -> None:
        self._clear({})

    def _clear(self, objects: dict[str, JsonObject]) -> None:
        self._objects = objects
        self._keys: list[Key] = []
        self._ids: list[str] = []
        self._key_of: dict[str, Key] = {}
        self._made = 0
        self._latest: str | None = None

    @classmethod
    def of(cls, items: Iterable[JsonObject]) -> CreationIndex:
        """An index of `items` (given in the order they were made)."""
        return cls().synced({item["id"]: item for item in items})

    def synced(self, objects: dict[str, JsonObject]) -> CreationIndex:
        """This index, caught up with `objects` (a dict in insertion order)."""
        added = len(objects) - len(self._ids)
        if objects is not self._objects or added < 0:
            self._rebuild(objects)
            return self
        newest = list(itertools.islice(reversed(objects.keys()), added + 1))
        if self._latest is not None and (
            len(newest) <= added or newest[added] != self._latest
        ):
            self._rebuild(objects)
            return self
        for object_id in reversed(newest[:added]):
            self._add(object_id, objects[object_id]["created"])
        return self

    def _rebuild(self, objects: dict[str, JsonObject]) -> None:
        self._clear(objects)
        for object_id, obj in objects.items():
            self._add(object_id, obj["created"])

    def _add(self, object_id: str, created: int) -> None:
        key = (created, self._made)
        self._made += 1
        self._key_of[object_id] = key
        self._latest = object_id
        if not self._keys or self._keys[-1] <= key:
            self._keys.append(key)
            self._ids.append(object_id)
            return
        at = bisect.bisect_left(self._keys, key)
        self._keys.insert(at, key)
        self._ids.insert(at, object_id)

    def span(self, bounds: list[tuple[str, int]]) -> tuple[int, int]:
        """Positions `[low, high)` of the objects whose `created` meets every bound."""
        low, high = 0, len(self._keys)
        for op, value in bounds:
            if op in ("gte", "eq"):
                low = max(low, self._first_at(value))
            if op == "gt":
                low = max(low, self._first_at(value + 1))
            if op == "lt":
                high = min(high, self._first_at(value))
            if op in ("lte", "eq"):
                high = min(high, self._first_at(value + 1))
        return low, max(low, high)

    def _first_at(self, created: int) -> int:
        return bisect.bisect_left(self._keys, (created, -1))

    def position(self, object_id: str) -> int | None:
        key = self._key_of.get(object_id)
        return None if key is None else bisect.bisect_left(self._keys, key)

    def newest_first(self, low: int, high: int) -> list[JsonObject]:
        """The objects at positions `[low, high)`, newest first."""
        return [self._objects[i] for i in reversed(self._ids[low:high])]
