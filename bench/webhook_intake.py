"""Webhook intake: signed CloudPayments Pay notifications into the running service.

The service runs as in production: gunicorn on PostgreSQL, Celery workers consuming
RabbitMQ. A load generator in this process (a separate one from the service) sends
20,000 signed Pay notifications over loopback, a quarter of them duplicates, in
shuffled order, for payments that are waiting for them. It reports how many
notifications were accepted per second and their latency, then waits until every
one is processed and counts what was sent, stored once and applied.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import hashlib
import hmac
import os
import random
import statistics
import subprocess
import sys
import time
import urllib.parse
import uuid
from collections.abc import Iterator
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
    manage,
    peak_rss_mib,
    running,
    sandbox_environment,
    wait_until_answering,
    yield_cpu,
)
from gateway_sandbox.credentials import SANDBOX_CREDENTIALS

NOTIFICATIONS = int(os.environ.get("BENCH_WEBHOOKS", "20000"))
DUPLICATE_SHARE = 0.25
CONNECTIONS = int(os.environ.get("BENCH_WEBHOOK_CONNECTIONS", "16"))
WEB_WORKERS = int(os.environ.get("BENCH_WEB_WORKERS", "2"))
WEB_THREADS = os.environ.get("BENCH_WEB_THREADS", "4")
WORKER_CONCURRENCY = os.environ.get("BENCH_WORKER_CONCURRENCY", "2")
# BENCH_NO_WORKER=1 measures intake alone: nothing is processed while notifications
# arrive (and nothing afterwards either).
WITH_WORKER = not os.environ.get("BENCH_NO_WORKER")
GOAL_PER_SECOND = 1000
GOAL_P99_MS = 100
# The sandbox runs only with its own credentials, and the service shares them.
API_SECRET = SANDBOX_CREDENTIALS["CLOUDPAYMENTS_API_SECRET"]
POSTGRES = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")
RABBITMQ = os.environ.get("BENCH_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672//")
DATABASE = "billing_bench_webhooks"


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


def _create_waiting_payments(env: dict[str, str], count: int) -> list[tuple[str, int]]:
    """Payments in PENDING, as if each had just been sent to CloudPayments."""
    os.environ.update(env)
    import django

    django.setup()
    from billing.models import Payer
    from payments.models import Payment

    now = dt.datetime.now(dt.UTC)
    payer = Payer.objects.create(id=uuid.uuid4())
    first_transaction = 1_000_000 + Payment.objects.count()
    payments = [
        Payment(
            id=uuid.uuid4(),
            payer=payer,
            kind="ONE_OFF",
            gateway="cloudpayments",
            amount_minor=19_900,
            currency="RUB",
            idempotency_key=f"bench:{uuid.uuid4()}",
            gateway_reference=str(first_transaction + index),
            created_at=now,
            updated_at=now,
        )
        for index in range(count)
    ]
    Payment.objects.bulk_create(payments, batch_size=2000)
    return [(str(p.id), int(str(p.gateway_reference))) for p in payments]


def _pay_notification(payment_id: str, transaction_id: int, payer_id: str) -> bytes:
    fields = {
        "TransactionId": transaction_id,
        "Amount": "199.00",
        "Currency": "RUB",
        "PaymentAmount": "199.00",
        "PaymentCurrency": "RUB",
        "DateTime": "2026-11-23 12:00:00",
        "CardFirstSix": "400000",
        "CardLastFour": "3055",
        "CardType": "Visa",
        "CardExpDate": "12/30",
        "TestMode": 1,
        "Status": "Completed",
        "OperationType": "Payment",
        "InvoiceId": f"payment:{payment_id}",
        "AccountId": payer_id,
        "GatewayName": "Test",
    }
    return urllib.parse.urlencode(fields).encode()


def _requests(bodies: list[bytes]) -> Iterator[Request]:
    for body in bodies:
        signature = base64.b64encode(
            hmac.new(API_SECRET.encode(), body, hashlib.sha256).digest()
        ).decode()
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Content-HMAC": signature,
        }
        yield Request("POST", "/webhooks/cloudpayments/pay/", body, headers)


def _counts(env: dict[str, str]) -> dict[str, int]:
    from billing.models import StatusChange
    from payments.models import GatewayEventRecord, Payment

    return {
        "stored": GatewayEventRecord.objects.count(),
        "processed": GatewayEventRecord.objects.filter(status="PROCESSED").count(),
        "succeeded": Payment.objects.filter(status="SUCCEEDED").count(),
        "transitions": StatusChange.objects.filter(to_status="SUCCEEDED").count(),
    }


@dataclass(frozen=True)
class Setup:
    """How the service's processes share the two cores during one measurement."""

    name: str
    with_worker: bool
    # The worker's processes run at the lowest CPU priority (nice 19), as background
    # work beside a web server on a shared host would: gateways wait for the web's
    # answer, while processing may trail it.
    worker_yields: bool = False


def main() -> None:
    print("Webhook intake (signed CloudPayments Pay notifications)")
    print(f"  machine:      {describe_machine()}")
    if problem := _missing_service():
        print(f"  not run:      {problem}")
        return
    setups = (
        [
            Setup("the worker at the web's CPU priority", with_worker=True),
            Setup(
                "the worker yielding the CPU to the web (nice 19)",
                with_worker=True,
                worker_yields=True,
            ),
        ]
        if WITH_WORKER
        else [Setup("intake alone, no Celery worker", with_worker=False)]
    )
    for setup in setups:
        _measure(setup)


