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
)
from bench.machine import describe_machine
from bench.services import ROOT, manage
from bench.tokens import service_token

EVENTS = int(os.environ.get("BENCH_EVENTS", "100000"))
CONSUMERS = int(os.environ.get("BENCH_EVENT_CONSUMERS", "4"))
LIVE_RATE = float(os.environ.get("BENCH_LIVE_EVENTS_PER_SECOND", "500"))
LIVE_SECONDS = float(os.environ.get("BENCH_LIVE_SECONDS", "30"))
# One writer process keeps about 350 commits a second here; the pace needs more.
WRITERS = int(os.environ.get("BENCH_LIVE_WRITERS", "4"))
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
            _report_replay(replays)
            live = _live(target, token, after=last, env=env, var_dir=var_dir)
            _report_live(live, memory.describe())
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
    expected = int(LIVE_RATE * LIVE_SECONDS) // WRITERS * WRITERS
    consumer = _client("live", target, token, str(after), str(expected), str(ready))
    try:
        deadline = time.monotonic() + 60
        while not ready.exists():
            if time.monotonic() > deadline or consumer.poll() is not None:
                raise RuntimeError("the live consumer did not subscribe")
            time.sleep(0.05)
        written = _write_live(env)
        if written != expected:
            raise RuntimeError(f"the writers wrote {written} of {expected} events")
        return _answer(consumer)
    finally:
        with contextlib.suppress(ProcessLookupError):
            consumer.kill()


def _write_live(env: dict[str, str]) -> int:
    """LIVE_RATE events a second from WRITERS processes, as concurrent billing
    transactions would commit them; how many were written."""
    each = int(LIVE_RATE * LIVE_SECONDS) // WRITERS
    pace = (str(LIVE_RATE / WRITERS), str(each))
    writers = [
        subprocess.Popen(
            [sys.executable, "-m", "bench.grpc_data", "write-events", *pace],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(WRITERS)
    ]
    return sum(int(writer.communicate(timeout=600)[0]) for writer in writers)


def _report_replay(replays: list[dict[str, float]]) -> None:
    rates = [r["events"] / r["seconds"] for r in replays]
    met = min(rates) >= GOAL_REPLAY_PER_SECOND
    print(
        f"  replay:       {', '.join(f'{rate:.0f}' for rate in rates)} events/s "
        f"to each consumer; goal >= {GOAL_REPLAY_PER_SECOND}/s to each: "
        f"{'met' if met else 'NOT met'}"
    )


def _report_live(live: dict[str, float], memory: str) -> None:
    met = live["p99_ms"] <= GOAL_LIVE_P99_MS
    print(
        f"  live:         {live['events']:.0f} events, commit to consumer p50 "
        f"{live['p50_ms']:.1f} ms, p99 {live['p99_ms']:.1f} ms, "
        f"max {live['max_ms']:.1f} ms; goal p99 <= {GOAL_LIVE_P99_MS} ms: "
        f"{'met' if met else 'NOT met'}"
    )
    print(f"  server RSS:   {memory}")
