"""Starting the service's own processes for a benchmark, and stopping them."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The service's processes as deployed, with the gateways at the local sandbox, which
# production settings refuse (plain HTTP, the sandbox's public credentials).
BENCHMARK_SETTINGS = "config.settings.benchmark"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def sandbox_environment(service_env: dict[str, str]) -> dict[str, str]:
    """The environment of the gateway sandbox beside a service on `BENCHMARK_SETTINGS`.

    Only the development settings install the sandbox (it is not in the production
    image), so the stand-in gateway runs under them while the service's own processes
    keep the benchmark's.
    """
    return {**service_env, "DJANGO_SETTINGS_MODULE": "config.settings.local"}


def wait_until_answering(url: str, *, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=1):  # noqa: S310 - loopback only
                return
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


def peak_rss_mib(pid: int) -> float:
    """The high-water mark of a process's resident memory (Linux VmHWM)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process and its live descendants (Linux)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total, pending = 0.0, [pid]
    while pending:
        current = pending.pop()
        try:
            stat = Path(f"/proc/{current}/stat").read_text()
            tasks = list(Path(f"/proc/{current}/task").iterdir())
        except OSError:
            continue
        # Fields 14 and 15 (utime, stime) follow the parenthesised command name.
        fields = stat.rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / ticks
        for task in tasks:
            with contextlib.suppress(OSError):
                pending.extend(int(c) for c in (task / "children").read_text().split())
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
