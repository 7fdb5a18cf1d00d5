"""Reaction toggles: members like and hate snacks through the API.

The service runs as in production: gunicorn (the production image's threaded
workers) on PostgreSQL, counting reactions in Redis, and a process persisting them
every `BENCH_TOGGLE_PERSIST_SECONDS` as beat and a worker would. A load generator in
this process sends `POST /api/v1/shop/snacks/<id>/reaction/` with each member's JWT
over keep-alive connections, each connection for members of its own. It reports
toggles per second and their latency, then checks that every answer and the Redis
sets are what the toggles give, and that a last persist leaves the database holding
what Redis holds.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import redis

from bench import shop_setup, toggle_plan
from bench.loadgen import LoadGenerator, Reply, Request
from bench.services import (
    child_pids,
    cpu_seconds,
    cpu_seconds_of_command,
    free_port,
    gunicorn,
    running,
    wait_until_answering,
)
from bench.tokens import user_token

TOGGLES = int(os.environ.get("BENCH_TOGGLES", "30000"))
MEMBERS = int(os.environ.get("BENCH_TOGGLE_MEMBERS", "2000"))
SNACKS = int(os.environ.get("BENCH_TOGGLE_SNACKS", "1000"))
# Reactions persisted before the run, so toggles also take back and switch them.
REACTIONS = int(os.environ.get("BENCH_TOGGLE_REACTIONS", "20000"))
CONNECTIONS = int(os.environ.get("BENCH_TOGGLE_CONNECTIONS", "16"))
PERSIST_SECONDS = float(os.environ.get("BENCH_TOGGLE_PERSIST_SECONDS", "2"))
WEB_WORKERS = int(os.environ.get("BENCH_WEB_WORKERS", "2"))
WEB_THREADS = int(os.environ.get("BENCH_WEB_THREADS", "4"))
# The first toggles of each connection warm the web workers up, untimed.
WARM_UP_SHARE = 0.05
GOAL_PER_SECOND = 1000


def main() -> None:
    env = shop_setup.announce(
        "Reaction toggles: POST /api/v1/shop/snacks/<id>/reaction/"
    )
    if env is None:
        return
    with shop_setup.migrated(env):
        seeded = shop_setup.data("seed", MEMBERS, SNACKS, REACTIONS, 0, env=env)
        assert isinstance(seeded, dict)
        _measure(env, seeded["members"], seeded["on_sale"])


@dataclass
class Load:
    """The requests of each connection, and what each must answer."""

    streams: list[list[Request]]
    answers: dict[int, str | None]  # by id() of the request
    after: toggle_plan.Reactions  # what the Redis sets must hold after them all


@dataclass
class Run:
    replies: list[tuple[Request, Reply]]
    timed_from: int
    seconds: float
    cpu: dict[str, float]


def _measure(env: dict[str, str], members: list[str], snacks: list[str]) -> None:
    client = redis.Redis.from_url(shop_setup.REDIS, decode_responses=True)
    load = _plan(members, snacks, before=toggle_plan.read_sets(client, snacks))
    run = _send(load, env)
    persisted = _persisted_during_load(shop_setup.VAR_DIR / "persist.log")
    last = shop_setup.data("persist", env=env)
    consistency = shop_setup.data("check", env=env)
    held = toggle_plan.read_sets(client, snacks)
    _report(
        run,
        wrong=sum(
            reply.status != 200
            or json.loads(reply.body)["reaction"] != load.answers[id(request)]
            for request, reply in run.replies
        ),
        sets_differ=len(set(held.items()) ^ set(load.after.items())),
        persisted=persisted,
        last=last,
        consistency=consistency,
    )


def _plan(
    members: list[str], snacks: list[str], *, before: toggle_plan.Reactions
) -> Load:
    toggles = toggle_plan.plan(
        members=members,
        snacks=snacks,
        count=TOGGLES,
        streams=CONNECTIONS,
        rng=random.Random(7),
    )
    answered, after = toggle_plan.replay(toggles, before)
    tokens = {member: user_token(member) for member in members}
    streams = [[_request(t, tokens[t.member]) for t in stream] for stream in toggles]
    answers = {
        id(request): answer
        for stream, answers in zip(streams, answered, strict=True)
        for request, answer in zip(stream, answers, strict=True)
    }
    return Load(streams, answers, after)


def _send(load: Load, env: dict[str, str]) -> Run:
    """Start the service, warm it up, then send the rest of the toggles timed."""
    warm = [int(len(stream) * WARM_UP_SHARE) for stream in load.streams]
    replies: list[tuple[Request, Reply]] = []
    port = free_port()
    # A socket per worker: the kernel, not the race to accept, spreads the load
    # generator's connections over the workers (`bench.services.gunicorn`).
    web_argv = gunicorn(port, workers=WEB_WORKERS, threads=WEB_THREADS, reuse_port=True)
    persister = [sys.executable, "-m", "bench.shop_data", "persist-every"]
    persist_log = shop_setup.VAR_DIR / "persist.log"
    persist_log.unlink(missing_ok=True)
    with contextlib.ExitStack() as stack:
        web = stack.enter_context(
            running(web_argv, env, shop_setup.VAR_DIR / "web.log")
        )
        if PERSIST_SECONDS > 0:
            persister.append(str(PERSIST_SECONDS))
            stack.enter_context(running(persister, env, persist_log))
        wait_until_answering(f"http://127.0.0.1:{port}/healthz")
        sender = LoadGenerator(f"http://127.0.0.1:{port}", connections=CONNECTIONS)

        def record(request: Request, reply: Reply) -> None:
            replies.append((request, reply))

        first = [iter(s[:n]) for s, n in zip(load.streams, warm, strict=True)]
        asyncio.run(sender.run_streams(first, record))
        timed_from = len(replies)
        workers = child_pids(web.pid)
        cpu = _cpu_now(web.pid, workers)
        rest = [iter(s[n:]) for s, n in zip(load.streams, warm, strict=True)]
        seconds = asyncio.run(sender.run_streams(rest, record))
        cpu = {name: _cpu_now(web.pid, workers)[name] - cpu[name] for name in cpu}
    return Run(replies, timed_from, seconds, cpu)


def _request(toggle: toggle_plan.Toggle, token: str) -> Request:
    return Request(
        "POST",
        f"/api/v1/shop/snacks/{toggle.snack}/reaction/",
        json.dumps({"kind": toggle.kind}).encode(),
        {"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )


def _cpu_now(web_pid: int, workers: list[int]) -> dict[str, float]:
    """CPU seconds so far of the web and each of its workers, the local PostgreSQL
    and Redis, and this process (the load generator)."""
    return {
        "web": cpu_seconds(web_pid),
        **{f"worker {n}": cpu_seconds(pid) for n, pid in enumerate(workers, 1)},
        "postgres": sum(cpu_seconds_of_command("postgres").values()),
        "redis": sum(cpu_seconds_of_command("redis-server").values()),
        "load": time.process_time(),
    }


def _persisted_during_load(log: Path) -> dict[str, Any]:
    """What the persisting process reported when it stopped (its last line)."""
    lines = log.read_text().strip().splitlines() if log.exists() else []
    try:
        answer: dict[str, Any] = json.loads(lines[-1])
    except (IndexError, ValueError):
        return {"runs": 0, "pairs": 0, "seconds": 0.0}
    return answer


def _statuses(timed: Sequence[tuple[Request, Reply]]) -> dict[int, int]:
    statuses: dict[int, int] = {}
    for _, reply in timed:
        statuses[reply.status] = statuses.get(reply.status, 0) + 1
    return statuses


def _report(
    run: Run,
    *,
    wrong: int,
    sets_differ: int,
    persisted: dict[str, Any],
    last: Any,
    consistency: Any,
) -> None:
    timed, elapsed, cpu = run.replies[run.timed_from :], run.seconds, run.cpu
    count, total = len(timed), len(run.replies)
    rate = count / elapsed
    cuts = statistics.quantiles([reply.seconds for _, reply in timed], n=100)
    persist = (
        f"persisted every {PERSIST_SECONDS:g} s by a process of its own"
        if PERSIST_SECONDS > 0
        else "persisted after the load only"
    )
    print(
        f"  set-up:       gunicorn {WEB_WORKERS} workers x {WEB_THREADS} threads, "
        f"PostgreSQL, Redis; {persist}"
    )
    print(
        f"  data:         {SNACKS} snacks, {REACTIONS} reactions of {MEMBERS} members "
        f"before the run"
    )
    print(
        f"  sent:         {count} toggles timed (+{total - count} warming up) over "
        f"{CONNECTIONS} connections; replies {_statuses(timed)}"
    )
    print(f"  throughput:   {rate:.0f} toggles/s (goal >= {GOAL_PER_SECOND})")
    print(
        f"  latency:      p50 {cuts[49] * 1000:.1f} ms, p99 {cuts[98] * 1000:.1f} ms, "
        f"max {max(reply.seconds for _, reply in timed) * 1000:.1f} ms"
    )
    print(
        f"  CPU in load:  web {cpu['web'] / count * 1000:.2f} ms per toggle "
        f"({cpu['web'] / elapsed:.2f} cores), PostgreSQL "
        f"{cpu['postgres'] / elapsed:.2f}, Redis {cpu['redis'] / elapsed:.2f}, "
        f"load generator {cpu['load'] / elapsed:.2f} cores"
    )
    split = " / ".join(
        f"{seconds / elapsed:.2f}" for name, seconds in cpu.items() if "worker" in name
    )
    print(f"  web workers:  {split} cores each")
    print(f"  answers:      {total - wrong} of {total} as the toggles give")
    print(
        f"  Redis sets:   {'as' if sets_differ == 0 else 'NOT as'} the toggles give "
        f"({sets_differ} reactions differ)"
    )
    print(
        f"  persisted:    {persisted['pairs']} pairs in {persisted['runs']} runs "
        f"during the load ({persisted['seconds']:.1f} s busy); "
        f"last run {last['pairs']} pairs in {last['seconds']:.2f} s"
    )
    same = consistency["rows_differ"] == consistency["counts_differ"] == 0
    print(
        f"  database:     {'holds' if same else 'does NOT hold'} what Redis holds: "
        f"{consistency['reactions']} reactions; snacks whose rows differ "
        f"{consistency['rows_differ']}, whose counts differ "
        f"{consistency['counts_differ']}; pairs pending {consistency['pending']}"
    )
    print(
        f"  goal:         >= {GOAL_PER_SECOND} toggles/s: "
        f"{'met' if rate >= GOAL_PER_SECOND else 'NOT met'}"
    )
