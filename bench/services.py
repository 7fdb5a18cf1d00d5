"""Starting the service's own processes for a benchmark, and stopping them."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench.tokens import SIGNING_KEY

ROOT = Path(__file__).resolve().parents[1]
# The PostgreSQL server where the benchmarks make their throw-away databases.
POSTGRES = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")
# The service's processes as deployed, with the gateways at the local sandbox, which
# production settings refuse (plain HTTP, the sandbox's public credentials).
BENCHMARK_SETTINGS = "config.settings.benchmark"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def missing_postgres() -> str | None:
    """Why PostgreSQL cannot be used for a benchmark here, or None."""
    import psycopg

    try:
        psycopg.connect(f"{POSTGRES}/postgres", connect_timeout=3).close()
    except psycopg.Error as exc:
        return f"needs PostgreSQL at {POSTGRES} (BENCH_POSTGRES_URL): {exc}"
    return None


def recreate_database(name: str) -> None:
    """An empty database `name` on `POSTGRES`, whatever an earlier run left there."""
    import psycopg

    with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def drop_database(name: str) -> None:
    import psycopg

    with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def gunicorn(
    port: int, *, workers: int, threads: int, reuse_port: bool = False
) -> list[str]:
    """The web server's command line as the production image runs it (threads).

    With `reuse_port` each worker listens on a socket of its own and the kernel
    spreads new connections over them; otherwise the workers share one socket and
    the first to wake takes whatever connections wait, so a client that opens its
    keep-alive connections at once may find them all in one worker.
    """
    return [
        *(sys.executable, "-m", "gunicorn", "config.wsgi"),
        *("--config", "python:config.gunicorn"),
        *("--bind", f"127.0.0.1:{port}", "--workers", str(workers)),
        *("--worker-class", "gthread", "--threads", str(threads)),
        *("--log-level", "warning"),
        *(["--reuse-port"] if reuse_port else []),
    ]


def gunicorn_edge(port: int, *, workers: int, reuse_port: bool = False) -> list[str]:
    """The ASGI webhook edge's command line as deployed: uvicorn workers under
    gunicorn (uvloop and httptools, which the workers pick when installed)."""
    return [
        *(sys.executable, "-m", "gunicorn", "config.edge:application"),
        *("--bind", f"127.0.0.1:{port}", "--workers", str(workers)),
        *("--worker-class", "uvicorn_worker.UvicornWorker"),
        *("--log-level", "warning"),
        *(["--reuse-port"] if reuse_port else []),
    ]


def service_environment(
    database: str, var_dir: Path, **overrides: str
) -> dict[str, str]:
    """The environment of the service's own processes for a benchmark that calls no
    gateway: benchmark settings on the database `database` of `POSTGRES`, bearer
    tokens signed by the run's key (`bench.tokens`), `overrides` on top."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": BENCHMARK_SETTINGS,
        "DATABASE_URL": f"{POSTGRES}/{database}",
        "JWT_SIGNING_KEY": SIGNING_KEY,
        "SENTRY_DSN": "",
        "VAR_DIR": str(var_dir / "var"),
        "LOG_LEVEL": "WARNING",
        # The benchmark settings refuse gateways off loopback; none is called.
        "CLOUDPAYMENTS_API_URL": "http://127.0.0.1:9/",
        "STRIPE_API_BASE": "http://127.0.0.1:9",
        **overrides,
    }


def sandbox_environment(service_env: dict[str, str]) -> dict[str, str]:
    """The environment of the gateway sandbox beside a service on `BENCHMARK_SETTINGS`.

    Only the development settings install the sandbox (it is not in the production
    image), so the stand-in gateway runs under them while the service's own processes
    keep the benchmark's.
    """
    return {**service_env, "DJANGO_SETTINGS_MODULE": "config.settings.local"}


def wait_until_answering(
    url: str, *, seconds: float = 60, any_status: bool = False
) -> None:
    """Wait until `url` answers 2xx (or, with `any_status`, anything at all)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=1):  # noqa: S310 - loopback only
                return
        except urllib.error.HTTPError:
            if any_status:
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"{url} did not answer within {seconds} s") from None
            time.sleep(0.2)
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{url} did not answer within {seconds} s") from None
            time.sleep(0.2)


@contextlib.contextmanager
def running(
    argv: list[str], env: dict[str, str], log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """Run a process for the duration of the block, its output in `log`."""
    with log.open("wb") as output:
        process = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            yield process
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def manage(*args: str, env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def json_answer(module: str, *args: str, env: dict[str, str]) -> dict[str, Any]:
    """Run `python -m module args…` in a process of its own; the JSON object on the
    last line of its output."""
    completed = subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    answer: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return answer


def peak_rss_mib(pid: int) -> float:
    """The high-water mark of a process's resident memory (Linux VmHWM)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def child_pids(pid: int) -> list[int]:
    """The ids of a process's live children (Linux)."""
    children: list[int] = []
    with contextlib.suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(OSError):
                children += [int(c) for c in (task / "children").read_text().split()]
    return children


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process and its live descendants (Linux)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total, pending = 0.0, [pid]
    while pending:
        current = pending.pop()
        try:
            stat = Path(f"/proc/{current}/stat").read_text()
        except OSError:
            continue
        # Fields 14 and 15 (utime, stime) follow the parenthesised command name.
        fields = stat.rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / ticks
        pending.extend(child_pids(current))
    return total


def yield_cpu(pid: int) -> None:
    """Give the session that `pid` leads (a process started by `running`) the lowest
    CPU priority, its processes forked later included.

    Where the kernel groups each session for scheduling (autogroup), the cores are
    shared between sessions and a process's own nice value only ranks it within its
    session; the session's nice is then set. Elsewhere every process of the group
    gets nice 19, which the ones it forks later inherit.
    """
    lowest = 19
    autogroup = Path(f"/proc/{pid}/autogroup")
    if autogroup.exists():
        autogroup.write_text(str(lowest))
    with contextlib.suppress(ProcessLookupError):
        os.setpriority(os.PRIO_PGRP, pid, lowest)


def cpu_seconds_of_command(name: str) -> dict[int, float]:
    """CPU time of each local process whose command is `name` (Linux), by pid.

    Compare two of these with `cpu_seconds_since`: a server such as PostgreSQL forks
    a process per connection, which the count of its main process misses.
    """
    ticks = os.sysconf("SC_CLK_TCK")
    found: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        command, fields = stat.split("(", 1)[1].rsplit(")", 1)
        if command == name:
            utime, stime = fields.split()[11:13]
            found[int(entry.name)] = (int(utime) + int(stime)) / ticks
    return found


def cpu_seconds_since(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU time spent between two `cpu_seconds_of_command` counts; processes that
    started in between count whole, ones that ended in between are missed."""
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())
