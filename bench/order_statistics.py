"""Order statistics: a year by month over 1,000,000 purchases on PostgreSQL.

A process of its own (`bench.statistics_probe`) writes a year of orders with four
purchases each, counts them into the statistics' daily totals, then reads the
statistics by month over that year as an admin does
(`GET /api/v1/shop/statistics/?grain=month`) and the selector alone.
"""

from __future__ import annotations

import os
from typing import Any

from bench import shop_setup

PURCHASES = int(os.environ.get("BENCH_STATISTICS_PURCHASES", "1000000"))
SNACKS = int(os.environ.get("BENCH_STATISTICS_SNACKS", "1000"))
MEMBERS = int(os.environ.get("BENCH_STATISTICS_MEMBERS", "2000"))
CALLS = int(os.environ.get("BENCH_STATISTICS_CALLS", "50"))
GOAL_P99_MS = 300


def main() -> None:
    env = shop_setup.announce("Order statistics: a year by month (PostgreSQL)")
    if env is None:
        return
    with shop_setup.migrated(env):
        figures = shop_setup.run_json(
            "bench.statistics_probe",
            *map(str, (MEMBERS, SNACKS, PURCHASES, CALLS)),
            env=env,
        )
        assert isinstance(figures, dict)
        _report(figures)


def _report(figures: dict[str, Any]) -> None:
    seeded = figures["seeded"]
    print(
        f"  data:         {seeded['orders']} orders, {seeded['purchases']} purchases "
        f"of {SNACKS} snacks by {MEMBERS} members, loaded in "
        f"{seeded['seconds']:.1f} s"
    )
    print(
        f"  totals:       {seeded['daily_totals']} daily order totals and "
        f"{seeded['daily_sales']} daily snack sales, counted from the orders in "
        f"{seeded['recount_seconds']:.1f} s (`rebuild_order_statistics`)"
    )
    for name in ("api", "selector"):
        timing = figures[name]
        print(
            f"  {name + ':':<13} {timing['calls']} calls, "
            f"p50 {timing['p50_ms']:.0f} ms, p99 {timing['p99_ms']:.0f} ms, "
            f"max {timing['max_ms']:.0f} ms"
        )
    met = figures["api"]["p99_ms"] <= GOAL_P99_MS
    print(
        f"  goal:         p99 <= {GOAL_P99_MS} ms through the API: "
        f"{'met' if met else 'NOT met'}"
    )
