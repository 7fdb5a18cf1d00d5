"""Daily reconciliation: a day of 100,000 operations per gateway against 100,000
payments on PostgreSQL.

What is measured is `payments.services.reconcile` end to end, as `manage.py
reconcile` and the Beat task run it: the adapter reads the day's pages through the
official SDK over HTTP from the gateway sandbox (a process of its own: CloudPayments
`v2/payments/list`, 100 a page; Stripe PaymentIntents with `latest_charge` and
`payment_method` expanded, 100 a page, then Refunds), and each page is checked
against our payments in a transaction of its own; at the end our payments of the day
the gateway did not list are looked for. Every run must find nothing (0
discrepancies, the run COMPLETED, every operation read): the benchmark proves
that agreeing books agree as much as it times them. The sandbox's Stripe rate limit
is off (Stripe's live read limit is 100 requests/s; one sequential reader stays
below it), nothing else is slowed down.

Per gateway, two days are reconciled: one of a tenth of the operations and one of
all of them (`BENCH_RECONCILIATION=N`, default 100,000), each in a fresh process, so
that memory can be compared: a reconciliation holds one page at a time, so its peak
should not grow with the day. The gateway's reads are also timed alone (iterating
`day_operations` of the same day, in the same process, before the reconciliation):
the rest of the total is ours (queries, checks, sightings, the run's row), or less
than ours, since a reconciliation reads the next page while it checks one.

Seeding is not measured. The benchmark gets a throw-away database of its own
(`billing_bench_reconciliation`, or `BENCH_RECONCILIATION_DATABASE`, migrated afresh)
and one sandbox. `bench.reconciliation_data` seeds each day: captured payments at the
sandbox through its seeding control (`POST /__sandbox/seed-payments`), each named by
our reference (`payment:<uuid>`) and, for CloudPayments, by the payer's id as the
account; then, by bulk insert, a payer and a SUCCEEDED payment captured in full per
operation, with the gateway's id as its reference, at the same moment of the day;
then VACUUM ANALYZE and a checkpoint, and one page read so that the sandbox's list
index is up to date.

Counting. Seconds are wall-clock time in the reconciling process; CPU is that
process's own; SQL statements are counted by a Django execute wrapper there.
Memory is that process's resident set: its high-water mark (Linux `VmHWM`, reset
through `/proc/self/clear_refs` just before `reconcile` starts) less the resident
set at that moment.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path
from typing import Any

from bench import services
from bench.machine import describe_machine
from bench.services import (
    free_port,
    json_answer,
    manage,
    missing_postgres,
    running,
    sandbox_environment,
    service_environment,
    wait_until_answering,
)
from gateway_sandbox.credentials import SANDBOX_CREDENTIALS

OPERATIONS = int(os.environ.get("BENCH_RECONCILIATION", "100000"))
DATABASE = os.environ.get(
    "BENCH_RECONCILIATION_DATABASE", "billing_bench_reconciliation"
)
GATEWAYS = ("cloudpayments", "stripe")
GOAL_PER_SECOND = 5_000
# Peak memory that grows less than this from a tenth of the day to all of it is flat.
MEMORY_GROWTH_MIB = 10
# Reads that take more than this share of the total dominate it.
READS_DOMINATE = 0.5


def _environment(var_dir: Path, sandbox_port: int) -> dict[str, str]:
    sandbox = f"http://127.0.0.1:{sandbox_port}"
    return service_environment(
        DATABASE,
        var_dir,
        **SANDBOX_CREDENTIALS,
        SANDBOX_URL=sandbox,
        CLOUDPAYMENTS_API_URL=f"{sandbox}/",
        STRIPE_API_BASE=sandbox,
        REDIS_URL="",
    )


def _sandbox_argv(port: int) -> list[str]:
    return [
        *(sys.executable, "manage.py", "gateway_sandbox", "--port", str(port)),
        *("--notify-url", "", "--stripe-requests-per-second", "0"),
    ]


def _data(*args: str, env: dict[str, str]) -> dict[str, Any]:
    """Run `bench.reconciliation_data` in a process of its own; its JSON answer."""
    return json_answer("bench.reconciliation_data", *args, env=env)


def _run(gateway: str, day: dt.date, count: int, env: dict[str, str]) -> dict[str, Any]:
    seeded = _data("seed", gateway, day.isoformat(), str(count), env=env)
    figures = _data("measure", gateway, day.isoformat(), env=env)
    figures["expected"] = count
    figures["seeding_seconds"] = seeded["seconds"]
    return figures


def _problems(run: dict[str, Any]) -> list[str]:
    """What is wrong with a run's outcome: it must agree in full."""
    problems = []
    if not run["completed"]:
        problems.append(f"the run is {run['status']}")
    if (
        run["operations"] != run["expected"]
        or run["reads"]["operations"] != (run["expected"])
    ):
        problems.append(
            f"{run['operations']} operations reconciled and "
            f"{run['reads']['operations']} read, not {run['expected']}"
        )
    if run["discrepancies"] or run["found"]:
        problems.append(f"{run['discrepancies']} discrepancies ({run['found']})")
    return problems


