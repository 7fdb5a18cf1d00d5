"""The reconciliation benchmark's data: a day of captured payments at the sandbox and
the same payments in our database, and one measured reconciliation of that day.

Run as a process of its own with the benchmark's environment (`python -m
bench.reconciliation_data seed GATEWAY DAY N` or `… measure GATEWAY DAY`), so that
Django is set up on the benchmark's database whatever the calling process set up
before, and so that the measuring process's memory is its own. Each command prints
its figures as one JSON object.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import requests

# The sandbox's seeding control takes at most this many payments a request.
SEED_CHUNK = 10_000
# Rows per INSERT.
INSERT_CHUNK = 5_000
CURRENCIES = {"cloudpayments": "RUB", "stripe": "USD"}
ACTOR = "system:bench"


def seed(gateway: str, day: dt.date, count: int) -> None:
    """`count` payers, each with one captured payment on `day`: at the sandbox
    through its seeding control, and ours as the payment services leave a captured
    one (SUCCEEDED, captured in full, the gateway's id as its reference)."""
    from django.db import connection

    from billing.models import Payer
    from payments.gateways.operations import day_bounds
    from payments.models import Payment, PaymentKind, PaymentStatus

    start, _ = day_bounds(day)
    # Spread over the day, to the second (CloudPayments lists to the second).
    created = [start + dt.timedelta(seconds=n * 86_400 // count) for n in range(count)]
    payer_ids = [uuid.uuid4() for _ in range(count)]
    payment_ids = [uuid.uuid4() for _ in range(count)]
    amounts = [1_000 + n % 99_000 for n in range(count)]
    currency = CURRENCIES[gateway]
    references = _seed_at_sandbox(
        gateway,
        [
            {
                "reference": f"payment:{payment_id}",
                # CloudPayments keys a payer by AccountId, our payer's id; a Stripe
                # payer without a Customer has none.
                "account": str(payer_id) if gateway == "cloudpayments" else None,
                "amount_minor": amount,
                "currency": currency,
                "created": moment.replace(tzinfo=None).isoformat(),
            }
            for payment_id, payer_id, amount, moment in zip(
                payment_ids, payer_ids, amounts, created, strict=True
            )
        ],
    )
    Payer.objects.bulk_create(
        [Payer(id=payer_id) for payer_id in payer_ids], batch_size=INSERT_CHUNK
    )
    Payment.objects.bulk_create(
        (
            Payment(
                id=payment_id,
                gateway=gateway,
                idempotency_key=f"payment:{payment_id}",
                gateway_reference=reference,
                payer_id=payer_id,
                kind=PaymentKind.ONE_OFF,
                status=PaymentStatus.SUCCEEDED,
                amount_minor=amount,
                currency=currency,
                captured_minor=amount,
                pays=f"invoice:{uuid.uuid4()}",
                created_at=moment,
                updated_at=moment,
                succeeded_at=moment,
            )
            for payment_id, payer_id, reference, amount, moment in zip(
                payment_ids, payer_ids, references, amounts, created, strict=True
            )
        ),
        batch_size=INSERT_CHUNK,
    )
    with connection.cursor() as cursor:
        # Planner statistics as a long-running database has them, and the seeding's
        # dirty pages written out before the measured run starts.
        cursor.execute("VACUUM ANALYZE")
        cursor.execute("CHECKPOINT")
    # The sandbox's first list of a collection after a bulk insert brings its
    # creation index up to date: once, not in the measured run.
    next(iter(_adapter(gateway).day_operations(day=day)), None)


def _seed_at_sandbox(gateway: str, payments: list[dict[str, Any]]) -> list[str]:
    sandbox = os.environ["SANDBOX_URL"]
    ids: list[str] = []
    with requests.Session() as session:
        for begin in range(0, len(payments), SEED_CHUNK):
            response = session.post(
                f"{sandbox}/__sandbox/seed-payments",
                json={
                    "gateway": gateway,
                    "payments": payments[begin : begin + SEED_CHUNK],
                },
                timeout=300,
            )
            response.raise_for_status()
            ids += [str(i) for i in response.json()["ids"]]
    return ids


def _adapter(gateway: str) -> Any:
    from payments.gateways import get_gateway

    return get_gateway(gateway)


def measure(gateway: str, day: dt.date) -> dict[str, Any]:
    """The gateway's reads of `day` alone, then `reconcile` of the day end to end,
    with the process's memory, CPU and SQL statements during the latter."""
    from django.db import connection

    from payments.models import Discrepancy, ReconciliationStatus
    from payments.services import reconcile

    adapter = _adapter(gateway)
    started, cpu = time.perf_counter(), time.process_time()
    read = pages = 0
    for page in adapter.day_operations(day=day):
        pages += 1
        read += len(page.payments) + len(page.refunds)
    reads = {
        "seconds": time.perf_counter() - started,
        "cpu_seconds": time.process_time() - cpu,
        "operations": read,
        "pages": pages,
    }
    statements = _StatementCounter()
    _reset_peak_rss()
    rss_before = _status_mib("VmRSS")
    with connection.execute_wrapper(statements):
        started, cpu = time.perf_counter(), time.process_time()
        run = reconcile(
            gateway=gateway, day=day, actor=ACTOR, now=dt.datetime.now(dt.UTC)
        )
        seconds = time.perf_counter() - started
        cpu_seconds = time.process_time() - cpu
    return {
        "gateway": gateway,
        "day": day.isoformat(),
        "status": run.status,
        "completed": run.status == ReconciliationStatus.COMPLETED,
        "operations": run.operations,
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "statements": statements.count,
        "found": run.report.get("found", {}),
        "discrepancies": Discrepancy.objects.filter(gateway=gateway, day=day).count(),
        "rss_before_mib": rss_before,
        "peak_rss_mib": _status_mib("VmHWM"),
        "reads": reads,
    }


class _StatementCounter:
    def __init__(self) -> None:
        self.count = 0

    def __call__(
        self, execute: Any, sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        self.count += 1
        return execute(sql, params, many, context)


def _reset_peak_rss() -> None:
    """Start the high-water mark of resident memory afresh (Linux `clear_refs` 5)."""
    Path("/proc/self/clear_refs").write_text("5")


def _status_mib(name: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{name}:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    import django

    django.setup()
    command, gateway, day = sys.argv[1], sys.argv[2], dt.date.fromisoformat(sys.argv[3])
    if command == "seed":
        started = time.perf_counter()
        seed(gateway, day, int(sys.argv[4]))
        print(json.dumps({"seconds": time.perf_counter() - started}))
    elif command == "measure":
        print(json.dumps(measure(gateway, day)))
    else:
        raise SystemExit(f"unknown command {command!r}")


if __name__ == "__main__":
    main()
