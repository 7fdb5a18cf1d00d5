"""Webhook intake: signed CloudPayments Pay notifications into the running service.

The service runs as in production, on PostgreSQL with a Celery worker consuming
RabbitMQ at the same CPU priority as the web, in two set-ups one after the other:
the WSGI web (gunicorn's threads, `config.wsgi`), and the ASGI webhook edge
(uvicorn workers under gunicorn, `config.edge`). A load generator in this process
(a separate one from the service) sends 20,000 signed Pay notifications over
loopback, a quarter of them duplicates, in shuffled order, for payments that are
waiting for them. It reports how many notifications were accepted per second and
their latency, then waits until every one is processed and counts what was sent,
stored once and applied.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from bench.loadgen import LoadGenerator, Reply, Request
from bench.machine import describe_machine
from bench.services import (
    BENCHMARK_SETTINGS,
    ROOT,
    cpu_seconds,
    cpu_seconds_of_command,
    cpu_seconds_since,
    free_port,
    gunicorn,
    gunicorn_edge,
    manage,
    peak_rss_mib,
    running,
    sandbox_environment,
    wait_until_answering,
)
from bench.webhook_notifications import (
    API_SECRET,
    outcome_counts,
    signed_pay_notifications,
    signed_requests,
)

NOTIFICATIONS = int(os.environ.get("BENCH_WEBHOOKS", "20000"))
CONNECTIONS = int(os.environ.get("BENCH_WEBHOOK_CONNECTIONS", "16"))
WEB_WORKERS = int(os.environ.get("BENCH_WEB_WORKERS", "2"))
WEB_THREADS = int(os.environ.get("BENCH_WEB_THREADS", "4"))
EDGE_WORKERS = int(os.environ.get("BENCH_EDGE_WORKERS", "2"))
WORKER_CONCURRENCY = os.environ.get("BENCH_WORKER_CONCURRENCY", "2")
# BENCH_NO_WORKER=1 measures intake alone: nothing is processed while notifications
# arrive (and nothing afterwards either).
WITH_WORKER = not os.environ.get("BENCH_NO_WORKER")
# BENCH_WEBHOOK_SETUPS=edge (or wsgi) measures one set-up only.
SETUPS = os.environ.get("BENCH_WEBHOOK_SETUPS", "wsgi,edge").split(",")
GOALS = {"wsgi": (1000, 100), "edge": (1500, 100)}
POSTGRES = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")
RABBITMQ = os.environ.get("BENCH_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672//")
DATABASE = "billing_bench_webhooks"


@dataclass(frozen=True)
class Setup:
    """Which web serves the notifications, and its command line."""

    name: str
    description: str
    command: list[str]
    port: int


def _setups(port: int) -> list[Setup]:
    known = {
        "wsgi": Setup(
            "wsgi",
            f"the WSGI web: gunicorn config.wsgi, {WEB_WORKERS} workers x "
            f"{WEB_THREADS} threads",
            gunicorn(port, workers=WEB_WORKERS, threads=WEB_THREADS),
            port,
        ),
        "edge": Setup(
            "edge",
            f"the ASGI edge: gunicorn config.edge, {EDGE_WORKERS} uvicorn workers",
            gunicorn_edge(port, workers=EDGE_WORKERS, reuse_port=True),
            port,
        ),
    }
    return [known[name.strip()] for name in SETUPS]


def _environment(var_dir: Path, sandbox_port: int) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": BENCHMARK_SETTINGS,
        "DATABASE_URL": f"{POSTGRES}/{DATABASE}",
        "CELERY_BROKER_URL": RABBITMQ,
        "CELERY_RESULT_BACKEND": "django-db",
        "CLOUDPAYMENTS_API_SECRET": API_SECRET,
        # Processing asks the gateway about a payment before moving it: the sandbox
        # answers as CloudPayments would for payments it never saw.
        "SANDBOX_URL": f"http://127.0.0.1:{sandbox_port}",
        "CLOUDPAYMENTS_API_URL": f"http://127.0.0.1:{sandbox_port}/",
        "VAR_DIR": str(var_dir),
        "LOG_LEVEL": "WARNING",
    }


def _purge_webhook_queue(env: dict[str, str]) -> None:
    """Drop task messages left by an interrupted earlier run (their rows are gone)."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "purge",
            "-f",
            "-Q",
            "webhooks",
        ],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def _missing_service() -> str | None:
    """Why the benchmark cannot run here (it needs PostgreSQL and RabbitMQ), or None."""
    import psycopg
    from kombu import Connection

    try:
        psycopg.connect(f"{POSTGRES}/postgres", connect_timeout=3).close()
    except psycopg.Error as exc:
        return f"needs PostgreSQL at {POSTGRES} (BENCH_POSTGRES_URL): {exc}"
    try:
        with Connection(RABBITMQ, connect_timeout=3) as connection:
            connection.ensure_connection(max_retries=1)
    except Exception as exc:  # noqa: BLE001 - kombu raises transport-specific errors
        return f"needs RabbitMQ at {RABBITMQ} (BENCH_RABBITMQ_URL): {exc}"
    return None


