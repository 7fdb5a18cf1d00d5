"""Billing's own figures on /metrics, read from data the services made."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.db import DatabaseError
from django.test import Client
from prometheus_client import CollectorRegistry
from pytest_django.fixtures import Settings

from billing import outbox
from billing.events import record_event
from config.metrics import BillingCollector
from payments.gateways.base import Declined, OutcomeUnknown
from payments.gateways.fake import FakeGateway
from payments.models import DiscrepancyKind, GatewayEventStatus
from payments.services import capture_payment
from snacks.services import BillingEventCursors
from subscriptions.services import renew_due_subscriptions
from tests.payments.factories import (
    ACTOR,
    DiscrepancyFactory,
    GatewayEventRecordFactory,
    pay_by_card,
)
from tests.subscriptions.factories import make_plan, subscribe_with_card

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)

Reader = Callable[..., float | None]


def figures_at(now: dt.datetime) -> Reader:
    """The collector's figures as read at `now`, once: `read(name, **labels)`."""
    registry = CollectorRegistry()
    registry.register(BillingCollector(clock=lambda: now))
    samples = {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in registry.collect()
        for sample in family.samples
    }

    def read(name: str, **labels: str) -> float | None:
        return samples.get((name, frozenset(labels.items())))

    return read


@pytest.fixture(autouse=True)
def _only_the_fake_gateway(settings: Settings) -> None:
    settings.PAYMENT_GATEWAYS = {"fake": settings.PAYMENT_GATEWAYS["fake"]}


class TestNothingYet:
    def test_reports_zeros_for_the_configured_gateway(self) -> None:
        """An alert's series exist before anything happens."""
        read = figures_at(NOW)

        assert read("billing_database_up") == 1
        assert read("billing_payments_unknown", gateway="fake") == 0
        assert read("billing_payments_unknown_oldest_age_seconds") == 0
        assert read("billing_renewal_backlog", gateway="fake") == 0
        assert (
            read("billing_renewal_charges_today", gateway="fake", outcome="declined")
            == 0
        )
        assert read("billing_outbox_consumer_lag_events", consumer="shop") == 0
        assert (read("billing_metrics_collect_seconds") or -1) >= 0


class TestUnknownPayments:
    def test_counts_a_payment_whose_reply_was_lost_from_when_it_was(
        self, fake_gateway: FakeGateway
    ) -> None:
        fake_gateway.script("charge", OutcomeUnknown("reply lost"))
        payment = pay_by_card()

        read = figures_at(payment.created_at + dt.timedelta(hours=2))

        assert read("billing_payments_unknown", gateway="fake") == 1
        assert read("billing_payments_unknown_oldest_age_seconds") == 7200

    def test_times_a_late_capture_from_its_move_to_unknown_not_its_creation(
        self, fake_gateway: FakeGateway
    ) -> None:
        """An order's hold authorized days ago whose capture reply was lost."""
        payment = pay_by_card(capture=False)
        captured_at = payment.created_at + dt.timedelta(days=3)
        fake_gateway.script("capture", OutcomeUnknown("reply lost"))
        capture_payment(payment_id=payment.id, now=captured_at, actor=ACTOR)

        read = figures_at(captured_at + dt.timedelta(minutes=10))

        assert read("billing_payments_unknown", gateway="fake") == 1
        assert read("billing_payments_unknown_oldest_age_seconds") == 600

    def test_counts_no_payment_the_janitor_settled(self) -> None:
        pay_by_card()

        read = figures_at(NOW)

        assert read("billing_payments_unknown", gateway="fake") == 0


class TestRenewals:
    def test_counts_due_subscriptions_then_the_run_s_charges_by_outcome(
        self, fake_gateway: FakeGateway
    ) -> None:
        plan = make_plan()
        subscriptions = [
            subscribe_with_card(plan, with_trial=False).subscription for _ in range(3)
        ]
        due = max(subscription.current_period_ends_at for subscription in subscriptions)
        first_due = min(
            subscription.due_at for subscription in subscriptions if subscription.due_at
        )
        run_at = due + dt.timedelta(minutes=5)
        fake_gateway.script(
            "charge",
            Declined(reason_code="5051", message="Insufficient funds", hard=False),
        )

        before = figures_at(run_at)
        renew_due_subscriptions(gateway="fake", clock=lambda: run_at)
        after = figures_at(run_at)

        assert before("billing_renewal_backlog", gateway="fake") == 3
        assert before("billing_renewal_backlog_oldest_age_seconds", gateway="fake") == (
            (run_at - first_due).total_seconds()
        )
        assert after("billing_renewal_backlog", gateway="fake") == 0
        assert after("billing_renewal_backlog_oldest_age_seconds", gateway="fake") == 0
        assert (
            after("billing_renewal_charges_today", gateway="fake", outcome="charged")
            == 2
        )
        assert (
            after("billing_renewal_charges_today", gateway="fake", outcome="declined")
            == 1
        )
        assert after("billing_subscriptions_past_due", gateway="fake") == 1

    def test_counts_only_today_s_charges(self, fake_gateway: FakeGateway) -> None:
        """Midnight UTC starts the count again."""
        subscription = subscribe_with_card(make_plan(), with_trial=False).subscription
        run_at = subscription.current_period_ends_at + dt.timedelta(minutes=5)
        renew_due_subscriptions(gateway="fake", clock=lambda: run_at)

        next_day = figures_at(run_at + dt.timedelta(days=1))

        assert (
            next_day("billing_renewal_charges_today", gateway="fake", outcome="charged")
            == 0
        )


