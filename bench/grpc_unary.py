"""Unary gRPC: GetSubscription from 16 concurrent clients in another process.

The server runs as deployed (`manage.py grpc_server`, its own process) on
PostgreSQL; the clients call as end users, each reading their own subscription
with their own token, so every call verifies a JWT, checks ownership and reads the
subscription with its latest invoice status.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from bench.grpc_setup import (
    PROCESSES,
    data,
    drop_database,
    environment,
    grpc_server,
    missing_service,
    recreate_database,
)
from bench.machine import describe_machine
from bench.services import ROOT, manage
from bench.tokens import user_token

SUBSCRIPTIONS = int(os.environ.get("BENCH_GRPC_SUBSCRIPTIONS", "2000"))
CONCURRENCY = int(os.environ.get("BENCH_GRPC_CLIENTS", "16"))
SECONDS = float(os.environ.get("BENCH_GRPC_SECONDS", "30"))
WORKERS = int(os.environ.get("BENCH_GRPC_WORKERS", "16"))
GOAL_PER_SECOND = 1000
GOAL_P99_MS = 50


def main() -> None:
    var_dir = Path(os.environ.get("BENCH_VAR_DIR", "/tmp/billing-bench")) / "grpc"  # noqa: S108
    var_dir.mkdir(parents=True, exist_ok=True)
    print("gRPC unary: GetSubscription (PostgreSQL)")
    print(f"  machine:      {describe_machine()}")
    if problem := missing_service():
        print(f"  not run:      {problem}")
        return
    env = environment(var_dir)
    recreate_database()
    try:
        manage("migrate", "--no-input", env=env)
        subscriptions = data("seed-subscriptions", str(SUBSCRIPTIONS), env=env)
        assert isinstance(subscriptions, list)
        callers = var_dir / "callers.json"
        callers.write_text(
            json.dumps([[sub, user_token(payer)] for sub, payer in subscriptions])
        )
        print(
            f"  set-up:       {SUBSCRIPTIONS} subscriptions, {CONCURRENCY} clients "
            f"for {SECONDS:.0f} s, {PROCESSES} server process(es) of {WORKERS} "
            "threads on one port"
        )
        with grpc_server(env, var_dir / "grpc.log", workers=WORKERS) as (
            target,
            memory,
        ):
            figures = _clients(target, callers)
        _report(figures, memory.describe())
    finally:
        drop_database()


def _clients(target: str, callers: Path) -> dict[str, float]:
    finished = subprocess.run(
        [
            *(sys.executable, "-m", "bench.grpc_clients", "unary", target),
            *(str(callers), str(SECONDS), str(CONCURRENCY)),
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    figures: dict[str, float] = json.loads(finished.stdout)
    return figures


def _report(figures: dict[str, float], memory: str) -> None:
    rate = figures["calls"] / figures["seconds"]
    met = rate >= GOAL_PER_SECOND and figures["p99_ms"] <= GOAL_P99_MS
    print(
        f"  calls:        {figures['calls']:.0f} in {figures['seconds']:.1f} s, "
        f"{figures['errors']:.0f} failed"
    )
    print(
        f"  throughput:   {rate:.0f} calls/s; latency p50 {figures['p50_ms']:.1f} ms, "
        f"p99 {figures['p99_ms']:.1f} ms, max {figures['max_ms']:.1f} ms"
    )
    print(f"  server RSS:   {memory}")
    print(
        f"  goal:         >= {GOAL_PER_SECOND}/s and p99 <= {GOAL_P99_MS} ms: "
        f"{'met' if met else 'NOT met'}"
    )
