"""The renewal run: 100,000 due CloudPayments subscriptions billed by a Celery worker.

What is measured is the production path end to end. A Celery worker process
(prefork, one pool process, production settings) runs `subscriptions.run_renewals`
for CloudPayments from RabbitMQ, with `RENEWALS_CLOUDPAYMENTS_IN_FLIGHT=64` and the
batch size and time budget at their defaults (a run hands over to a fresh task when
its budget is spent, as in production). It claims the subscriptions on PostgreSQL,
issues invoices, saves PENDING payments, sends each charge through the official
CloudPayments SDK over HTTP to the gateway sandbox (a process of its own, 50 ms
latency, at most 80 requests in flight) and applies every answer. The run is done
twice, on a fresh database and a fresh sandbox each time: with 50 ms latency, and with
none (what the service itself costs). Both take about a quarter of an hour on two cores;
`BENCH_RENEWALS=N` renews N subscriptions instead of 100,000.

Seeding is not measured. Each run gets a throw-away database of its own
(`billing_bench_renewals`, migrated afresh) and its rows are written in bulk by
`bench.renewal_data`: one plan, and per subscription a payer, a saved card (its token
encrypted as the model does) and an ACTIVE monthly subscription whose first period
ended a day or more ago (due now). The tokens are issued by the sandbox in bulk
through its seeding control (`POST /__sandbox/cp/tokens`), exactly as a first payment
would have issued them, but without one: 100,000 real first payments would take
longer than the renewals. Every renewal charge is checked against them by the
sandbox as any token charge is. The seeding ends with VACUUM ANALYZE and a
checkpoint.

Counting. Commits are PostgreSQL's own count, `xact_commit` of the benchmark's
database in `pg_stat_database`, from just before the task is sent until the worker
has stopped (its backends report their counts as they exit); only the worker uses
that database meanwhile (this process watches it through the `postgres` database).
PostgreSQL has no statement counter without `pg_stat_statements`, so the worker
counts them itself: it is started with `--include bench.renewal_probe`, which wraps
Django's `CursorWrapper.execute` and `executemany` for every connection and thread of
the process and writes the count after each renewal task. Both counts include what
the run does besides renewing (its lock, the task's result, the batch claims), divided
by the renewals; the commits would also count an autovacuum's, if one ran. CPU is the
user and system time of the pool process and of the sandbox over the run, and the
machine's busy cores come from `/proc/stat` (everything running on it). Memory is
the pool process's resident set (Linux `VmRSS`), sampled every half second (progress
is the commits made so far), shown when 10 %, 50 % and 90 % of the work was done,
and its peak (`VmHWM`, or the highest sample). The sandbox's ledger and the database
are read at the end: one capture per subscription, and every subscription one period
on with one paid renewal invoice.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
import urllib.parse
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.machine import describe_machine
from bench.services import (
    ROOT,
    free_port,
    manage,
    peak_rss_mib,
    running,
    wait_until_answering,
)

SUBSCRIPTIONS = int(os.environ.get("BENCH_RENEWALS", "100000"))
IN_FLIGHT = 64
LATENCY_MS = 50
SANDBOX_IN_FLIGHT = 80
GOAL_RATIO = 1.5
GOAL_STATEMENTS = 10
GOAL_COMMITS = 3
# Resident memory that moves less than this between 10 % and 90 % of a run is flat.
MEMORY_GROWTH_MIB = 10
# Give up on a run that is not done by then (it would be far off every goal).
RUN_TIMEOUT_SECONDS = float(os.environ.get("BENCH_RENEWALS_TIMEOUT", "1800"))
SAMPLE_SECONDS = 0.5
POSTGRES = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")
RABBITMQ = os.environ.get("BENCH_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672//")
DATABASE = "billing_bench_renewals"
PUBLIC_ID = "pk_bench_renewals"
API_SECRET = "bench-renewals-secret"  # noqa: S105 - the benchmark's own sandbox
RENEWAL_TASK = "subscriptions.run_renewals"


@dataclass
class Sample:
    seconds: float
    commits: int
    rss_mib: float


@dataclass
class RunFigures:
    latency_ms: int
    seconds: float = 0.0
    tasks: list[dict[str, Any]] = field(default_factory=list)
    commits: int = 0
    samples: list[Sample] = field(default_factory=list)
    worker_cpu_seconds: float = 0.0
    sandbox_cpu_seconds: float = 0.0
    # Cores the whole machine kept busy during the run, everyone's work included.
    machine_busy_cores: float = 0.0
    load_after: str = ""
    idle_rss_mib: float = 0.0
    peak_rss_mib: float = 0.0
    seeding_seconds: float = 0.0
    outcome: dict[str, Any] = field(default_factory=dict)

    def total(self, name: str) -> int:
        return sum(int(t["result"].get(name, 0)) for t in self.tasks)

    @property
    def statements(self) -> int:
        return sum(int(t["statements"]) for t in self.tasks)

    @property
    def renewals(self) -> int:
        return self.total("paid")

    @property
    def rate(self) -> float:
        return self.total("charged") / self.seconds if self.seconds else 0.0

    def rss_at(self, share: float) -> float:
        """The resident memory when `share` of the run's commits were made."""
        target = self.commits * share
        for sample in self.samples:
            if sample.commits >= target:
                return sample.rss_mib
        return self.samples[-1].rss_mib if self.samples else 0.0


