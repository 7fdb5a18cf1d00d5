"""One measured run of the renewal benchmark: a fresh database and sandbox, the
subscriptions seeded, the renewal task sent to a Celery worker, and the worker's
CPU, memory, statements and commits followed until its last task is done."""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.renewal_services import (
    CommitCounter,
    environment,
    recreate_database,
    sandbox_argv,
    worker_argv,
)
from bench.services import (
    free_port,
    json_answer,
    manage,
    peak_rss_mib,
    running,
    sandbox_environment,
    wait_until_answering,
)

# Give up on a run that is not done by then (it would be far off every goal).
RUN_TIMEOUT_SECONDS = float(os.environ.get("BENCH_RENEWALS_TIMEOUT", "1800"))
SAMPLE_SECONDS = 0.5
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


def _data(command: str, *args: str, env: dict[str, str]) -> dict[str, Any]:
    """Run `bench.renewal_data` in a process of its own; its JSON answer."""
    return json_answer("bench.renewal_data", command, *args, env=env)


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


def measure_run(
    latency_ms: int, *, subscriptions: int, broker_url: str, var_dir: Path
) -> RunFigures:
    """Renew `subscriptions` due subscriptions with the sandbox `latency_ms` slow."""
    figures = RunFigures(latency_ms=latency_ms)
    folder = var_dir / f"latency-{latency_ms}"
    folder.mkdir(parents=True, exist_ok=True)
    probe = folder / "probe.jsonl"
    probe.unlink(missing_ok=True)
    sandbox_port = free_port()
    env = environment(
        var_dir=folder, broker_url=broker_url, sandbox_port=sandbox_port, probe=probe
    )
    recreate_database()
    manage("migrate", "--noinput", env=env)
    sandbox_command = sandbox_argv(sandbox_port, latency_ms)
    with running(
        sandbox_command, sandbox_environment(env), folder / "sandbox.log"
    ) as sandbox:
        wait_until_answering(f"http://127.0.0.1:{sandbox_port}/__sandbox/health")
        seeded = _data("seed", str(subscriptions), env=env)
        figures.seeding_seconds = float(seeded["seconds"])
        commits = CommitCounter()
        try:
            worker_log = folder / "worker.log"
            with running(worker_argv(), env, worker_log):
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
                figures.load_after = load_average()
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
    commits: CommitCounter,
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


def load_average() -> str:
    return ", ".join(f"{n:.2f}" for n in os.getloadavg())
