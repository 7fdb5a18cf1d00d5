"""Snack ranking: the ranked shelf with 10,000 snacks and 1,000,000 reactions.

The data is written as the service would hold it after a long while (PostgreSQL,
the snacks' persisted counts from their reaction rows, the Redis sets loaded).
A process of its own (`bench.ranking_probe`) then reads the list a few hundred
times as members do, `GET /api/v1/shop/snacks/` through Django's test client with a
member's JWT, and the selector alone, at the first page and pages deep in the
list, and shows PostgreSQL's plan of a page.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

from bench import shop_setup
from bench.tokens import user_token

SNACKS = int(os.environ.get("BENCH_RANKING_SNACKS", "10000"))
REACTIONS = int(os.environ.get("BENCH_RANKING_REACTIONS", "1000000"))
MEMBERS = int(os.environ.get("BENCH_RANKING_MEMBERS", "20000"))
CALLS = int(os.environ.get("BENCH_RANKING_CALLS", "300"))
# Retired snacks stay in the table (with their reactions) but leave the list.
RETIRED_SHARE = 0.01
# The callers take turns, so none reaches the API's per-member rate.
CALLERS = 20
GOAL_P99_MS = 100
INDEX = "snacks_snack_ranking"


def main() -> None:
    env = shop_setup.announce("Snack ranking: the ranked list (PostgreSQL, Redis)")
    if env is None:
        return
    with shop_setup.migrated(env):
        started = time.perf_counter()
        retired = int(SNACKS * RETIRED_SHARE)
        seeded = shop_setup.data("seed", MEMBERS, SNACKS, REACTIONS, retired, env=env)
        assert isinstance(seeded, dict)
        loaded = time.perf_counter() - started
        steps = ", ".join(f"{k} {v:.1f} s" for k, v in seeded["seconds"].items())
        print(
            f"  data:         {SNACKS} snacks ({retired} retired), "
            f"{seeded['reactions']} reactions of {MEMBERS} members, "
            f"loaded in {loaded:.1f} s ({steps})"
        )
        callers = shop_setup.VAR_DIR / "ranking-callers.json"
        callers.write_text(
            json.dumps([user_token(m) for m in seeded["members"][:CALLERS]])
        )
        figures = shop_setup.run_json(
            "bench.ranking_probe", str(callers), str(CALLS), env=env
        )
        assert isinstance(figures, dict)
        _report(figures)


def _report(figures: dict[str, Any]) -> None:
    first = figures["api"]["0"]
    print(
        f"  requests:     {first['calls']} of the first page, a third as many of each "
        f"deeper page; 50 snacks a page, {figures['queries_per_page']} SQL "
        f"statements; {figures['on_sale']} snacks on sale"
    )
    print("  offset     API p50 / p99 / max (ms)    selector p50 / p99 (ms)")
    for offset, api in figures["api"].items():
        selector = figures["selector"][offset]
        print(
            f"  {int(offset):>6}     {api['p50_ms']:6.1f} / {api['p99_ms']:6.1f} / "
            f"{api['max_ms']:6.1f}      {selector['p50_ms']:6.1f} / "
            f"{selector['p99_ms']:6.1f}"
        )
    for offset, plan in figures["plans"].items():
        lines = plan.splitlines()
        used = "uses" if INDEX in plan else "does not use"
        print(f"  plan at offset {offset}: {used} {INDEX}")
        for line in [*lines[:3], *(x for x in lines if "Execution Time" in x)]:
            print(f"      {line.strip()}")
    met = first["p99_ms"] <= GOAL_P99_MS
    print(
        f"  goal:         first page p99 <= {GOAL_P99_MS} ms through the API: "
        f"{'met' if met else 'NOT met'}"
    )