# --- The services ---------------------------------------------------------------------


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
def _private_vhost() -> Iterator[str]:
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


def _recreate_database() -> None:
    import psycopg

    with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{DATABASE}"')


def _drop_database() -> None:
    import psycopg

    with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')


class _Commits:
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


def _environment(
    *, var_dir: Path, broker_url: str, sandbox_port: int, probe: Path
) -> dict[str, str]:
    sandbox = f"http://127.0.0.1:{sandbox_port}"
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": "bench-only-secret-key-not-for-production-use-at-all",
        "TOKEN_ENCRYPTION_KEYS": "zU9zRHbXg9bBS3RcJcY6Vhx6wc7JzRQB8nH3mMqPa1E=",
        "JWT_SIGNING_KEY": "bench-only",
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


def _sandbox_argv(port: int, latency_ms: int) -> list[str]:
    return [
        *(sys.executable, "manage.py", "gateway_sandbox", "--port", str(port)),
        *("--notify-url", "", "--latency-ms", str(latency_ms)),
        *("--max-in-flight", str(SANDBOX_IN_FLIGHT)),
    ]


def _worker_argv() -> list[str]:
    return [
        *(sys.executable, "-m", "celery", "-A", "config", "worker"),
        *("--queues", "renewals", "--concurrency", "1", "--loglevel", "WARNING"),
        *("--without-heartbeat", "--without-gossip", "--without-mingle"),
        *("--include", "bench.renewal_probe"),
    ]


