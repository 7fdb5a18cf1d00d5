"""Taking an iterable in lists of a fixed size (Python 3.12's `itertools.batched`)."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from typing import TypeVar

_T = TypeVar("_T")


def batched(items: Iterable[_T], size: int) -> Iterator[list[_T]]:
    """`items` in lists of `size`, the last one shorter if it must be."""
    iterator = iter(items)
    while batch := list(itertools.islice(iterator, size)):
        yield batch
