"""The renewal run: 100,000 due CloudPayments subscriptions billed by a Celery worker.

What is measured is the production path end to end. A Celery worker process (prefork,
one pool process, the benchmark settings: production's with the gateways at the sandbox)
runs `subscriptions.run_renewals` for CloudPayments from RabbitMQ, with
`RENEWALS_CLOUDPAYMENTS_IN_FLIGHT=64` and the batch size and time budget at their
defaults (a run hands over to a fresh task when its budget is spent, as in production).
It claims the subscriptions on PostgreSQL, issues invoices, saves PENDING payments,
sends each charge through the official CloudPayments SDK over HTTP to the gateway
sandbox (a process of its own, 50 ms latency, at most 80 requests in flight) and applies
every answer. The run is done twice, on a fresh database and a fresh sandbox each time:
with 50 ms latency, and with none (what the service itself costs). Both take about a
quarter of an hour on two cores; `BENCH_RENEWALS=N` renews N subscriptions instead of
100,000.

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

import os
from pathlib import Path

from bench.machine import describe_machine
from bench.renewal_measurement import RunFigures, load_average, measure_run
from bench.renewal_services import (
    IN_FLIGHT,
    SANDBOX_IN_FLIGHT,
    drop_database,
    missing_service,
    private_vhost,
)

SUBSCRIPTIONS = int(os.environ.get("BENCH_RENEWALS", "100000"))
LATENCY_MS = 50
GOAL_RATIO = 1.5
GOAL_STATEMENTS = 10
GOAL_COMMITS = 3
# Resident memory that moves less than this between 10 % and 90 % of a run is flat.
MEMORY_GROWTH_MIB = 10


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
    print(f"  load average: {load_average()} (1, 5, 15 min) at the start")
    if problem := missing_service():
        print(f"  not run:      {problem}")
        return
    print(
        f"  set-up:       {SUBSCRIPTIONS} due subscriptions, {IN_FLIGHT} charges in "
        f"flight, sandbox at most {SANDBOX_IN_FLIGHT} in flight"
    )
    try:
        with private_vhost() as broker_url:
            slow, fast = (
                measure_run(
                    latency_ms,
                    subscriptions=SUBSCRIPTIONS,
                    broker_url=broker_url,
                    var_dir=var_dir,
                )
                for latency_ms in (LATENCY_MS, 0)
            )
    finally:
        drop_database()
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
