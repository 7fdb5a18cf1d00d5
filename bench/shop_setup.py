"""The shop benchmarks' services: a PostgreSQL database and a Redis database of their
own, the environment of the service's processes, and the data loader
(`bench.shop_data`) run in a process of its own."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from bench import services
from bench.machine import describe_machine
from bench.services import ROOT, manage, missing_postgres, service_environment

DATABASE = "billing_bench_shop"
# Emptied at the start and the end of each run: a database number that nothing else
# on the machine uses (the tests use 15).
REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
VAR_DIR = Path(os.environ.get("BENCH_VAR_DIR", "/tmp/billing-bench")) / "shop"  # noqa: S108


def announce(title: str) -> dict[str, str] | None:
    """Print the benchmark's title and the machine; the environment of the
    service's processes, or None (and why) when PostgreSQL or Redis is missing."""
    print(title)
    print(f"  machine:      {describe_machine()}")
    if problem := _missing_service():
        print(f"  not run:      {problem}")
        return None
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    # The service's processes as deployed, with Redis for the cache (so the API's
    # throttles) and the reaction counts.
    return service_environment(
        DATABASE,
        VAR_DIR,
        REDIS_URL=REDIS,
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
    )


@contextlib.contextmanager
def migrated(env: dict[str, str]) -> Iterator[None]:
    """An empty, migrated database and an empty Redis database for the block;
    both dropped or emptied after it."""
    services.recreate_database(DATABASE)
    _flush_redis()
    try:
        manage("migrate", "--no-input", env=env)
        yield
    finally:
        services.drop_database(DATABASE)
        _flush_redis()


def _missing_service() -> str | None:
    import redis

    if problem := missing_postgres():
        return problem
    try:
        redis.Redis.from_url(REDIS, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        return f"needs Redis at {REDIS} (BENCH_REDIS_URL): {exc}"
    return None


def _flush_redis() -> None:
    import redis

    redis.Redis.from_url(REDIS).flushdb()


def data(command: str, *args: object, env: dict[str, str]) -> object:
    """`python -m bench.shop_data <command> <args>` on the benchmark's database: its
    JSON answer (a process of its own, so Django is set up on that database)."""
    return run_json("bench.shop_data", command, *map(str, args), env=env)


def run_json(module: str, *args: str, env: dict[str, str]) -> object:
    """`python -m <module> <args>` with `env`: what it prints, read as JSON."""
    finished = subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    return json.loads(finished.stdout)
