"""Reconciliation against the in-memory gateway: each kind of difference, found once.

The fake gateway's records are edited the way a gateway's own records change
behind our back; the journeys in tests/journeys/ make the same happen in the
sandbox, through the real adapters.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest

from billing.models import BillingEvent, StatusChange
from billing.money import Money
from payments.gateways import fake_operations
from payments.gateways.base import (
    OutcomeUnknown,
    PaymentSnapshot,
    PaymentState,
    Unavailable,
)
from payments.gateways.fake import FakeGateway
from payments.gateways.operations import RefundSnapshot
from payments.models import (
    Discrepancy,
    DiscrepancyKind,
    Payment,
    PaymentStatus,
    ReconciliationRun,
    ReconciliationSighting,
    ReconciliationStatus,
)
from payments.services import (
    DiscrepancyAlreadyResolved,
    ReconciliationInProgress,
    ResolutionNoteRequired,
    reconcile,
    resolve_discrepancy,
)
from tests.payments.factories import (
    AMOUNT,
    NOW,
    ReconciliationRunFactory,
    RefundFactory,
    pay_by_card,
)

pytestmark = pytest.mark.django_db

DAY = NOW.date()
LATER = NOW + dt.timedelta(days=1)


@pytest.fixture
def gateway(fake_gateway: FakeGateway) -> Iterator[FakeGateway]:
    """The fake gateway, its records dated on the day the payments are made."""
    fake_gateway.now = lambda: NOW
    yield fake_gateway


def _reconcile(now: dt.datetime = LATER) -> ReconciliationRun:
    return reconcile(gateway="fake", day=DAY, actor="system:test", now=now)


def _change(gateway: FakeGateway, payment: Payment, **changes: Any) -> None:
    reference = payment.gateway_reference or ""
    gateway.payments[reference] = dataclasses.replace(
        gateway.payments[reference], **changes
    )


def _kinds() -> list[str]:
    return sorted(Discrepancy.objects.values_list("kind", flat=True))


class TestAgreeingDay:
    def test_finds_nothing_and_reports_the_gateways_money(
        self, gateway: FakeGateway
    ) -> None:
        payments = [pay_by_card() for _ in range(3)]
        RefundFactory.create(payment=payments[0], amount=Money(900, "RUB"))

        run = _reconcile()

        assert run.status == ReconciliationStatus.COMPLETED
        assert run.operations == 4
        assert _kinds() == []
        assert run.report["found"] == {}
        assert run.report["gateway"]["captured"] == {"RUB": 3 * AMOUNT.amount_minor}
        assert run.report["gateway"]["refunded"] == {"RUB": 900}
        # The pass's sightings are gone with it.
        assert not ReconciliationSighting.objects.exists()

    def test_another_days_payments_are_not_read_as_missing(
        self, gateway: FakeGateway
    ) -> None:
        pay_by_card()
        run = reconcile(
            gateway="fake", day=DAY - dt.timedelta(days=1), actor="t", now=LATER
        )
        assert (run.operations, _kinds()) == (0, [])


class TestEachKind:
    def test_a_capture_we_never_heard_of_is_missing_here(
        self, gateway: FakeGateway
    ) -> None:
        gateway.payments["fake_stray"] = PaymentSnapshot(
            gateway_reference="fake_stray",
            reference=None,
            state=PaymentState.SUCCEEDED,
            amount=Money(5_000, "RUB"),
            captured=Money(5_000, "RUB"),
            refunded=Money.zero("RUB"),
            created_at=NOW,
        )

        run = _reconcile()

        found = Discrepancy.objects.get()
        assert (found.kind, found.subject) == (
            DiscrepancyKind.MISSING_HERE,
            "transaction:fake_stray",
        )
        assert (found.amount, found.payment) == (Money(5_000, "RUB"), None)
        assert found.theirs["captured"] == "50.00 RUB"
        assert run.report["found"] == {"MISSING_HERE": 1}
        assert run.report["amounts"] == {"MISSING_HERE": {"RUB": 5_000}}
        event = BillingEvent.objects.get(type="reconciliation.discrepancy")
        assert event.payload["subject"] == "transaction:fake_stray"

    def test_a_payment_the_gateway_lost_is_missing_at_the_gateway(
        self, gateway: FakeGateway
    ) -> None:
        payment = pay_by_card()
        del gateway.payments[payment.gateway_reference or ""]

        _reconcile()

        found = Discrepancy.objects.get()
        assert (found.kind, found.payment) == (
            DiscrepancyKind.MISSING_AT_GATEWAY,
            payment,
        )
        assert found.amount == AMOUNT
        # Asked about by itself before it was called missing.
        assert gateway.calls_to("find_payment")[-1] == {
            "reference": f"payment:{payment.id}"
        }

    def test_a_payment_listed_on_another_day_is_not_missing(
        self, gateway: FakeGateway
    ) -> None:
        payment = pay_by_card()
        _change(gateway, payment, created_at=NOW + dt.timedelta(days=1))
        _reconcile()
        assert _kinds() == []

    def test_a_status_the_gateway_tells_otherwise(self, gateway: FakeGateway) -> None:
        payment = pay_by_card()
        _change(gateway, payment, state=PaymentState.CANCELED)

        _reconcile()

        found = Discrepancy.objects.get()
        assert (found.kind, found.payment) == (DiscrepancyKind.STATUS_MISMATCH, payment)
        assert found.reason == "the gateway says canceled, we say succeeded"
        assert found.ours["status"] == PaymentStatus.SUCCEEDED

    def test_an_amount_the_gateway_tells_otherwise(self, gateway: FakeGateway) -> None:
        payment = pay_by_card()
        _change(gateway, payment, captured=Money(90_000, "RUB"))

        _reconcile()

        found = Discrepancy.objects.get()
        assert found.kind == DiscrepancyKind.AMOUNT_MISMATCH
        assert found.amount == Money(9_900, "RUB")

    def test_a_currency_the_gateway_tells_otherwise(self, gateway: FakeGateway) -> None:
        payment = pay_by_card()
        _change(gateway, payment, captured=Money(99_900, "USD"))
        _reconcile()
        assert _kinds() == [DiscrepancyKind.AMOUNT_MISMATCH]

    def test_a_refund_made_in_the_gateways_dashboard(
        self, gateway: FakeGateway
    ) -> None:
        payment = pay_by_card()
        gateway.refunds.append(
            RefundSnapshot(
                "fake_dashboard_refund",
                payment.gateway_reference or "",
                Money(1_000, "RUB"),
                succeeded=True,
                created_at=NOW,
            )
        )

        _reconcile()

        found = Discrepancy.objects.get()
        assert (found.kind, found.payment, found.refund) == (
            DiscrepancyKind.REFUND_MISMATCH,
            payment,
            None,
        )
        assert found.subject == "refund-transaction:fake_dashboard_refund"

    def test_a_refund_of_ours_the_gateway_has_not(self, gateway: FakeGateway) -> None:
        refund = RefundFactory.create(payment=pay_by_card(), amount=Money(900, "RUB"))
        gateway.refunds.clear()

        _reconcile()

        found = Discrepancy.objects.get()
        assert (found.kind, found.refund) == (DiscrepancyKind.REFUND_MISMATCH, refund)

    def test_a_refund_of_another_amount(self, gateway: FakeGateway) -> None:
        RefundFactory.create(payment=pay_by_card(), amount=Money(900, "RUB"))
        gateway.refunds[0] = dataclasses.replace(
            gateway.refunds[0], amount=Money(1_900, "RUB")
        )
        _reconcile()
        found = Discrepancy.objects.get()
        assert (found.kind, found.amount) == (
            DiscrepancyKind.REFUND_MISMATCH,
            Money(1_000, "RUB"),
        )


class TestRunningAgain:
    def test_a_second_run_records_nothing_new(self, gateway: FakeGateway) -> None:
        payment = pay_by_card()
        _change(gateway, payment, state=PaymentState.CANCELED)
        first = _reconcile()
        events = BillingEvent.objects.filter(type="reconciliation.discrepancy")
        assert (first.report["new"], events.count()) == (1, 1)

        second = _reconcile(LATER + dt.timedelta(hours=1))

        assert second.id == first.id
        assert second.passes == 2
        assert second.report["found"] == {"STATUS_MISMATCH": 1}
        assert second.report["new"] == 0
        assert Discrepancy.objects.count() == 1
        assert events.count() == 1

    def test_a_resolved_discrepancy_stays_resolved(self, gateway: FakeGateway) -> None:
        payment = pay_by_card()
        _change(gateway, payment, state=PaymentState.CANCELED)
        _reconcile()
        resolve_discrepancy(
            Discrepancy.objects.get().id, note="Voided in error.", actor="a", now=LATER
        )
        _reconcile(LATER + dt.timedelta(hours=1))
        assert Discrepancy.objects.get().resolved_at is not None

    def test_a_run_the_gateway_stopped_resumes_after_its_last_page(
        self, gateway: FakeGateway, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(fake_operations, "PAGE_SIZE", 2)
        payments = [pay_by_card() for _ in range(5)]
        del gateway.payments[payments[4].gateway_reference or ""]
        gateway.script("day_operations", None, Unavailable("down"))

        stopped = _reconcile()

        assert stopped.status == ReconciliationStatus.FAILED
        assert (stopped.cursor, stopped.operations) == ("2", 2)
        assert "down" in stopped.error
        resumed = _reconcile(LATER + dt.timedelta(minutes=5))
        assert resumed.status == ReconciliationStatus.COMPLETED
        assert gateway.calls_to("day_operations")[-1]["cursor"] == "2"
        assert (resumed.operations, resumed.passes) == (4, 1)
        # Only the payment the gateway lost is missing: the first page's are
        # still known as seen.
        assert Discrepancy.objects.get().payment == payments[4]

    def test_a_run_under_way_is_not_run_twice(self, gateway: FakeGateway) -> None:
        ReconciliationRunFactory.create(
            day=DAY, status=ReconciliationStatus.RUNNING, heartbeat_at=LATER
        )
        with pytest.raises(ReconciliationInProgress):
            _reconcile(LATER + dt.timedelta(minutes=1))

    def test_a_run_whose_worker_died_is_taken_over(self, gateway: FakeGateway) -> None:
        ReconciliationRunFactory.create(
            day=DAY, status=ReconciliationStatus.RUNNING, heartbeat_at=NOW
        )
        assert _reconcile().status == ReconciliationStatus.COMPLETED


class TestSettlingUnknowns:
    def test_an_unknown_payment_is_settled_from_the_gateways_list(
        self, gateway: FakeGateway
    ) -> None:
        gateway.script("charge", OutcomeUnknown("reply lost"))
        payment = pay_by_card()
        assert payment.status == PaymentStatus.UNKNOWN

        run = _reconcile()

        payment.refresh_from_db()
        assert payment.status == PaymentStatus.SUCCEEDED
        assert run.settled == 1
        assert _kinds() == []

    def test_one_whose_record_does_not_match_is_held_and_found(
        self, gateway: FakeGateway
    ) -> None:
        gateway.script("charge", OutcomeUnknown("reply lost"))
        payment = pay_by_card()
        record = gateway.find_payment(reference=f"payment:{payment.id}")
        assert record is not None
        gateway.payments[record.gateway_reference] = dataclasses.replace(
            record, captured=Money(1_000, "RUB")
        )

        run = _reconcile()

        payment.refresh_from_db()
        assert (payment.status, run.settled) == (PaymentStatus.UNKNOWN, 0)
        found = Discrepancy.objects.get()
        assert (found.kind, found.payment) == (DiscrepancyKind.STATUS_MISMATCH, payment)
        assert found.ours["status"] == PaymentStatus.UNKNOWN
        assert run.report["to_settle"] == []

    def test_one_the_gateway_could_not_be_asked_about_waits_for_the_next_run(
        self, gateway: FakeGateway
    ) -> None:
        gateway.script("charge", OutcomeUnknown("reply lost"))
        payment = pay_by_card()
        gateway.script("find_payment", Unavailable("down"))

        stopped = _reconcile()

        assert stopped.status == ReconciliationStatus.FAILED
        assert stopped.report["to_settle"] == [str(payment.id)]
        resumed = _reconcile(LATER + dt.timedelta(minutes=5))
        payment.refresh_from_db()
        assert (resumed.status, resumed.settled) == (ReconciliationStatus.COMPLETED, 1)
        assert resumed.report["to_settle"] == []
        assert payment.status == PaymentStatus.SUCCEEDED

    def test_an_unknown_payment_the_gateway_never_made_is_left_to_the_janitor(
        self, gateway: FakeGateway
    ) -> None:
        gateway.script("charge", OutcomeUnknown("reply lost"))
        payment = pay_by_card()
        gateway.payments.clear()
        run = _reconcile()
        payment.refresh_from_db()
        assert (payment.status, run.settled, _kinds()) == (
            PaymentStatus.UNKNOWN,
            0,
            [],
        )


class TestResolving:
    def test_needs_a_note_and_is_audited(self, gateway: FakeGateway) -> None:
        payment = pay_by_card()
        del gateway.payments[payment.gateway_reference or ""]
        _reconcile()
        discrepancy = Discrepancy.objects.get()
        with pytest.raises(ResolutionNoteRequired):
            resolve_discrepancy(discrepancy.id, note="  ", actor="acc", now=LATER)

        resolve_discrepancy(
            discrepancy.id, note="Refunded by hand.", actor="user:acc", now=LATER
        )

        discrepancy.refresh_from_db()
        assert (discrepancy.resolved_by, discrepancy.resolution_note) == (
            "user:acc",
            "Refunded by hand.",
        )
        change = StatusChange.objects.get(object_type="discrepancy")
        assert (change.to_status, change.reason) == ("RESOLVED", "Refunded by hand.")
        with pytest.raises(DiscrepancyAlreadyResolved):
            resolve_discrepancy(discrepancy.id, note="again", actor="a", now=LATER)
