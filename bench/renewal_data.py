"""The renewal benchmark's data: seeding due subscriptions, and checking the outcome.

Run as a process of its own with the benchmark's environment (`python -m
bench.renewal_data seed N` or `… verify`), so that Django is set up on the
benchmark's database whatever the calling process set up before (`make bench` runs
every benchmark in one process). `verify` prints its findings as one JSON object.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import time
import uuid
from collections import Counter
from typing import Any

import requests

from gateway_sandbox.credentials import SANDBOX_CREDENTIALS

# The sandbox runs only with its own credentials.
PUBLIC_ID = SANDBOX_CREDENTIALS["CLOUDPAYMENTS_PUBLIC_ID"]
API_SECRET = SANDBOX_CREDENTIALS["CLOUDPAYMENTS_API_SECRET"]
CARD = {"number": "4000000000003055", "exp": "1230", "cvv": "123"}
PLAN_CODE = "bench-renewals"
ACTOR = "system:bench"
# Seeding rows per INSERT, and accounts per token request to the sandbox.
CHUNK = 5_000
TOKEN_CHUNK = 10_000
# The first periods started 32 days ago, spread over this much time: every one has
# ended (a month has at most 31 days), each at a moment of its own.
SPREAD = dt.timedelta(hours=1)


def seed(count: int) -> None:
    """`count` payers, each with a saved card known to the sandbox and an ACTIVE
    monthly CloudPayments subscription whose first period has ended (due now)."""
    from django.db import connection

    from billing.models import Payer
    from billing.money import Money
    from payments.models import PaymentMethod
    from subscriptions.models import Subscription, SubscriptionStatus
    from subscriptions.periods import add_intervals
    from subscriptions.services import create_plan

    now = dt.datetime.now(dt.UTC)
    started_at = now - dt.timedelta(days=32)
    plan = create_plan(
        code=PLAN_CODE,
        name="Monthly",
        price=Money(49_900, "RUB"),
        interval="month",
        gateway="cloudpayments",
        now=started_at - dt.timedelta(days=1),
        actor=ACTOR,
    )
    price = plan.current_price
    assert price is not None
    payer_ids = [uuid.uuid4() for _ in range(count)]
    Payer.objects.bulk_create([Payer(id=p) for p in payer_ids], batch_size=CHUNK)
    tokens = _issue_tokens([str(p) for p in payer_ids])
    methods = [
        PaymentMethod(
            id=uuid.uuid4(),
            payer_id=payer_id,
            gateway="cloudpayments",
            token=tokens[str(payer_id)],
            token_digest=PaymentMethod.digest("cloudpayments", tokens[str(payer_id)]),
            brand="Visa",
            first6=CARD["number"][:6],
            last4=CARD["number"][-4:],
            exp_month=int(CARD["exp"][:2]),
            exp_year=2000 + int(CARD["exp"][2:]),
            is_default=True,
            created_at=started_at,
            updated_at=started_at,
        )
        for payer_id in payer_ids
    ]
    PaymentMethod.objects.bulk_create(methods, batch_size=CHUNK)
    subscriptions = []
    for n, method in enumerate(methods):
        anchor = started_at + SPREAD * n / count
        ends_at = add_intervals(anchor, plan.cycle, 1)
        subscriptions.append(
            Subscription(
                payer_id=method.payer_id,
                plan=plan,
                price=price,
                gateway="cloudpayments",
                payment_method=method,
                status=SubscriptionStatus.ACTIVE,
                billing_anchor_at=anchor,
                time_zone="UTC",
                current_period_starts_at=anchor,
                current_period_ends_at=ends_at,
                due_at=ends_at,
                created_at=anchor,
                updated_at=anchor,
                activated_at=anchor,
            )
        )
    Subscription.objects.bulk_create(subscriptions, batch_size=CHUNK)
    with connection.cursor() as cursor:
        # Planner statistics as a long-running database has them, and the seeding's
        # dirty pages written out before the measured run starts.
        cursor.execute("VACUUM ANALYZE")
        cursor.execute("CHECKPOINT")


def _issue_tokens(account_ids: list[str]) -> dict[str, str]:
    sandbox = os.environ["SANDBOX_URL"]
    with requests.Session() as session:
        response = session.post(
            f"{sandbox}/__sandbox/cp/cryptogram", json=CARD, timeout=10
        )
        response.raise_for_status()
        packet = response.json()["CardCryptogramPacket"]
        tokens: dict[str, str] = {}
        for start in range(0, len(account_ids), TOKEN_CHUNK):
            response = session.post(
                f"{sandbox}/__sandbox/cp/tokens",
                json={
                    "CardCryptogramPacket": packet,
                    "account_ids": account_ids[start : start + TOKEN_CHUNK],
                },
                timeout=60,
            )
            response.raise_for_status()
            tokens.update(response.json()["tokens"])
    return tokens


def verify() -> dict[str, Any]:
    """What the run left: the sandbox's captures and each subscription's state."""
    from billing.models import BillingReason, Invoice
    from payments.models import Payment
    from subscriptions.models import Subscription, SubscriptionStatus
    from subscriptions.periods import add_intervals

    sandbox = os.environ["SANDBOX_URL"]
    entries = requests.get(
        f"{sandbox}/__sandbox/ledger", params={"gateway": "cloudpayments"}, timeout=120
    ).json()["entries"]
    refused = requests.get(f"{sandbox}/__sandbox/stats", timeout=10).json()
    captures = [e for e in entries if e["kind"] == "capture"]
    pays = {
        str(pk): pays_reference
        for pk, pays_reference in Payment.objects.values_list("id", "pays")
    }
    renewals = {
        f"invoice:{pk}": (subscription_id, starts_at, ends_at, status)
        for pk, subscription_id, starts_at, ends_at, status in Invoice.objects.filter(
            billing_reason=BillingReason.SUBSCRIPTION_CYCLE
        ).values_list(
            "id", "subscription_id", "period_starts_at", "period_ends_at", "status"
        )
    }
    captured = Counter(
        renewals[pays[reference]][0]
        for e in captures
        if (reference := str(e["invoice_id"]).removeprefix("payment:")) in pays
        and pays[reference] in renewals
    )
    invoiced = Counter(subscription_id for subscription_id, *_ in renewals.values())
    periods = {sub: (starts, ends, st) for sub, starts, ends, st in renewals.values()}
    subscriptions = Subscription.objects.select_related("plan").iterator(
        chunk_size=CHUNK
    )
    total = advanced = 0
    for subscription in subscriptions:
        total += 1
        # Seeded in UTC: the first period ended one interval after the anchor.
        first_ended_at = add_intervals(
            subscription.billing_anchor_at, subscription.plan.cycle, 1
        )
        billed = periods.get(subscription.id)
        if (
            subscription.status == SubscriptionStatus.ACTIVE
            and subscription.claimed_by is None
            and invoiced[subscription.id] == 1
            and billed == (first_ended_at, subscription.current_period_ends_at, "PAID")
            and subscription.current_period_starts_at == first_ended_at
            and subscription.due_at == subscription.current_period_ends_at
        ):
            advanced += 1
    return {
        "subscriptions": total,
        "advanced_one_period": advanced,
        "sandbox_entries": dict(Counter(e["kind"] for e in entries)),
        "captures": len(captures),
        "captured_once": sum(1 for n in captured.values() if n == 1),
        "captured_more_than_once": sum(1 for n in captured.values() if n > 1),
        "captures_of_no_renewal": len(captures) - sum(captured.values()),
        "payments": dict(Counter(Payment.objects.values_list("status", flat=True))),
        "rate_limited": refused["rate_limited"]["cloudpayments"],
    }


def main() -> None:
    import django

    django.setup()
    command = sys.argv[1]
    if command == "seed":
        started = time.perf_counter()
        seed(int(sys.argv[2]))
        print(json.dumps({"seconds": time.perf_counter() - started}))
    elif command == "verify":
        print(json.dumps(verify()))
    else:
        raise SystemExit(f"unknown command {command!r}")


if __name__ == "__main__":
    main()
