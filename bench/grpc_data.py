"""The gRPC benchmarks' data, written on the benchmark's database.

Run as a process of its own with the benchmark's environment (`python -m
bench.grpc_data seed-subscriptions N`, `seed-events N`, `write-events RATE
COUNT`), so that Django is set up on that database whatever the calling process
set up before. Each command prints its answer as JSON.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
import uuid
from typing import Any

ACTOR = "system:bench"
CHUNK = 5_000
EVENT_TYPE = "invoice.paid"


def seed_subscriptions(count: int) -> list[list[str]]:
    """`count` payers with an ACTIVE monthly subscription each: [[id, payer], …]."""
    from billing.models import Payer
    from billing.money import Money
    from subscriptions.models import Subscription, SubscriptionStatus
    from subscriptions.periods import add_intervals
    from subscriptions.services import create_plan

    now = dt.datetime.now(dt.UTC)
    plan = create_plan(
        code="bench-grpc",
        name="Monthly",
        price=Money(49_900, "RUB"),
        interval="month",
        gateway="cloudpayments",
        now=now - dt.timedelta(days=2),
        actor=ACTOR,
    )
    price = plan.current_price
    assert price is not None
    payers = Payer.objects.bulk_create(
        [Payer(id=uuid.uuid4()) for _ in range(count)], batch_size=CHUNK
    )
    started_at = now - dt.timedelta(days=1)
    subscriptions = Subscription.objects.bulk_create(
        [
            Subscription(
                payer=payer,
                plan=plan,
                price=price,
                gateway="cloudpayments",
                status=SubscriptionStatus.ACTIVE,
                billing_anchor_at=started_at,
                current_period_starts_at=started_at,
                current_period_ends_at=add_intervals(started_at, plan.cycle, 1),
                created_at=started_at,
                updated_at=started_at,
                activated_at=started_at,
            )
            for payer in payers
        ],
        batch_size=CHUNK,
    )
    _analyze()
    return [[str(s.id), str(s.payer_id)] for s in subscriptions]


def seed_events(count: int) -> int:
    """`count` events in the outbox, as committed history; the last cursor."""
    from django.db import transaction

    from billing.models import BillingEvent

    now = dt.datetime.now(dt.UTC)
    for start in range(0, count, CHUNK):
        with transaction.atomic():
            BillingEvent.objects.bulk_create(
                BillingEvent(
                    type=EVENT_TYPE,
                    occurred_at=now,
                    payload={"invoice": n, "amount_minor": 49_900, "currency": "RUB"},
                )
                for n in range(start, min(start + CHUNK, count))
            )
    _analyze()
    return int(BillingEvent.objects.order_by("-cursor").values_list("cursor")[0][0])


def write_events(rate: float, count: int) -> int:
    """`count` events at `rate` a second, each in a transaction of its own as
    billing writes them, stamped with the wall-clock time just before the commit."""
    from django.db import transaction

    from billing.events import record_event

    interval = 1 / rate
    started = time.monotonic()
    written = 0
    while written < count:
        with transaction.atomic():
            record_event(
                type=EVENT_TYPE,
                occurred_at=dt.datetime.now(dt.UTC),
                payload={"sent_ns": time.time_ns()},
            )
        written += 1
        time.sleep(max(0.0, started + written * interval - time.monotonic()))
    return written


def _analyze() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def main() -> None:
    import django

    django.setup()
    command, *args = sys.argv[1:]
    answer: Any
    if command == "seed-subscriptions":
        answer = seed_subscriptions(int(args[0]))
    elif command == "seed-events":
        answer = seed_events(int(args[0]))
    elif command == "write-events":
        answer = write_events(float(args[0]), int(args[1]))
    else:
        raise SystemExit(f"unknown command {command}")
    print(json.dumps(answer))


if __name__ == "__main__":
    main()
