"""The order statistics benchmark's data and measurements, in a process of its own.

`python -m bench.statistics_probe MEMBERS SNACKS PURCHASES CALLS` runs with the
benchmark's environment, so Django is set up on its database. It writes a year of
orders (four purchases each, statuses as a shop's would be spread) with COPY,
counts them into the daily totals as `rebuild_order_statistics` does, then
times the statistics by month over that year as the API serves them
(`GET /api/v1/shop/statistics/` through Django's test client, as a shop admin) and
the selector alone, and prints its figures as JSON.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import sys
import time
from typing import Any

from bench.ranking_probe import timings
from bench.shop_data import SEED, copy_members, copy_rows, copy_snacks, new_ids

PURCHASES_PER_ORDER = 4
YEAR = 2026
STATUSES = (
    ("COMPLETED", 55),
    ("SHIPPING", 5),
    ("ORDERED", 10),
    ("APPROVED", 5),
    ("CREATED", 10),
    ("CANCELED", 15),
)


def seed(members: int, snacks: int, purchases: int) -> dict[str, Any]:
    """Members, snacks, and orders of the year with their purchases."""
    from snacks.models import Order, Purchase
    from snacks.services import recount_order_statistics

    rng = random.Random(SEED)
    started = time.perf_counter()
    member_ids = copy_members(members, rng=rng)
    snack_ids = copy_snacks(snacks, rng=rng)
    orders = purchases // PURCHASES_PER_ORDER
    order_ids = new_ids(orders, rng)
    start = dt.datetime(YEAR, 1, 1, tzinfo=dt.UTC)
    placed = [
        start + dt.timedelta(seconds=rng.randrange(365 * 86_400)) for _ in order_ids
    ]
    names, weights = zip(*STATUSES, strict=True)
    statuses = rng.choices(names, weights, k=orders)
    chosen = [rng.sample(snack_ids, PURCHASES_PER_ORDER) for _ in order_ids]
    quantities = [
        [rng.randint(1, 5) for _ in range(PURCHASES_PER_ORDER)] for _ in order_ids
    ]
    arrival = dt.date(YEAR + 1, 1, 15)
    copy_rows(
        Order,
        [
            "id",
            "member",
            "status",
            "amount_minor",
            "currency",
            "expected_arrival",
            "hold_status",
            "hold_attempt",
            "created_at",
            "updated_at",
            "cancel_reason",
            "checkout_url",
            "hold_failure",
            "shipment_id",
            "tracking_number",
            "needs_attention",
            "invoice_pdf",
        ],
        (
            (
                order_ids[n],
                member_ids[n % members],
                statuses[n],
                100 * sum(quantities[n]),
                "EUR",
                arrival,
                "AUTHORIZED",
                1,
                placed[n],
                placed[n],
                "",
                "",
                "",
                "",
                "",
                "",
                "",
            )
            for n in range(orders)
        ),
    )
    copy_rows(
        Purchase,
        ["order", "snack", "quantity", "price_minor"],
        (
            (order_ids[n], chosen[n][k], quantities[n][k], 100)
            for n in range(orders)
            for k in range(PURCHASES_PER_ORDER)
        ),
    )
    loaded = time.perf_counter()
    # The rows were copied past the services: count them as the services would
    # have, with the command an upgrade or a time zone change runs.
    totals, sales = recount_order_statistics()
    _analyze()
    return {
        "admin": str(member_ids[0]),
        "orders": orders,
        "purchases": orders * PURCHASES_PER_ORDER,
        "seconds": loaded - started,
        "recount_seconds": time.perf_counter() - loaded,
        "daily_totals": totals,
        "daily_sales": sales,
    }


def _analyze() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def measure(admin_id: str, calls: int) -> dict[str, Any]:
    from django.test import Client
    from rest_framework_simplejwt.tokens import RefreshToken

    from accounts.models import ShopRole, User
    from snacks.selectors import Grain, order_statistics

    User.objects.filter(id=admin_id).update(role=ShopRole.ADMIN)
    # Signed here, with the service's own key, as `accounts` signs at sign-in.
    token = RefreshToken.for_user(User.objects.get(id=admin_id)).access_token
    client = Client()
    headers = {"Authorization": f"Bearer {token}"}
    query = {"grain": "month", "from": f"{YEAR}-01-01", "to": f"{YEAR}-12-31"}

    def api() -> object:
        response = client.get("/api/v1/shop/statistics/", query, headers=headers)
        assert response.status_code == 200, response.content[:300]
        return response

    def selector() -> object:
        return order_statistics(
            grain=Grain.MONTH, starts=dt.date(YEAR, 1, 1), ends=dt.date(YEAR, 12, 31)
        )

    return {"api": timings(api, calls), "selector": timings(selector, calls)}


def main() -> None:
    import django

    django.setup()
    members, snacks, purchases, calls = map(int, sys.argv[1:5])
    seeded = seed(members, snacks, purchases)
    figures = measure(seeded["admin"], calls)
    print(json.dumps({"seeded": seeded, **figures}))


if __name__ == "__main__":
    main()
