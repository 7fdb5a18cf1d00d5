"""`consume_billing_events` applies each event under a request id of its own."""

from __future__ import annotations

import datetime as dt
import os
import tempfile
import uuid
from typing import IO, Any

import pytest

from billing import outbox
from billing.events import record_event
from billing.models import BillingEvent
from tests.config.celery_worker import database_url
from tests.config.service_processes import json_lines, running
from tests.journeys.shop import billing_for_the_shop, shop_token
from tests.polling import wait_until

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.database_independent,
]

IGNORED = "snacks.billing_event.ignored"


def _holds_of_unknown_orders(count: int) -> list[BillingEvent]:
    """Authorized holds of orders the shop does not have: it logs and skips them."""
    with outbox.atomic():
        return [
            record_event(
                type="payment.authorized",
                occurred_at=dt.datetime.now(tz=dt.UTC),
                payload={
                    "pays": f"order:{uuid.uuid4()}",
                    "payment_id": str(uuid.uuid4()),
                },
            )
            for _ in range(count)
        ]


def _logged(output: IO[bytes], message: str) -> list[dict[str, Any]]:
    return [line for line in json_lines(output) if line["message"] == message]


def test_each_event_is_applied_under_its_own_request_id() -> None:
    events = _holds_of_unknown_orders(2)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.config.process_settings",
        "DATABASE_URL": database_url(),
        "SHOP_BILLING_TOKEN": shop_token(),
        "LOG_FORMAT": "json",
    }

    with billing_for_the_shop() as billing, tempfile.TemporaryFile() as output:
        arguments = (
            *("manage.py", "consume_billing_events"),
            *("--target", f"127.0.0.1:{billing.port}", "--consumer", "request-ids"),
        )
        with running(arguments, env=env, output=output):
            wait_until(
                lambda: len(_logged(output, IGNORED)) == 2,
                timeout=120,
                interval=0.2,
                message="the consumer did not apply both events",
            )
        ignored = _logged(output, IGNORED)

    assert [line["request_id"] for line in ignored] == [
        f"event-{event.id}" for event in events
    ]
