"""The events outbox: written inside the change's transaction, ordered by cursor."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.db import transaction

from billing.events import EventOutsideTransaction, record_event
from billing.models import AppendOnlyError, BillingEvent, Payer, StatusChange
from billing.services import ensure_payer, record_status_change

pytestmark = pytest.mark.django_db(transaction=True)

NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)


class TestRecordEvent:
    def test_refuses_to_write_outside_a_transaction(self) -> None:
        with pytest.raises(EventOutsideTransaction):
            record_event(type="payment.succeeded", occurred_at=NOW, payload={})

        assert BillingEvent.objects.count() == 0

    def test_events_vanish_with_a_rolled_back_change(self) -> None:
        with pytest.raises(RuntimeError), transaction.atomic():
            record_event(type="payment.succeeded", occurred_at=NOW, payload={"a": 1})
            raise RuntimeError("the change failed")

        assert BillingEvent.objects.count() == 0

    def test_cursors_increase_in_commit_order(self) -> None:
        payer = ensure_payer(payer_id=uuid.uuid4())

        for index in range(3):
            with transaction.atomic():
                record_event(
                    type="payment.succeeded",
                    occurred_at=NOW,
                    payer=payer,
                    payload={"n": index},
                )

        events = list(BillingEvent.objects.order_by("cursor"))
        assert [event.payload["n"] for event in events] == [0, 1, 2]
        assert events[0].cursor < events[1].cursor < events[2].cursor
        assert all(event.payer_id == payer.id for event in events)


class TestEnsurePayer:
    def test_creates_once_and_returns_the_same_payer(self) -> None:
        payer_id = uuid.uuid4()

        first = ensure_payer(payer_id=payer_id)
        second = ensure_payer(payer_id=payer_id)

        assert first.id == second.id == payer_id
        assert Payer.objects.count() == 1


class TestStatusChange:
    def test_is_append_only(self) -> None:
        with transaction.atomic():
            change = record_status_change(
                object_type="payment",
                object_id="p1",
                from_status="PENDING",
                to_status="SUCCEEDED",
                actor="system:test",
                reason="",
                at=NOW,
            )

        change.reason = "rewritten"
        with pytest.raises(AppendOnlyError):
            change.save()
        with pytest.raises(AppendOnlyError):
            change.delete()
        assert StatusChange.objects.get().reason == ""