def _recreate_database() -> None:
    import psycopg

    if "django.db" in sys.modules:
        # A later set-up: this process's connection to the old database goes first.
        from django.db import connections

        connections.close_all()

    with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{DATABASE}"')


def main() -> None:
    print("Webhook intake (signed CloudPayments Pay notifications)")
    print(f"  machine:      {describe_machine()}")
    if problem := _missing_service():
        print(f"  not run:      {problem}")
        return
    for setup in _setups(free_port()):
        _measure(setup)


@dataclass
class _Run:
    """What one set-up measured."""

    sent: int
    unique: int
    seconds: float
    latencies: list[float]
    statuses: dict[int, int]
    web_cpu: float
    worker_cpu: float
    postgres_cpu: float
    load_cpu: float
    # The worker's CPU from the first notification until the last was processed.
    processing_cpu: float
    drained: float
    counts: dict[str, int]
    worker_memory: float


def _measure(setup: Setup) -> None:
    """Start the service afresh, send the notifications, print the figures."""
    var_dir = Path(os.environ.get("BENCH_VAR_DIR", "/tmp/billing-bench"))  # noqa: S108
    var_dir.mkdir(parents=True, exist_ok=True)
    sandbox_port = free_port()
    env = _environment(var_dir, sandbox_port)
    print(f"  {setup.description}:")
    _recreate_database()
    manage("migrate", "--noinput", env=env)
    _purge_webhook_queue(env)
    bodies, unique = signed_pay_notifications(env, NOTIFICATIONS)
    port = setup.port
    with (
        running(
            _sandbox(sandbox_port), sandbox_environment(env), var_dir / "sandbox.log"
        ),
        running(setup.command, env, var_dir / f"{setup.name}.log") as web,
        running(_worker(), env, var_dir / "worker.log") as worker,
    ):
        wait_until_answering(f"http://127.0.0.1:{port}/webhooks/", any_status=True)
        run = _load(port, bodies, unique, web_pid=web.pid, worker_pid=worker.pid)
    _report(setup, run)