def _print_run(run: dict[str, Any]) -> None:
    operations, seconds = run["operations"], run["seconds"]
    reads = run["reads"]
    ours = seconds - reads["seconds"]
    rate = operations / seconds if seconds else 0.0
    print(f"  {run['gateway']}, {run['expected']} operations on {run['day']}:")
    print(
        f"    total:        {operations} operations in {seconds:.1f} s, "
        f"{rate:.0f} operations/s (goal >= {GOAL_PER_SECOND}: "
        f"{'met' if rate >= GOAL_PER_SECOND else 'NOT met'}); seeding "
        f"{run['seeding_seconds']:.0f} s, not measured"
    )
    waited = reads["seconds"] - reads["cpu_seconds"]
    print(
        f"    reads alone:  {reads['seconds']:.1f} s for {reads['pages']} pages "
        f"({reads['seconds'] / max(reads['pages'], 1) * 1000:.0f} ms a page, "
        f"{reads['operations'] / reads['seconds']:.0f} operations/s), "
        f"{reads['seconds'] / seconds:.0%} of the total: this process's CPU "
        f"{reads['cpu_seconds']:.1f} s (the SDK: HTTP, JSON, its objects), "
        f"waiting {waited:.1f} s (the sandbox)"
    )
    print(
        f"    ours:         total - reads (they overlap) = {ours:.1f} s, "
        f"{operations / ours if ours > 0 else 0:.0f} operations/s; "
        f"{run['statements']} SQL statements "
        f"({run['statements'] / max(reads['pages'], 1):.1f} a page); the process's "
        f"CPU over the whole run {run['cpu_seconds']:.1f} s"
    )
    print(
        f"    found:        {run['discrepancies']} discrepancies "
        f"({run['status']}, {run['found'] or 'nothing found'})"
    )
    print(
        f"    memory:       peak RSS {run['peak_rss_mib']:.0f} MiB, "
        f"{run['peak_rss_mib'] - run['rss_before_mib']:+.1f} MiB over the "
        f"{run['rss_before_mib']:.0f} MiB at the start"
    )
    if reads["seconds"] / seconds > READS_DOMINATE:
        side = (
            "the SDK decoding the pages in this process"
            if reads["cpu_seconds"] > waited
            else "waiting for the sandbox"
        )
        print(f"    note:         the gateway's reads dominate, mostly {side}")


def _print_growth(gateway: str, small: dict[str, Any], full: dict[str, Any]) -> None:
    grown = [r["peak_rss_mib"] - r["rss_before_mib"] for r in (small, full)]
    flat = grown[1] - grown[0] < MEMORY_GROWTH_MIB
    print(
        f"  {gateway} memory: peak growth {grown[0]:+.1f} MiB at "
        f"{small['expected']} operations, {grown[1]:+.1f} MiB at "
        f"{full['expected']}: "
        f"{'flat' if flat else 'NOT flat'} (within {MEMORY_GROWTH_MIB} MiB)"
    )


def main() -> None:
    var_dir = Path(os.environ.get("BENCH_VAR_DIR", "/tmp/billing-bench"))  # noqa: S108
    var_dir = var_dir / "reconciliation"
    var_dir.mkdir(parents=True, exist_ok=True)
    print("Daily reconciliation (CloudPayments and Stripe, PostgreSQL, sandbox)")
    print(f"  machine:      {describe_machine()}")
    if problem := missing_postgres():
        print(f"  not run:      {problem}")
        return
    sizes = (max(OPERATIONS // 10, 1), OPERATIONS)
    print(
        f"  set-up:       per gateway, a day of {sizes[0]} and a day of {sizes[1]} "
        "captured payments, each ours too; each reconciled in a fresh process"
    )
    port = free_port()
    env = _environment(var_dir, port)
    today = dt.datetime.now(dt.UTC).date()
    days = (today - dt.timedelta(days=3), today - dt.timedelta(days=2))
    services.recreate_database(DATABASE)
    problems: list[str] = []
    try:
        manage("migrate", "--noinput", env=env)
        with running(
            _sandbox_argv(port), sandbox_environment(env), var_dir / "sandbox.log"
        ):
            wait_until_answering(f"http://127.0.0.1:{port}/__sandbox/health")
            for gateway in GATEWAYS:
                runs = [
                    _run(gateway, day, count, env)
                    for day, count in zip(days, sizes, strict=True)
                ]
                for run in runs:
                    _print_run(run)
                    problems += [f"{gateway}: {p}" for p in _problems(run)]
                _print_growth(gateway, *runs)
    finally:
        services.drop_database(DATABASE)
    if problems:
        raise AssertionError(
            "reconciliation found what it should not: " + "; ".join(problems)
        )