def _measure(setup: Setup) -> None:
    """Start the service afresh, send the notifications, print the figures."""
    var_dir = Path(os.environ.get("BENCH_VAR_DIR", "/tmp/billing-bench"))  # noqa: S108
    var_dir.mkdir(parents=True, exist_ok=True)
    sandbox_port = free_port()
    env = _environment(var_dir, sandbox_port)
    unique = int(NOTIFICATIONS * (1 - DUPLICATE_SHARE))
    print(f"  with {setup.name}:")
    _recreate_database()
    manage("migrate", "--noinput", env=env)
    _purge_webhook_queue(env)
    targets = _create_waiting_payments(env, unique)
    from billing.models import Payer

    payer_id = str(Payer.objects.get().id)
    bodies = [_pay_notification(pid, tx, payer_id) for pid, tx in targets]
    bodies += random.choices(bodies, k=NOTIFICATIONS - unique)
    random.shuffle(bodies)
    port = free_port()
    web = gunicorn(port, workers=WEB_WORKERS, threads=int(WEB_THREADS))
    if not setup.with_worker:
        worker = [sys.executable, "-c", "import time; time.sleep(600)"]
    else:
        worker = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "-Q",
            "webhooks",
            "--concurrency",
            WORKER_CONCURRENCY,
            "--loglevel",
            "WARNING",
            "--without-gossip",
            "--without-mingle",
        ]
    sandbox = [
        sys.executable,
        "manage.py",
        "gateway_sandbox",
        "--port",
        str(sandbox_port),
        "--notify-url",
        "",
        "--max-in-flight",
        "64",
    ]
    with (
        running(sandbox, sandbox_environment(env), var_dir / "sandbox.log"),
        running(web, env, var_dir / "web.log") as web_process,
        running(worker, env, var_dir / "worker.log") as w,
    ):
        wait_until_answering(f"http://127.0.0.1:{port}/healthz")
        if setup.worker_yields:
            yield_cpu(w.pid)
        latencies: list[float] = []
        statuses: dict[int, int] = {}

        def record(request: Request, reply: Reply) -> None:
            latencies.append(reply.seconds)
            statuses[reply.status] = statuses.get(reply.status, 0) + 1

        load = LoadGenerator(f"http://127.0.0.1:{port}", connections=CONNECTIONS)
        web_cpu, worker_cpu = cpu_seconds(web_process.pid), cpu_seconds(w.pid)
        postgres_before = cpu_seconds_of_command("postgres")
        elapsed = asyncio.run(load.run(_requests(bodies), record))
        web_cpu = cpu_seconds(web_process.pid) - web_cpu
        worker_cpu = cpu_seconds(w.pid) - worker_cpu
        # Zero when PostgreSQL runs elsewhere (BENCH_POSTGRES_URL).
        postgres_cpu = cpu_seconds_since(
            postgres_before, cpu_seconds_of_command("postgres")
        )
        drain_started = time.perf_counter()
        counts = _counts(env)
        # Without a worker nothing is processed: there is nothing to wait for.
        while (
            setup.with_worker
            and counts["processed"] < counts["stored"]
            and time.perf_counter() - drain_started < 300
        ):
            time.sleep(1)
            counts = _counts(env)
        drained = time.perf_counter() - drain_started
        worker_memory = peak_rss_mib(w.pid)
    cuts = statistics.quantiles(latencies, n=100)
    rate = len(bodies) / elapsed
    duplicates = len(bodies) - unique
    workers = (
        f"Celery x{WORKER_CONCURRENCY}" if setup.with_worker else "no Celery worker"
    )
    print(
        f"    set-up:       gunicorn {WEB_WORKERS} workers x {WEB_THREADS} threads, "
        f"{workers}, RabbitMQ, PostgreSQL"
    )
    print(
        f"    sent:         {len(bodies)} ({unique} unique, {duplicates} duplicates)"
        f" over {CONNECTIONS} connections; replies {statuses}"
    )
    print(f"    accepted:     {rate:.0f} notifications/s (goal >= {GOAL_PER_SECOND})")
    print(
        f"    CPU in load:  web {web_cpu / len(bodies) * 1000:.2f} ms per notification"
        f" ({web_cpu / elapsed:.2f} cores), worker {worker_cpu / elapsed:.2f} cores,"
        f" local PostgreSQL {postgres_cpu / elapsed:.2f} cores"
    )
    print(
        f"    latency:      p50 {cuts[49] * 1000:.1f} ms, p99 {cuts[98] * 1000:.1f} ms "
        f"(goal p99 <= {GOAL_P99_MS} ms)"
    )
    print(
        f"    stored once:  {counts['stored']} rows for {unique} unique notifications"
    )
    print(
        f"    processed:    {counts['processed']}"
        f" ({drained:.1f} s after the last reply)"
    )
    print(
        f"    applied:      {counts['succeeded']} payments succeeded, "
        f"{counts['transitions']} SUCCEEDED transitions (each exactly once)"
    )
    print(f"    worker peak memory: {worker_memory:.0f} MiB")
