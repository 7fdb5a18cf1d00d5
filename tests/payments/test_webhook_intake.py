"""Storing a verified webhook: one statement, and no health check of a kept connection.

The view's behaviour (signature, answers, error shape) is in `test_webhooks.py`;
this is what the store costs the database, and what happens when the connection
kept from an earlier request turns out to be broken.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from django.db import OperationalError, close_old_connections, connection, transaction
from pytest_django import DjangoAssertNumQueries
from pytest_django.fixtures import Settings

from payments import receivers
from payments.gateways.base import PaymentSnapshot
from payments.models import GatewayEventRecord
from payments.services import (
    DrainScheduler,
    ReceivedEvent,
    _webhook_intake_store,
    receive_gateway_event,
)
from tests.payments.webhook_messages import (
    NOW,
    cloudpayments_body,
    cloudpayments_fields,
    cloudpayments_headers,
    gateways_for_webhook_tests,
    new_payment,
)

Insert = Callable[[GatewayEventRecord], tuple[int, bool]]


@pytest.fixture(autouse=True)
def gateway_records(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> Iterator[dict[str, PaymentSnapshot]]:
    yield from gateways_for_webhook_tests(settings, monkeypatch)


@pytest.fixture
def published(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The drains that intake asks for, published nowhere."""
    drains: list[float] = []
    monkeypatch.setattr(
        receivers, "_drains", DrainScheduler(drains.append, delay=lambda: 0)
    )
    return drains


def _notification(transaction_id: str = "7001") -> dict[str, object]:
    """The arguments of `receive_gateway_event` for a signed Pay of a new payment."""
    body = cloudpayments_body(
        cloudpayments_fields(new_payment(), "pay", transaction_id=transaction_id)
    )
    return {
        "gateway": "cloudpayments",
        "kind": "pay",
        "body": body,
        "headers": cloudpayments_headers(body),
        "now": NOW,
    }


def _receive(notification: dict[str, object] | None = None) -> ReceivedEvent:
    return receive_gateway_event(**(notification or _notification()))  # type: ignore[arg-type]


def _failing_once(monkeypatch: pytest.MonkeyPatch, *, after_storing: bool) -> None:
    """Make the next store fail as a connection the server closed does."""
    original: Insert = _webhook_intake_store._insert_unless_stored
    calls = 0

    def insert(record: GatewayEventRecord) -> tuple[int, bool]:
        nonlocal calls
        calls += 1
        if calls == 1:
            if after_storing:
                original(record)
            raise OperationalError("server closed the connection unexpectedly")
        return original(record)

    monkeypatch.setattr(_webhook_intake_store, "_insert_unless_stored", insert)


@pytest.mark.django_db
class TestStatements:
    def test_a_new_event_and_its_duplicate_cost_one_statement_each(
        self, django_assert_num_queries: DjangoAssertNumQueries
    ) -> None:
        """On PostgreSQL the duplicate's id comes back from the same statement."""
        notification = _notification()
        duplicate_statements = 1 if connection.vendor == "postgresql" else 2

        with django_assert_num_queries(1):
            first = _receive(notification)
        with django_assert_num_queries(duplicate_statements):
            second = _receive(notification)

        assert (first.is_new, second.is_new) == (True, False)
        assert first.record_id == second.record_id
        assert GatewayEventRecord.objects.count() == 1


@pytest.mark.django_db(transaction=True)
class TestKeptConnection:
    def test_is_not_health_checked_before_the_store(
        self, monkeypatch: pytest.MonkeyPatch, published: list[float]
    ) -> None:
        """The `SELECT 1` that CONN_HEALTH_CHECKS sends first is spared."""
        notification = _notification()
        close_old_connections()  # what the start of the next request does
        checks: list[str] = []
        usable = connection.is_usable

        def is_usable() -> bool:
            checks.append("SELECT 1")
            return usable()

        monkeypatch.setattr(connection, "is_usable", is_usable)

        received = _receive(notification)

        assert checks == []
        assert received.is_new
        assert len(published) == 1

    def test_found_broken_is_replaced_and_the_event_stored_once(
        self, monkeypatch: pytest.MonkeyPatch, published: list[float]
    ) -> None:
        GatewayEventRecord.objects.exists()
        _failing_once(monkeypatch, after_storing=False)

        received = _receive()

        assert received.is_new
        assert GatewayEventRecord.objects.count() == 1
        assert len(published) == 1

    def test_that_broke_after_storing_still_asks_for_processing(
        self, monkeypatch: pytest.MonkeyPatch, published: list[float]
    ) -> None:
        """The resend finds the row stored by the lost first try: a drain is due."""
        GatewayEventRecord.objects.exists()
        _failing_once(monkeypatch, after_storing=True)

        received = _receive()

        assert not received.is_new
        assert GatewayEventRecord.objects.count() == 1
        assert len(published) == 1

    def test_is_not_resent_inside_a_transaction(
        self, monkeypatch: pytest.MonkeyPatch, published: list[float]
    ) -> None:
        """A transaction cannot go on on a new connection: the error is raised."""
        GatewayEventRecord.objects.exists()
        _failing_once(monkeypatch, after_storing=False)

        with pytest.raises(OperationalError), transaction.atomic():
            _receive()

        assert GatewayEventRecord.objects.count() == 0
        assert published == []