class TestWebhookEvents:
    def test_counts_today_s_events_by_status_and_the_unprocessed_ones(self) -> None:
        for status in (
            GatewayEventStatus.PROCESSED,
            GatewayEventStatus.PROCESSED,
            GatewayEventStatus.RECEIVED,
            GatewayEventStatus.FAILED,
        ):
            GatewayEventRecordFactory.create(
                status=status, received_at=NOW - dt.timedelta(minutes=30)
            )
        GatewayEventRecordFactory.create(
            status=GatewayEventStatus.FAILED, received_at=NOW - dt.timedelta(days=1)
        )

        read = figures_at(NOW)

        assert (
            read("billing_webhook_events_today", gateway="fake", status="PROCESSED")
            == 2
        )
        assert (
            read("billing_webhook_events_today", gateway="fake", status="FAILED") == 1
        )
        assert (
            read("billing_webhook_events_today", gateway="fake", status="ORPHANED") == 0
        )
        assert (
            read(
                "billing_webhook_events_unprocessed", gateway="fake", status="RECEIVED"
            )
            == 1
        )
        assert (
            read("billing_webhook_events_unprocessed", gateway="fake", status="FAILED")
            == 2
        )
        assert read("billing_webhook_events_unprocessed_oldest_age_seconds") == 86400


class TestDiscrepancies:
    def test_counts_the_open_ones_by_gateway_and_kind(self) -> None:
        DiscrepancyFactory.create()
        DiscrepancyFactory.create()
        DiscrepancyFactory.create(kind=DiscrepancyKind.AMOUNT_MISMATCH)
        DiscrepancyFactory.create(
            resolved_at=NOW, resolved_by="user:accounting", resolution_note="refunded"
        )

        read = figures_at(NOW)

        labels = {"gateway": "fake"}
        assert (
            read(
                "billing_reconciliation_discrepancies_open",
                **labels,
                kind="MISSING_HERE",
            )
            == 2
        )
        assert (
            read(
                "billing_reconciliation_discrepancies_open",
                **labels,
                kind="AMOUNT_MISMATCH",
            )
            == 1
        )
        assert (
            read(
                "billing_reconciliation_discrepancies_open",
                **labels,
                kind="REFUND_MISMATCH",
            )
            == 0
        )


def _record(*types: str, at: dt.datetime) -> list[int]:
    with outbox.atomic():
        events = [
            record_event(type=event_type, occurred_at=at, payer=None, payload={})
            for event_type in types
        ]
    return [event.cursor for event in events]


class TestOutbox:
    def test_measures_a_consumer_s_lag_in_its_own_event_types(self) -> None:
        """The shop follows `payment.*` only: the invoices after its cursor are not
        events it has still to take."""
        first, *_ = _record("payment.succeeded", at=NOW - dt.timedelta(minutes=9))
        waiting = _record(
            "payment.authorized", "payment.failed", at=NOW - dt.timedelta(minutes=5)
        )
        latest = _record("invoice.paid", "invoice.created", at=NOW)[-1]
        BillingEventCursors("shop", clock=lambda: NOW).save(first)
        BillingEventCursors("shop-replica", clock=lambda: NOW).save(waiting[-1])

        read = figures_at(NOW)

        assert read("billing_outbox_latest_cursor") == latest
        assert read("billing_outbox_consumer_cursor", consumer="shop") == first
        assert read("billing_outbox_consumer_lag_events", consumer="shop") == 2
        assert read("billing_outbox_consumer_lag_seconds", consumer="shop") == 300
        assert read("billing_outbox_consumer_lag_events", consumer="shop-replica") == 0
        assert read("billing_outbox_consumer_lag_seconds", consumer="shop-replica") == 0

    def test_lists_the_shop_s_consumer_before_it_saved_a_cursor(self) -> None:
        """One that never applied an event is the most behind of all."""
        _record("payment.succeeded", at=NOW - dt.timedelta(minutes=1))

        read = figures_at(NOW)

        assert read("billing_outbox_consumer_cursor", consumer="shop") == 0
        assert read("billing_outbox_consumer_lag_events", consumer="shop") == 1
        assert read("billing_outbox_consumer_lag_seconds", consumer="shop") == 60


class TestDatabaseDown:
    def test_reports_the_database_down_and_no_figure(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        def unreachable() -> None:
            raise DatabaseError("connection refused")

        monkeypatch.setattr("config.metrics._billing.unknown_payments", unreachable)

        read = figures_at(NOW)

        assert read("billing_database_up") == 0
        assert read("billing_payments_unknown", gateway="fake") is None


class TestOnTheWebsMetrics:
    def test_are_served_beside_the_requests(self, client: Client) -> None:
        response = client.get("/metrics")

        text = response.content.decode()
        assert "billing_database_up 1.0" in text
        assert 'billing_renewal_backlog{gateway="fake"} 0.0' in text
