"""The event stream: replaying the outbox to four consumers, and live delivery.

The server runs as deployed (`manage.py grpc_server`, its own process) on
PostgreSQL. First 100,000 committed events are replayed from cursor 0 to four
consumers at once, each in a process of its own; then one consumer follows the
stream while another process writes 500 events a second, each in a transaction of
its own as billing writes them, and every event's delay from its commit to the
consumer is measured. The server's memory is sampled throughout.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from bench.grpc_setup import (
    data,
    drop_database,
    environment,
    grpc_server,
    missing_service,
    recreate_database,
    service_token,
)
from bench.machine import describe_machine
from bench.services import ROOT, manage

EVENTS = int(os.environ.get("BENCH_EVENTS", "100000"))
CONSUMERS = int(os.environ.get("BENCH_EVENT_CONSUMERS", "4"))
LIVE_RATE = float(os.environ.get("BENCH_LIVE_EVENTS_PER_SECOND", "500"))
LIVE_SECONDS = float(os.environ.get("BENCH_LIVE_SECONDS", "30"))
GOAL_REPLAY_PER_SECOND = 5000
GOAL_LIVE_P99_MS = 200


def main() -> None:
    var_dir = Path(os.environ.get("BENCH_VAR_DIR", "/tmp/billing-bench")) / "events"  # noqa: S108
    var_dir.mkdir(parents=True, exist_ok=True)
    print("gRPC event stream (PostgreSQL LISTEN/NOTIFY)")
    print(f"  machine:      {describe_machine()}")
    if problem := missing_service():
        print(f"  not run:      {problem}")
        return
    env = environment(var_dir)
    recreate_database()
    try:
        manage("migrate", "--no-input", env=env)
        last = data("seed-events", str(EVENTS), env=env)
        assert isinstance(last, int)
        token = service_token("billing.events.read")
        print(
            f"  set-up:       {EVENTS} events replayed to {CONSUMERS} consumers; "
            f"then {LIVE_RATE:.0f} events/s written live for {LIVE_SECONDS:.0f} s"
        )
        with grpc_server(env, var_dir / "grpc.log", workers=16) as (target, memory):
            replays = _replay(target, token)
            live = _live(target, token, after=last, env=env, var_dir=var_dir)
        _report(replays, live, memory.describe())
    finally:
        drop_database()


def _client(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "bench.grpc_clients", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )


def _answer(process: subprocess.Popen[str]) -> dict[str, float]:
    output, _ = process.communicate(timeout=600)
    if process.returncode:
        raise RuntimeError(f"a benchmark client failed ({process.returncode})")
    figures: dict[str, float] = json.loads(output)
    return figures


def _replay(target: str, token: str) -> list[dict[str, float]]:
    consumers = [
        _client("replay", target, token, str(EVENTS)) for _ in range(CONSUMERS)
    ]
    return [_answer(consumer) for consumer in consumers]


def _live(
    target: str, token: str, *, after: int, env: dict[str, str], var_dir: Path
) -> dict[str, float]:
    ready = var_dir / "consumer-ready"
    ready.unlink(missing_ok=True)
    expected = int(LIVE_RATE * LIVE_SECONDS)
    consumer = _client("live", target, token, str(after), str(expected), str(ready))
    try:
        deadline = time.monotonic() + 60
        while not ready.exists():
            if time.monotonic() > deadline or consumer.poll() is not None:
                raise RuntimeError("the live consumer did not subscribe")
            time.sleep(0.05)
        written = data("write-events", str(LIVE_RATE), str(LIVE_SECONDS), env=env)
        if written != expected:
            # The writer fell behind its pace: read what it wrote.
            raise RuntimeError(f"wrote {written} events instead of {expected}")
        return _answer(consumer)
    finally:
        with contextlib.suppress(ProcessLookupError):
            consumer.kill()


def _report(
    replays: list[dict[str, float]], live: dict[str, float], memory: str
) -> None:
    rates = [r["events"] / r["seconds"] for r in replays]
    print(
        f"  replay:       {', '.join(f'{rate:.0f}' for rate in rates)} events/s "
        f"to each consumer ({min(rates):.0f} the slowest)"
    )
    print(
        f"  live:         {live['events']:.0f} events, commit to consumer p50 "
        f"{live['p50_ms']:.1f} ms, p99 {live['p99_ms']:.1f} ms, "
        f"max {live['max_ms']:.1f} ms"
    )
    print(f"  server RSS:   {memory}")
    replay_met = min(rates) >= GOAL_REPLAY_PER_SECOND
    live_met = live["p99_ms"] <= GOAL_LIVE_P99_MS
    print(
        f"  goals:        replay >= {GOAL_REPLAY_PER_SECOND}/s to each: "
        f"{'met' if replay_met else 'NOT met'}; live p99 <= {GOAL_LIVE_P99_MS} ms: "
        f"{'met' if live_met else 'NOT met'}"
    )
