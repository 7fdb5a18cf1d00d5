"""The renewal benchmark's services: its own PostgreSQL database and RabbitMQ vhost,
PostgreSQL's commit count, and the environment and command lines of the sandbox and
the Celery worker it starts."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
import urllib.parse
import uuid
from collections.abc import Iterator
from pathlib import Path

from bench import services
from bench.renewal_data import API_SECRET, PUBLIC_ID
from bench.services import BENCHMARK_SETTINGS, POSTGRES, missing_postgres

IN_FLIGHT = 64
SANDBOX_IN_FLIGHT = 80
RABBITMQ = os.environ.get("BENCH_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672//")
DATABASE = "billing_bench_renewals"


def missing_service() -> str | None:
    """Why the benchmark cannot run here (it needs PostgreSQL and RabbitMQ), or None."""
    from kombu import Connection

    if problem := missing_postgres():
        return problem
    try:
        with Connection(RABBITMQ, connect_timeout=3) as connection:
            connection.ensure_connection(max_retries=1)
    except Exception as exc:  # noqa: BLE001 - kombu raises transport-specific errors
        return f"needs RabbitMQ at {RABBITMQ} (BENCH_RABBITMQ_URL): {exc}"
    return None


def _rabbitmqctl(*args: str) -> bool:
    try:
        subprocess.run(
            ["rabbitmqctl", *args],  # noqa: S607 - the broker's own tool, on PATH
            check=True,
            capture_output=True,
            timeout=60,
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return True


@contextlib.contextmanager
def private_vhost() -> Iterator[str]:
    """A RabbitMQ vhost of the benchmark's own, so that no other worker on the broker
    takes its renewal task; the shared one (its queue purged) without rabbitmqctl."""
    parts = urllib.parse.urlsplit(RABBITMQ)
    vhost = f"bench-renewals-{uuid.uuid4().hex[:8]}"
    if not _rabbitmqctl("add_vhost", vhost):
        yield RABBITMQ
        return
    try:
        user = parts.username or "guest"
        _rabbitmqctl("set_permissions", "-p", vhost, user, ".*", ".*", ".*")
        yield urllib.parse.urlunsplit(parts._replace(path="/" + vhost))
    finally:
        _rabbitmqctl("delete_vhost", vhost)


def recreate_database() -> None:
    services.recreate_database(DATABASE)


def drop_database() -> None:
    services.drop_database(DATABASE)


class CommitCounter:
    """`xact_commit` of the benchmark's database, read from the `postgres` database
    so that reading it commits nothing there."""

    def __init__(self) -> None:
        import psycopg

        self._connection = psycopg.connect(f"{POSTGRES}/postgres", autocommit=True)

    def now(self) -> int:
        row = self._connection.execute(
            "SELECT xact_commit FROM pg_stat_database WHERE datname = %s", [DATABASE]
        ).fetchone()
        return int(row[0]) if row else 0

    def settled(self) -> int:
        """The count once no backend is connected to the database any more."""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            row = self._connection.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = %s", [DATABASE]
            ).fetchone()
            if row is not None and row[0] == 0:
                break
            time.sleep(0.2)
        # Exiting backends report their counts on the way out.
        time.sleep(1.0)
        return self.now()

    def close(self) -> None:
        self._connection.close()


def environment(
    *, var_dir: Path, broker_url: str, sandbox_port: int, probe: Path
) -> dict[str, str]:
    sandbox = f"http://127.0.0.1:{sandbox_port}"
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": BENCHMARK_SETTINGS,
        "DATABASE_URL": f"{POSTGRES}/{DATABASE}",
        "CELERY_BROKER_URL": broker_url,
        "CELERY_RESULT_BACKEND": "django-db",
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "REDIS_URL": "",
        "SENTRY_DSN": "",
        "SANDBOX_URL": sandbox,
        "CLOUDPAYMENTS_API_URL": f"{sandbox}/",
        "CLOUDPAYMENTS_PUBLIC_ID": PUBLIC_ID,
        "CLOUDPAYMENTS_API_SECRET": API_SECRET,
        "STRIPE_API_BASE": sandbox,
        "RENEWALS_CLOUDPAYMENTS_IN_FLIGHT": str(IN_FLIGHT),
        "VAR_DIR": str(var_dir / "var"),
        "LOG_LEVEL": "WARNING",
        "BENCH_RENEWAL_PROBE_FILE": str(probe),
    }


def sandbox_argv(port: int, latency_ms: int) -> list[str]:
    return [
        *(sys.executable, "manage.py", "gateway_sandbox", "--port", str(port)),
        *("--notify-url", "", "--latency-ms", str(latency_ms)),
        *("--max-in-flight", str(SANDBOX_IN_FLIGHT)),
    ]


def worker_argv() -> list[str]:
    return [
        *(sys.executable, "-m", "celery", "-A", "config", "worker"),
        *("--queues", "renewals", "--concurrency", "1", "--loglevel", "WARNING"),
        *("--without-heartbeat", "--without-gossip", "--without-mingle"),
        *("--include", "bench.renewal_probe"),
    ]
