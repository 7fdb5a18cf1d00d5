"""Every task lands on its app's queue."""

from __future__ import annotations

import pytest

from config.celery import app


@pytest.mark.parametrize(
    ("task", "queue"),
    [
        ("payments.process_gateway_event", "webhooks"),
        ("payments.drain_gateway_events", "webhooks"),
        ("payments.retry_gateway_events", "webhooks"),
        ("payments.settle_unknown_payments", "payments"),
        ("payments.expire_stale_payments", "payments"),
        ("billing.heartbeat", "billing"),
        ("payments.send_payment_receipt", "billing"),
        ("payments.send_card_expired_notice", "billing"),
        ("subscriptions.send_dunning_reminder", "billing"),
        ("subscriptions.run_renewals", "renewals"),
        ("billing.echo", "default"),
    ],
)
def test_routes(task: str, queue: str) -> None:
    app.loader.import_default_modules()  # autodiscovery of each app's tasks.py
    assert task in app.tasks
    route = app.amqp.router.route({}, task)

    assert route["queue"].name == queue
