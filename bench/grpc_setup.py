"""The gRPC benchmarks' services: a database of their own, the server in its own
process as deployed, bearer tokens (`bench.tokens`), and the server's memory over
the run."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import grpc

from bench import services
from bench.services import (
    ROOT,
    free_port,
    missing_postgres,
    running,
    service_environment,
)

DATABASE = "billing_bench_grpc"
PROCESSES = int(os.environ.get("BENCH_GRPC_PROCESSES", "1"))


def missing_service() -> str | None:
    """Why the benchmark cannot run here (it needs PostgreSQL), or None."""
    return missing_postgres()


def recreate_database() -> None:
    services.recreate_database(DATABASE)


def drop_database() -> None:
    services.drop_database(DATABASE)


def environment(var_dir: Path) -> dict[str, str]:
    return service_environment(
        DATABASE, var_dir, CELERY_TASK_ALWAYS_EAGER="false", REDIS_URL=""
    )


def data(command: str, *args: str, env: dict[str, str]) -> object:
    """`python -m bench.grpc_data <command> <args>` on the benchmark's database: its
    JSON answer (a process of its own, so Django is set up on that database)."""
    finished = subprocess.run(
        [sys.executable, "-m", "bench.grpc_data", command, *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(finished.stdout)


@dataclass
class MemorySamples:
    """The server's resident memory (MiB), sampled every half second."""

    pid: int
    samples: list[float] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        while not self._stop.wait(0.5):
            self.samples.append(rss_mib(self.pid))

    def stop(self) -> None:
        self._stop.set()

    def describe(self) -> str:
        if len(self.samples) < 4:
            return "too short to sample"
        tenth = len(self.samples) // 10
        early, late = self.samples[tenth], self.samples[-tenth - 1]
        return (
            f"{early:.0f} MiB at 10 % of the run, {late:.0f} MiB at 90 %, "
            f"peak {max(self.samples):.0f} MiB"
        )


def rss_mib(pid: int) -> float:
    """A process's resident memory now (Linux VmRSS)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


@contextlib.contextmanager
def grpc_server(
    env: dict[str, str], log: Path, *, workers: int
) -> Iterator[tuple[str, MemorySamples]]:
    """`manage.py grpc_server` in its own process; its address and memory samples."""
    port = free_port()
    server_env = {**env, "GRPC_MAX_WORKERS": str(workers)}
    argv = [sys.executable, "manage.py", "grpc_server", "--port", str(port)]
    with contextlib.ExitStack() as stack:
        process = stack.enter_context(running(argv, server_env, log))
        for extra in range(1, PROCESSES):
            stack.enter_context(running(argv, server_env, log.with_suffix(f".{extra}")))
        target = f"127.0.0.1:{port}"
        _wait_until_ready(target)
        memory = MemorySamples(process.pid)
        sampler = threading.Thread(target=memory.run, daemon=True)
        sampler.start()
        try:
            yield target, memory
        finally:
            memory.stop()


def _wait_until_ready(target: str, *, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    with grpc.insecure_channel(target) as channel:
        grpc.channel_ready_future(channel).result(
            timeout=max(deadline - time.monotonic(), 1)
        )
