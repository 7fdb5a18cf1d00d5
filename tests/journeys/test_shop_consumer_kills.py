"""`manage.py consume_billing_events` in a process of its own, killed with SIGKILL
mid-stream and started again: every order ends held, each event took effect once.

On PostgreSQL, which the consumer process and this test share; billing's gRPC
server runs in this process and holds the orders through the sandbox.
"""

from __future__ import annotations

import functools
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from grpc_api.server import GrpcServer
from snacks.models import (
    BillingEventCursor,
    HoldStatus,
    Order,
    OrderTask,
    OrderTaskKind,
)
from snacks.services import request_hold
from tests.journeys.shop import (
    CURRENCY,
    billing_for_the_shop,
    member_with_a_saved_card,
)
from tests.polling import wait_until
from tests.snacks.factories import OrderFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.sandbox,
    pytest.mark.postgres,
]

ORDERS = 40
FOLLOWING = "Following billing's events"
KILLS = 5


@pytest.fixture
def billing(sandbox_url: str) -> Iterator[GrpcServer]:
    with billing_for_the_shop() as server:
        yield server


def _consumer(billing: GrpcServer, log: Path) -> subprocess.Popen[bytes]:
    """The command as `make run` starts it, on this test's database."""
    database = connection.settings_dict
    return subprocess.Popen(
        [
            sys.executable,
            str(settings.BASE_DIR / "manage.py"),
            "consume_billing_events",
        ],
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": (
                f"postgres://{database['USER']}@{database['HOST']}:"
                f"{database['PORT']}/{database['NAME']}"
            ),
            "SHOP_BILLING_GRPC_TARGET": settings.SHOP_BILLING_GRPC_TARGET,
            "SHOP_BILLING_TOKEN": settings.SHOP_BILLING_TOKEN,
        },
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


def _held() -> int:
    return Order.objects.filter(hold_status=HoldStatus.AUTHORIZED).count()


def _more_held_than(count: int) -> bool:
    return _held() > count


def test_killed_and_restarted_misses_nothing_and_repeats_nothing(
    sandbox_url: str, billing: GrpcServer, tmp_path: Path
) -> None:
    rng = random.Random(7)
    member = member_with_a_saved_card(sandbox_url)
    orders = [
        OrderFactory.create(member=member, amount_minor=1_000 + n, currency=CURRENCY)
        for n in range(ORDERS)
    ]
    for order in orders:
        request_hold(order.id, now=timezone.now())
    log = tmp_path / "consumer.log"

    kills = 0
    while kills < KILLS and _held() < ORDERS:
        process = _consumer(billing, log)
        # Until it applied something (or a while), then without warning.
        wait_until(
            functools.partial(_more_held_than, _held()),
            timeout=60,
            message=f"the consumer applied nothing: {log.read_text()[-2000:]}",
        )
        time.sleep(rng.uniform(0.0, 0.05))
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        kills += 1
    started = log.read_text().count(FOLLOWING)
    process = _consumer(billing, log)
    try:
        # SIGTERM stops it cleanly once it follows the stream (its handler is set).
        wait_until(
            lambda: log.read_text().count(FOLLOWING) > started and _held() == ORDERS,
            timeout=60,
            message=f"orders left unheld: {log.read_text()[-2000:]}",
        )
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)

    confirmations = OrderTask.objects.filter(kind=OrderTaskKind.CONFIRMATION_EMAIL)
    # A consumer may finish the stream between two kills on a loaded machine;
    # what matters is that it was killed mid-stream, more than once.
    assert kills >= 2
    assert process.returncode == 0
    assert sorted(confirmations.values_list("order_id", flat=True)) == sorted(
        order.id for order in orders
    )
    assert BillingEventCursor.objects.get(consumer="shop").cursor > 0
    assert "Stopped after cursor" in log.read_text()
