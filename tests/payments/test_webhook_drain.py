"""The debounced drain: one task per burst of webhooks, every event processed once."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from pytest_django import DjangoCaptureOnCommitCallbacks
from pytest_django.fixtures import Settings

from billing.models import StatusChange
from billing.money import Money
from payments import receivers
from payments.gateways.base import PaymentSnapshot, PaymentState
from payments.models import (
    GatewayEventRecord,
    GatewayEventStatus,
    Payment,
    PaymentStatus,
)
from payments.services import DrainScheduler, drain_gateway_events
from payments.services._webhook_handlers import HANDLERS
from tests.payments.webhook_messages import (
    FORM,
    NOW,
    cloudpayments_body,
    cloudpayments_fields,
    cloudpayments_headers,
    gateways_for_webhook_tests,
    new_payment,
)


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class TestDrainScheduler:
    def test_publishes_once_while_a_drain_is_pending_and_again_once_it_is_due(
        self,
    ) -> None:
        clock, published = FakeClock(), list[float]()
        drains = DrainScheduler(published.append, delay=lambda: 0.1, clock=clock)

        first = drains.request()
        clock.now += 0.05
        second = drains.request()
        clock.now += 0.05
        third = drains.request()

        assert (first, second, third) == (True, False, True)
        assert published == [0.1, 0.1]

    def test_a_drain_due_within_the_clock_margin_counts_as_started(self) -> None:
        clock, published = FakeClock(), list[float]()
        drains = DrainScheduler(
            published.append, delay=lambda: 0.1, margin=0.02, clock=clock
        )
        drains.request()
        clock.now += 0.085

        assert drains.request() is True

    def test_a_failed_publish_lets_the_next_event_publish(self) -> None:
        clock, calls = FakeClock(), list[float]()

        def publish(countdown: float) -> None:
            calls.append(countdown)
            if len(calls) == 1:
                raise ConnectionError("the broker is down")

        drains = DrainScheduler(publish, delay=lambda: 0.1, clock=clock)
        with pytest.raises(ConnectionError):
            drains.request()

        assert drains.request() is True
        assert len(calls) == 2

    def test_without_a_delay_every_event_publishes(self) -> None:
        published: list[float] = []
        drains = DrainScheduler(published.append, delay=lambda: 0.0)

        assert [drains.request() for _ in range(3)] == [True, True, True]


@pytest.fixture
def gateway_records(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> Iterator[dict[str, PaymentSnapshot]]:
    yield from gateways_for_webhook_tests(settings, monkeypatch)


def _post_pay(client: Client, payment: Payment, transaction_id: str) -> None:
    body = cloudpayments_body(
        cloudpayments_fields(payment, "pay", transaction_id=transaction_id)
    )
    response = client.post(
        "/webhooks/cloudpayments/pay/",
        data=body,
        content_type=FORM,
        headers=cloudpayments_headers(body),
    )
    assert response.json() == {"code": 0}


@pytest.mark.django_db
def test_an_event_stored_while_a_drain_is_pending_is_processed_by_it(
    client: Client,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
    gateway_records: dict[str, PaymentSnapshot],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    published: list[float] = []
    clock = FakeClock()
    monkeypatch.setattr(
        receivers,
        "_drains",
        DrainScheduler(published.append, delay=lambda: 0.1, clock=clock),
    )
    payments = [new_payment(), new_payment()]

    with django_capture_on_commit_callbacks(execute=True):
        _post_pay(client, payments[0], "2001")
    clock.now += 0.05
    with django_capture_on_commit_callbacks(execute=True):
        _post_pay(client, payments[1], "2002")

    assert published == [0.1]
    assert set(GatewayEventRecord.objects.values_list("status", flat=True)) == {
        GatewayEventStatus.RECEIVED
    }
    # The one drain published starts after both rows committed.
    assert drain_gateway_events(clock=lambda: NOW) == 2
    assert set(GatewayEventRecord.objects.values_list("status", flat=True)) == {
        GatewayEventStatus.PROCESSED
    }
    assert {p.status for p in Payment.objects.all()} == {PaymentStatus.SUCCEEDED}


@pytest.mark.django_db
def test_a_drain_leaves_events_claimed_by_another_drain(
    client: Client,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
    gateway_records: dict[str, PaymentSnapshot],
) -> None:
    with django_capture_on_commit_callbacks(execute=False):
        _post_pay(client, new_payment(), "2101")
        _post_pay(client, new_payment(), "2102")
    GatewayEventRecord.objects.filter(external_id="2101").update(claimed_at=NOW)

    assert drain_gateway_events(clock=lambda: NOW) == 1

    statuses = dict(GatewayEventRecord.objects.values_list("external_id", "status"))
    assert statuses == {
        "2101": GatewayEventStatus.RECEIVED,
        "2102": GatewayEventStatus.PROCESSED,
    }


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_drains_in_parallel_never_process_an_event_twice(
    client: Client,
    gateway_records: dict[str, PaymentSnapshot],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Outside a transaction the view's INSERT commits at once and so would its
    # (eager) drain: publish nowhere instead.
    published: list[float] = []
    monkeypatch.setattr(
        receivers, "_drains", DrainScheduler(published.append, delay=lambda: 0)
    )
    count = 120
    for index in range(count):
        _post_pay(client, new_payment(), str(3000 + index))
    assert len(published) == count
    processed: list[int] = []
    start = threading.Barrier(2)

    def drain() -> None:
        try:
            start.wait()
            processed.append(drain_gateway_events(clock=lambda: NOW, batch=10))
        finally:
            connection.close()

    threads = [threading.Thread(target=drain) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # Both took part, and their claims were disjoint: each event was taken once.
    assert min(processed) > 0
    assert sum(processed) == count
    records = GatewayEventRecord.objects.all()
    assert {(r.status, r.attempts) for r in records} == {
        (GatewayEventStatus.PROCESSED, 1)
    }
    assert (
        StatusChange.objects.filter(to_status=PaymentStatus.SUCCEEDED).count() == count
    )


@pytest.mark.django_db
class TestBatch:
    """A drain applies each claimed batch in one transaction."""

    def test_costs_a_few_statements_per_event(
        self,
        client: Client,
        django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
        gateway_records: dict[str, PaymentSnapshot],
    ) -> None:
        """The payment's UPDATE and its ledger INSERT each; the rest per batch."""
        count = 20
        with django_capture_on_commit_callbacks(execute=False):
            for index in range(count):
                _post_pay(client, new_payment(), str(4000 + index))

        with CaptureQueriesContext(connection) as queries:
            assert drain_gateway_events(clock=lambda: NOW) == count

        # Per batch: the claims, the records' and payments' look-ups and locks, the
        # outbox's two INSERTs, the records' UPDATEs (sent as one) and the
        # transaction's own statements.
        assert len(queries) <= 2 * count + 16
        assert (
            StatusChange.objects.filter(to_status=PaymentStatus.SUCCEEDED).count()
            == count
        )

    def test_an_event_that_fails_leaves_the_rest_of_its_batch_applied(
        self,
        client: Client,
        django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
        gateway_records: dict[str, PaymentSnapshot],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """The batch is undone and applied event by event: only the culprit fails."""
        payments = [new_payment() for _ in range(3)]
        with django_capture_on_commit_callbacks(execute=False):
            for index, payment in enumerate(payments):
                _post_pay(client, payment, str(4100 + index))
        settle = HANDLERS["cloudpayments.pay"]

        def settle_but_the_second(payment: Payment, *args: Any) -> Any:
            if payment.id == payments[1].id:
                raise RuntimeError("the handler broke")
            return settle(payment, *args)

        monkeypatch.setitem(HANDLERS, "cloudpayments.pay", settle_but_the_second)

        assert drain_gateway_events(clock=lambda: NOW) == 3

        statuses = dict(GatewayEventRecord.objects.values_list("external_id", "status"))
        assert statuses == {
            "4100": GatewayEventStatus.PROCESSED,
            "4101": GatewayEventStatus.FAILED,
            "4102": GatewayEventStatus.PROCESSED,
        }
        failed = GatewayEventRecord.objects.get(external_id="4101")
        assert (failed.attempts, failed.error) == (1, "RuntimeError: the handler broke")
        assert [Payment.objects.get(id=p.id).status for p in payments] == [
            PaymentStatus.SUCCEEDED,
            PaymentStatus.PENDING,
            PaymentStatus.SUCCEEDED,
        ]
        assert (
            StatusChange.objects.filter(to_status=PaymentStatus.SUCCEEDED).count() == 2
        )

    def test_a_fail_and_a_pay_for_one_payment_in_one_batch_end_as_alone(
        self,
        client: Client,
        django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
        gateway_records: dict[str, PaymentSnapshot],
    ) -> None:
        """Both events meet the same locked payment, one after the other."""
        payment = new_payment()
        gateway_records[f"payment:{payment.id}"] = PaymentSnapshot(
            gateway_reference="1001",
            reference=f"payment:{payment.id}",
            state=PaymentState.SUCCEEDED,
            amount=payment.amount,
            captured=payment.amount,
            refunded=Money(0, payment.currency),
            created_at=NOW,
        )
        with django_capture_on_commit_callbacks(execute=False):
            for kind in ("fail", "pay"):
                body = cloudpayments_body(cloudpayments_fields(payment, kind))
                client.post(
                    f"/webhooks/cloudpayments/{kind}/",
                    data=body,
                    content_type=FORM,
                    headers=cloudpayments_headers(body),
                )

        assert drain_gateway_events(clock=lambda: NOW) == 2

        payment.refresh_from_db()
        assert payment.status == PaymentStatus.SUCCEEDED
        transitions = StatusChange.objects.filter(object_id=str(payment.id))
        assert list(transitions.values_list("from_status", "to_status")) == [
            (PaymentStatus.PENDING, PaymentStatus.SUCCEEDED)
        ]
        assert set(GatewayEventRecord.objects.values_list("status", flat=True)) == {
            GatewayEventStatus.PROCESSED,
            GatewayEventStatus.IGNORED,
        }
