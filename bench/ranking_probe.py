"""The snack ranking benchmark's measurements, in a process of its own.

`python -m bench.ranking_probe CALLERS_FILE CALLS` runs with the benchmark's
environment, so Django is set up on its database. It times the ranked list as the
API serves it (`GET /api/v1/shop/snacks/` through Django's test client: every
middleware, the JWT, the throttle, the page, the count and the live counts from
Redis) and the selector alone, at the first page and pages deep in the list, and
explains the page's query. It prints its figures as JSON.
"""

from __future__ import annotations

import itertools
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

PAGE = 50
LIST_PATH = "/api/v1/shop/snacks/"
WARM_UP_CALLS = 20


def timings(call: Callable[[], object], calls: int) -> dict[str, float]:
    """p50, p99 and max of `calls` calls after a few untimed ones, in ms."""
    for _ in range(WARM_UP_CALLS):
        call()
    seconds = []
    for _ in range(calls):
        started = time.perf_counter()
        call()
        seconds.append(time.perf_counter() - started)
    cuts = statistics.quantiles(seconds, n=100, method="inclusive")
    return {
        "calls": calls,
        "p50_ms": cuts[49] * 1000,
        "p99_ms": cuts[98] * 1000,
        "max_ms": max(seconds) * 1000,
    }


def offsets(on_sale: int) -> list[int]:
    """The first page, pages a tenth and half way down, and the last page."""
    last = max(on_sale - PAGE, 0)
    return sorted({0, on_sale // 10, on_sale // 2, last})


def measure(tokens: list[str], calls: int) -> dict[str, Any]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from snacks.selectors import ranked_snacks

    client = Client()
    # A caller at a time, each within the API's per-member rate.
    headers = itertools.cycle([{"Authorization": f"Bearer {t}"} for t in tokens])

    def page(offset: int) -> Callable[[], object]:
        def call() -> object:
            response = client.get(
                LIST_PATH, {"limit": PAGE, "offset": offset}, headers=next(headers)
            )
            assert response.status_code == 200, response.content[:300]
            assert len(response.json()["results"]) == PAGE
            return response

        return call

    def selected(offset: int) -> Callable[[], object]:
        return lambda: list(ranked_snacks()[offset : offset + PAGE])

    on_sale = ranked_snacks().count()
    with CaptureQueriesContext(connection) as queries:
        page(0)()
    figures: dict[str, Any] = {
        "on_sale": on_sale,
        "queries_per_page": len(queries.captured_queries),
        "api": {},
        "selector": {},
        "plans": {},
    }
    for offset in offsets(on_sale):
        # Deep pages are read less often: a third of the calls each.
        count = calls if offset == 0 else max(calls // 3, 20)
        figures["api"][offset] = timings(page(offset), count)
        figures["selector"][offset] = timings(selected(offset), count)
        figures["plans"][offset] = ranked_snacks()[offset : offset + PAGE].explain(
            analyze=True, buffers=True
        )
    return figures


def main() -> None:
    import django

    django.setup()
    callers, calls = Path(sys.argv[1]), int(sys.argv[2])
    print(json.dumps(measure(json.loads(callers.read_text()), calls)))


if __name__ == "__main__":
    main()
