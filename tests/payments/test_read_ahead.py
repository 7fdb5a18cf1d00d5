"""Reading the gateway's next page while this one is checked: order, errors, stops."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from payments.gateways.base import Unavailable
from payments.gateways.operations import OperationsPage
from payments.services._reconciliation import read_ahead


def _page(cursor: str | None) -> OperationsPage:
    return OperationsPage(payments=(), refunds=(), next_cursor=cursor)


def _pages(count: int, *, fail_after: int | None = None) -> Iterator[OperationsPage]:
    for number in range(count):
        if number == fail_after:
            raise Unavailable("the gateway went away")
        yield _page(str(number))


def test_hands_on_every_page_in_order() -> None:
    assert [page.next_cursor for page in read_ahead(_pages(5))] == list("01234")


def test_raises_the_readers_error_after_the_pages_before_it() -> None:
    seen = []
    with pytest.raises(Unavailable, match="went away"):
        for page in read_ahead(_pages(5, fail_after=2)):
            seen.append(page.next_cursor)
    assert seen == ["0", "1"]


def test_a_caller_that_stops_early_leaves_no_reader_behind() -> None:
    pages = read_ahead(_pages(1_000))
    assert next(pages).next_cursor == "0"

    pages.close()

    assert [t for t in threading.enumerate() if t.name == "reconciliation-reader"] == []