def _worker() -> list[str]:
    if not WITH_WORKER:
        return [sys.executable, "-c", "import time; time.sleep(600)"]
    return [
        *(sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", "webhooks"),
        *("--concurrency", WORKER_CONCURRENCY, "--loglevel", "WARNING"),
        *("--without-gossip", "--without-mingle"),
    ]


def _sandbox(port: int) -> list[str]:
    return [
        *(sys.executable, "manage.py", "gateway_sandbox", "--port", str(port)),
        *("--notify-url", "", "--max-in-flight", "64"),
    ]


def _load(
    port: int, bodies: list[bytes], unique: int, *, web_pid: int, worker_pid: int
) -> _Run:
    """Send the notifications, then wait until the worker has processed them all."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}

    def record(request: Request, reply: Reply) -> None:
        latencies.append(reply.seconds)
        statuses[reply.status] = statuses.get(reply.status, 0) + 1

    load = LoadGenerator(f"http://127.0.0.1:{port}", connections=CONNECTIONS)
    web_cpu, worker_before = cpu_seconds(web_pid), cpu_seconds(worker_pid)
    postgres_before = cpu_seconds_of_command("postgres")
    load_cpu = time.process_time()
    elapsed = asyncio.run(load.run(signed_requests(bodies), record))
    load_cpu = time.process_time() - load_cpu
    web_cpu = cpu_seconds(web_pid) - web_cpu
    worker_cpu = cpu_seconds(worker_pid) - worker_before
    # Zero when PostgreSQL runs elsewhere (BENCH_POSTGRES_URL).
    postgres_cpu = cpu_seconds_since(
        postgres_before, cpu_seconds_of_command("postgres")
    )
    drain_started = time.perf_counter()
    counts = outcome_counts()
    # Without a worker nothing is processed: there is nothing to wait for.
    while (
        WITH_WORKER
        and counts["processed"] < counts["stored"]
        and time.perf_counter() - drain_started < 300
    ):
        time.sleep(1)
        counts = outcome_counts()
    processing_cpu = cpu_seconds(worker_pid) - worker_before
    return _Run(
        sent=len(bodies),
        unique=unique,
        seconds=elapsed,
        latencies=latencies,
        statuses=statuses,
        web_cpu=web_cpu,
        worker_cpu=worker_cpu,
        postgres_cpu=postgres_cpu,
        load_cpu=load_cpu,
        processing_cpu=processing_cpu,
        drained=time.perf_counter() - drain_started,
        counts=counts,
        worker_memory=peak_rss_mib(worker_pid),
    )


def _report(setup: Setup, run: _Run) -> None:
    cuts = statistics.quantiles(run.latencies, n=100)
    rate = run.sent / run.seconds
    goal_rate, goal_p99 = GOALS[setup.name]
    worker = (
        f"a Celery worker x{WORKER_CONCURRENCY} at the web's CPU priority"
        if WITH_WORKER
        else "no Celery worker"
    )
    print(f"    set-up:       {worker}, RabbitMQ, PostgreSQL")
    print(
        f"    sent:         {run.sent} ({run.unique} unique,"
        f" {run.sent - run.unique} duplicates) over {CONNECTIONS} connections;"
        f" replies {run.statuses}"
    )
    print(f"    accepted:     {rate:.0f} notifications/s (goal >= {goal_rate})")
    print(
        f"    CPU in load:  web {run.web_cpu / run.sent * 1000:.2f} ms per notification"
        f" ({run.web_cpu / run.seconds:.2f} cores), worker"
        f" {run.worker_cpu / run.seconds:.2f} cores, local PostgreSQL (every"
        f" session) {run.postgres_cpu / run.seconds:.2f} cores, load generator"
        f" {run.load_cpu / run.seconds:.2f} cores"
    )
    print(
        f"    latency:      p50 {cuts[49] * 1000:.1f} ms, p99 {cuts[98] * 1000:.1f} ms"
        f" (goal p99 <= {goal_p99} ms)"
    )
    counts = run.counts
    print(f"    stored once:  {counts['stored']} rows for {run.unique} unique")
    if not WITH_WORKER:
        return
    print(
        f"    processed:    {counts['processed']}"
        f" ({run.drained:.1f} s after the last reply), worker"
        f" {run.processing_cpu / run.unique * 1000:.2f} ms of CPU per notification"
    )
    print(
        f"    applied:      {counts['succeeded']} payments succeeded, "
        f"{counts['transitions']} SUCCEEDED transitions (each exactly once)"
    )
    print(f"    worker peak memory: {run.worker_memory:.0f} MiB")
