"""The outbox block: a transaction's events and audit rows, written at its end."""

from __future__ import annotations

import datetime as dt
import threading
import uuid

import pytest
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext

from billing import outbox
from billing.events import record_event
from billing.models import BillingEvent, StatusChange
from billing.services import ensure_payer, record_status_change
from tests.polling import wait_until

NOW = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)


def _event(n: int) -> BillingEvent:
    return record_event(type="test.happened", occurred_at=NOW, payload={"n": n})


def _change(n: int) -> StatusChange:
    return record_status_change(
        object_type="test",
        object_id=str(n),
        from_status="A",
        to_status="B",
        actor="system:test",
        reason="",
        at=NOW,
    )


@pytest.mark.django_db
class TestOutboxAtomic:
    def test_writes_the_rows_in_one_insert_each_at_the_end(self) -> None:
        with CaptureQueriesContext(connection) as queries, outbox.atomic():
            for n in range(3):
                _event(n)
                _change(n)
            assert BillingEvent.objects.count() == 0

        inserts = [q["sql"] for q in queries.captured_queries if "INSERT" in q["sql"]]
        assert len(inserts) == 2
        assert "billing_statuschange" in inserts[0]
        assert "billing_billingevent" in inserts[1]
        assert [e.payload["n"] for e in BillingEvent.objects.order_by("cursor")] == [
            0,
            1,
            2,
        ]
        assert StatusChange.objects.count() == 3

    def test_a_failed_block_writes_nothing(self) -> None:
        with pytest.raises(RuntimeError), outbox.atomic():
            _event(1)
            raise RuntimeError("the change failed")

        assert BillingEvent.objects.count() == 0

    def test_a_nested_block_joins_the_outer_one(self) -> None:
        with outbox.atomic():
            _event(1)
            with outbox.atomic(savepoint=False):
                _event(2)
            assert BillingEvent.objects.count() == 0

        assert BillingEvent.objects.count() == 2

    def test_a_nested_block_that_fails_takes_only_its_own_rows(self) -> None:
        with outbox.atomic():
            _event(1)
            with pytest.raises(RuntimeError), outbox.atomic():
                _event(2)
                raise RuntimeError("inner change failed")

        assert [e.payload["n"] for e in BillingEvent.objects.all()] == [1]

    def test_an_event_in_a_plain_atomic_block_inside_is_written_at_once(self) -> None:
        """That block may roll back to its savepoint without the outer block."""
        with outbox.atomic():
            with pytest.raises(RuntimeError), transaction.atomic():
                _event(1)
                assert BillingEvent.objects.count() == 1
                raise RuntimeError("rolled back to its savepoint")
            _event(2)

        assert [e.payload["n"] for e in BillingEvent.objects.all()] == [2]

    def test_an_event_for_a_payer_keeps_the_payer(self) -> None:
        payer = ensure_payer(payer_id=uuid.uuid4())

        with outbox.atomic():
            record_event(
                type="test.happened", occurred_at=NOW, payload={}, payer_id=payer.id
            )

        assert BillingEvent.objects.get().payer_id == payer.id


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
class TestEventOrder:
    def test_a_later_writer_waits_for_the_earlier_commit(self) -> None:
        """The trigger's lock: cursors commit in the order they were taken."""
        inserted = threading.Event()
        order: list[str] = []

        def slow_writer() -> None:
            try:
                with transaction.atomic():
                    record_event(type="test.first", occurred_at=NOW, payload={})
                    inserted.set()
                    wait_until(
                        _a_transaction_waits_for_a_lock,
                        timeout=10,
                        message="the second writer never waited for the first",
                    )
                    order.append("first committed")
            finally:
                connections.close_all()

        writer = threading.Thread(target=slow_writer)
        writer.start()
        assert inserted.wait(timeout=10)
        with transaction.atomic():
            record_event(type="test.second", occurred_at=NOW, payload={})
            order.append("second inserted")
        writer.join(timeout=10)

        assert order == ["first committed", "second inserted"]
        types = list(
            BillingEvent.objects.order_by("cursor").values_list("type", flat=True)
        )
        assert types == ["test.first", "test.second"]


def _a_transaction_waits_for_a_lock() -> bool:
    # pg_locks is read live (pg_stat_activity would be a snapshot per transaction).
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
        (waiting,) = cursor.fetchone()
    return bool(waiting)