def _data(command: str, *args: str, env: dict[str, str]) -> dict[str, Any]:
    """Run `bench.renewal_data` in a process of its own; its JSON answer."""
    completed = subprocess.run(
        [sys.executable, "-m", "bench.renewal_data", command, *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    answer: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return answer


def _probe_lines(probe: Path) -> list[dict[str, Any]]:
    if not probe.exists():
        return []
    return [json.loads(line) for line in probe.read_text().splitlines() if line]


def _wait_for_pool_process(probe: Path, worker_log: Path) -> int:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        lines = _probe_lines(probe)
        pools = [line["pid"] for line in lines if line["event"] == "pool_process"]
        if pools and any(line["event"] == "ready" for line in lines):
            return int(pools[-1])
        time.sleep(0.2)
    tail = worker_log.read_text(errors="replace")[-2000:]
    raise RuntimeError(f"the worker did not start:\n{tail}")


def _cpu_seconds(pid: int) -> float:
    """User plus system CPU time the process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _machine_cpu() -> tuple[float, float]:
    """Busy and total CPU seconds of the whole machine so far (Linux /proc/stat)."""
    fields = [int(f) for f in Path("/proc/stat").read_text().split()[1:9]]
    ticks = os.sysconf("SC_CLK_TCK")
    idle = fields[3] + fields[4]
    return (sum(fields) - idle) / ticks, sum(fields) / ticks


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _send_renewal_task(broker_url: str) -> None:
    from celery import Celery
    from kombu import Exchange, Queue

    app = Celery("bench-renewals", broker=broker_url)
    app.conf.task_queues = [Queue("renewals", Exchange("renewals"), "renewals")]
    with app.connection_for_write() as connection:
        app.send_task(
            RENEWAL_TASK,
            kwargs={"gateway": "cloudpayments"},
            queue="renewals",
            connection=connection,
        )


# --- One run --------------------------------------------------------------------------


def _run(latency_ms: int, *, broker_url: str, var_dir: Path) -> RunFigures:
    figures = RunFigures(latency_ms=latency_ms)
    folder = var_dir / f"latency-{latency_ms}"
    folder.mkdir(parents=True, exist_ok=True)
    probe = folder / "probe.jsonl"
    probe.unlink(missing_ok=True)
    sandbox_port = free_port()
    env = _environment(
        var_dir=folder, broker_url=broker_url, sandbox_port=sandbox_port, probe=probe
    )
    _recreate_database()
    manage("migrate", "--noinput", env=env)
    sandbox_argv = _sandbox_argv(sandbox_port, latency_ms)
    with running(sandbox_argv, env, folder / "sandbox.log") as sandbox:
        wait_until_answering(f"http://127.0.0.1:{sandbox_port}/__sandbox/health")
        seeded = _data("seed", str(SUBSCRIPTIONS), env=env)
        figures.seeding_seconds = float(seeded["seconds"])
        commits = _Commits()
        try:
            worker_log = folder / "worker.log"
            with running(_worker_argv(), env, worker_log):
                pool = _wait_for_pool_process(probe, worker_log)
                figures.idle_rss_mib = _rss_mib(pool)
                before = commits.settled()
                cpu = _cpu_seconds(pool), _cpu_seconds(sandbox.pid)
                machine = _machine_cpu()
                figures.tasks, figures.seconds = _measure(
                    pool, probe, broker_url, commits, before, figures.samples
                )
                ended = _machine_cpu()
                busy, total = ended[0] - machine[0], ended[1] - machine[1]
                figures.machine_busy_cores = busy / total * (os.cpu_count() or 1)
                figures.load_after = _load_average()
                figures.worker_cpu_seconds = _cpu_seconds(pool) - cpu[0]
                figures.sandbox_cpu_seconds = _cpu_seconds(sandbox.pid) - cpu[1]
                # The kernel updates the high-water mark lazily: the samples count too.
                sampled = max((sample.rss_mib for sample in figures.samples), default=0)
                figures.peak_rss_mib = max(peak_rss_mib(pool), sampled)
            figures.commits = commits.settled() - before
        finally:
            commits.close()
        figures.outcome = _data("verify", env=env)
    return figures


def _measure(
    pool: int,
    probe: Path,
    broker_url: str,
    commits: _Commits,
    before: int,
    samples: list[Sample],
) -> tuple[list[dict[str, Any]], float]:
    """Send the task and wait for the run's last task; its tasks and the seconds."""
    started = time.time()
    _send_renewal_task(broker_url)
    while True:
        time.sleep(SAMPLE_SECONDS)
        samples.append(
            Sample(time.time() - started, commits.now() - before, _rss_mib(pool))
        )
        tasks = [line for line in _probe_lines(probe) if line["event"] == "task"]
        if tasks and not tasks[-1]["result"].get("more_due", True):
            return tasks, tasks[-1]["finished_at"] - started
        if time.time() - started > RUN_TIMEOUT_SECONDS:
            raise RuntimeError(f"the renewal run took over {RUN_TIMEOUT_SECONDS} s")


# --- The report -----------------------------------------------------------------------


def _load_average() -> str:
    return ", ".join(f"{n:.2f}" for n in os.getloadavg())


def _goal(met: bool) -> str:
    return "met" if met else "NOT met"


def _print_run(name: str, run: RunFigures) -> None:
    outcome = run.outcome
    renewals = max(run.renewals, 1)
    print(f"  {name}:")
    print(
        f"    total:        {run.seconds:.1f} s for {run.total('charged')} charges, "
        f"{run.rate:.0f} charges/s ({len(run.tasks)} tasks; seeding "
        f"{run.seeding_seconds:.0f} s, not measured)"
    )
    print(
        f"    outcomes:     paid {run.total('paid')}, failed {run.total('failed')}, "
        f"waiting {run.total('waiting')}, errors {run.total('errors')}"
    )
    print(
        f"    per renewal:  {run.statements / renewals:.2f} SQL statements "
        f"(goal <= {GOAL_STATEMENTS}), {run.commits / renewals:.2f} commits "
        f"(goal <= {GOAL_COMMITS})"
    )
    charges = max(run.total("charged"), 1)
    print(
        f"    CPU:          worker {run.worker_cpu_seconds / renewals * 1000:.2f} ms "
        f"per renewal ({run.worker_cpu_seconds / run.seconds:.0%} of a core), "
        f"sandbox {run.sandbox_cpu_seconds / charges * 1000:.2f} ms per charge; "
        f"the machine {run.machine_busy_cores:.1f} of {os.cpu_count()} cores busy "
        f"(load average {run.load_after} at the end)"
    )
    print(
        f"    worker RSS:   idle {run.idle_rss_mib:.0f} MiB; at 10 % / 50 % / 90 % "
        f"of the run {run.rss_at(0.1):.0f} / {run.rss_at(0.5):.0f} / "
        f"{run.rss_at(0.9):.0f} MiB; peak {run.peak_rss_mib:.0f} MiB"
    )
    print(
        f"    sandbox:      {run.total('charged')} charges sent, "
        f"{outcome['captures']} captures in the ledger (entries "
        f"{outcome['sandbox_entries']}); {outcome['captured_once']} subscriptions "
        f"captured exactly once, {outcome['captured_more_than_once']} more than "
        f"once, {outcome['captures_of_no_renewal']} captures of no renewal; "
        f"HTTP 429: {outcome['rate_limited']}"
    )
    print(
        f"    advanced:     {outcome['advanced_one_period']} of "
        f"{outcome['subscriptions']} subscriptions one period, with one paid "
        f"invoice; payments {outcome['payments']}"
    )


def main() -> None:
    var_dir = Path(os.environ.get("BENCH_VAR_DIR", "/tmp/billing-bench"))  # noqa: S108
    var_dir = var_dir / "renewals"
    var_dir.mkdir(parents=True, exist_ok=True)
    print("Renewal run (CloudPayments, Celery worker, PostgreSQL, RabbitMQ)")
    print(f"  machine:      {describe_machine()}")
    print(f"  load average: {_load_average()} (1, 5, 15 min) at the start")
    if problem := _missing_service():
        print(f"  not run:      {problem}")
        return
    print(
        f"  set-up:       {SUBSCRIPTIONS} due subscriptions, {IN_FLIGHT} charges in "
        f"flight, sandbox at most {SANDBOX_IN_FLIGHT} in flight"
    )
    try:
        with _private_vhost() as broker_url:
            slow = _run(LATENCY_MS, broker_url=broker_url, var_dir=var_dir)
            fast = _run(0, broker_url=broker_url, var_dir=var_dir)
    finally:
        _drop_database()
    bound = SUBSCRIPTIONS * LATENCY_MS / 1000 / IN_FLIGHT
    _print_run(f"{LATENCY_MS} ms sandbox latency", slow)
    _print_run("no sandbox latency", fast)
    limit = GOAL_RATIO * max(bound, fast.seconds)
    print(
        f"  latency bound: {SUBSCRIPTIONS} x {LATENCY_MS} ms / {IN_FLIGHT} = "
        f"{bound:.1f} s; total / bound = {slow.seconds / bound:.2f}"
    )
    print(
        f"  total / no-latency run = {slow.seconds / fast.seconds:.2f}; goal total <= "
        f"{GOAL_RATIO} x max(bound, no-latency run) = {limit:.0f} s: "
        f"{_goal(slow.seconds <= limit)}"
    )
    runs = (slow, fast)
    statements = max(r.statements / max(r.renewals, 1) for r in runs)
    commits = max(r.commits / max(r.renewals, 1) for r in runs)
    growth = max(r.rss_at(0.9) - r.rss_at(0.1) for r in runs)
    print(
        f"  goals:        statements {_goal(statements <= GOAL_STATEMENTS)}, "
        f"commits {_goal(commits <= GOAL_COMMITS)}, memory "
        f"{'flat' if growth < MEMORY_GROWTH_MIB else f'grew {growth:.0f} MiB'} "
        "from 10 % to 90 % of the run"
    )
