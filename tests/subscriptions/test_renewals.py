"""The renewal run on the in-memory gateway: periods, invoices, dunning, recovery."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from pytest_django import DjangoCaptureOnCommitCallbacks

from billing.models import BillingEvent, Invoice, InvoiceStatus, LedgerEntry
from payments.gateways.base import Declined, OutcomeUnknown, Unavailable
from payments.gateways.fake import FakeGateway
from payments.models import Payment, PaymentMethod, PaymentStatus
from payments.services import settle_unknown_payments
from subscriptions.models import Subscription, SubscriptionStatus
from subscriptions.services import (
    DunningPolicy,
    RenewalReport,
    change_payment_method,
    renew_due_subscriptions,
)
from subscriptions.services._run_lock import exclusive_run
from tests.subscriptions.factories import (
    MONTHLY_PRICE,
    START,
    make_plan,
    subscribe_with_card,
)

pytestmark = pytest.mark.django_db

POLICY = DunningPolicy(retry_days=(1, 3, 5, 7))


def soft() -> Declined:
    """A decline worth retrying (each its own: the gateway gives each an id)."""
    return Declined(reason_code="5051", message="Insufficient funds", hard=False)


def hard() -> Declined:
    return Declined(reason_code="5054", message="Expired card", hard=True)


def renew_at(moment: dt.datetime, **options: object) -> RenewalReport:
    return renew_due_subscriptions(
        gateway="fake",
        clock=lambda: moment,
        policy=POLICY,
        **options,  # type: ignore[arg-type]
    )


@contextmanager
def _held_elsewhere(name: str) -> Iterator[None]:
    """Hold the run lock `name` from another thread (its own connection)."""
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        try:
            with exclusive_run(name) as acquired:
                assert acquired
                held.set()
                release.wait(timeout=30)
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold)
    holder.start()
    assert held.wait(timeout=30)
    try:
        yield
    finally:
        release.set()
        holder.join(timeout=30)


def active_subscription() -> Subscription:
    return subscribe_with_card(make_plan()).subscription


def reloaded(subscription: Subscription) -> Subscription:
    subscription.refresh_from_db()
    return subscription


def invoices_of(subscription: Subscription) -> list[Invoice]:
    return list(Invoice.objects.filter(subscription_id=subscription.id).order_by("id"))


class TestRenewal:
    def test_twelve_months_give_twelve_paid_invoices_on_the_anchor_day(
        self, fake_gateway: FakeGateway
    ) -> None:
        """31 January renews on 28 February, 31 March, 30 April …"""
        subscription = active_subscription()

        for _ in range(12):
            renew_at(reloaded(subscription).current_period_ends_at)

        invoices = invoices_of(subscription)
        renewals = invoices[1:]
        assert len(renewals) == 12
        assert all(i.status == InvoiceStatus.PAID for i in invoices)
        assert [f"{i.period_starts_at:%Y-%m-%d}" for i in renewals[:4]] == [
            "2026-02-28",
            "2026-03-31",
            "2026-04-30",
            "2026-05-31",
        ]
        assert len(fake_gateway.calls_to("charge")) == 13
        assert reloaded(subscription).current_period_ends_at == dt.datetime(
            2027, 2, 28, 9, 0, tzinfo=dt.UTC
        )

    def test_a_run_catches_up_every_period_that_fell_due(
        self, fake_gateway: FakeGateway
    ) -> None:
        subscription = active_subscription()

        report = renew_at(START + dt.timedelta(days=365))

        assert report.paid == 12
        assert len(invoices_of(subscription)) == 13
        assert reloaded(subscription).current_period_ends_at > START + dt.timedelta(
            days=365
        )

    def test_nothing_is_charged_before_the_period_ends(
        self, fake_gateway: FakeGateway
    ) -> None:
        subscription = active_subscription()

        report = renew_at(subscription.current_period_ends_at - dt.timedelta(seconds=1))

        assert report.claimed == 0
        assert len(invoices_of(subscription)) == 1

    def test_a_second_run_of_the_same_moment_bills_nothing_more(
        self, fake_gateway: FakeGateway
    ) -> None:
        subscription = active_subscription()
        moment = subscription.current_period_ends_at

        renew_at(moment)
        second = renew_at(moment)

        assert second.claimed == 0
        assert len(invoices_of(subscription)) == 2
        assert len(fake_gateway.calls_to("charge")) == 2

    def test_the_books_and_the_outbox_record_the_renewal(
        self, fake_gateway: FakeGateway
    ) -> None:
        subscription = active_subscription()
        cursor = BillingEvent.objects.order_by("-cursor").first()
        assert cursor is not None

        renew_at(subscription.current_period_ends_at)

        types = list(
            BillingEvent.objects.filter(cursor__gt=cursor.cursor)
            .order_by("cursor")
            .values_list("type", flat=True)
        )
        assert types == [
            "invoice.created",
            "invoice.paid",
            "payment.succeeded",
            "subscription.renewed",
        ]
        renewal = invoices_of(subscription)[-1]
        postings = LedgerEntry.objects.filter(
            posting__startswith=f"invoice:{renewal.id}:"
        )
        assert sorted((e.account, e.debit_minor, e.credit_minor) for e in postings) == [
            ("GATEWAY_CASH", MONTHLY_PRICE.amount_minor, 0),
            ("RECEIVABLE", 0, MONTHLY_PRICE.amount_minor),
            ("RECEIVABLE", MONTHLY_PRICE.amount_minor, 0),
            ("REVENUE", 0, MONTHLY_PRICE.amount_minor),
        ]

    def test_a_renewal_costs_at_most_eleven_statements_and_three_transactions(
        self, fake_gateway: FakeGateway
    ) -> None:
        """Claim, invoice, payment, answer, books and events, for a batch of 20,
        and the invoice read again once the answer is applied: the period is
        renewed on its status (PAID), not on the payment's.

        Inside the test's own transaction each transaction of the run is a
        savepoint, so savepoints count commits and the rest counts statements.
        """
        plan = make_plan()
        for _ in range(20):
            subscribe_with_card(plan)
        first = Subscription.objects.order_by("created_at").first()
        assert first is not None

        with CaptureQueriesContext(connection) as queries:
            report = renew_at(first.current_period_ends_at, batch_size=20)

        sql = [query["sql"] for query in queries.captured_queries]
        transactions = [q for q in sql if q.startswith("SAVEPOINT")]
        statements = [q for q in sql if "SAVEPOINT" not in q]
        assert report.paid == 20
        assert len(statements) <= 20 * 11
        assert len(transactions) <= 20 * 3

    def test_a_paused_subscription_is_left_alone(
        self, fake_gateway: FakeGateway
    ) -> None:
        subscription = active_subscription()
        Subscription.objects.filter(id=subscription.id).update(
            status=SubscriptionStatus.PAUSED
        )

        report = renew_at(subscription.current_period_ends_at)

        assert report.claimed == 1
        assert len(invoices_of(subscription)) == 1
        assert reloaded(subscription).due_at is None

    def test_a_run_that_finds_another_one_busy_does_nothing(
        self, fake_gateway: FakeGateway
    ) -> None:
        subscription = active_subscription()

        with _held_elsewhere("renewals:fake"):
            report = renew_at(subscription.current_period_ends_at)

        assert report.skipped
        assert len(invoices_of(subscription)) == 1


class TestDunning:
    def test_a_soft_decline_retries_on_the_schedule_then_cancels(
        self, fake_gateway: FakeGateway
    ) -> None:
        subscription = active_subscription()
        renewal_at = subscription.current_period_ends_at
        fake_gateway.script("charge", *(soft() for _ in range(5)))

        renew_at(renewal_at)
        retries = []
        for _ in range(4):
            subscription = reloaded(subscription)
            assert subscription.status == SubscriptionStatus.PAST_DUE
            retries.append(subscription.next_retry_at)
            assert subscription.next_retry_at is not None
            renew_at(subscription.next_retry_at)

        subscription = reloaded(subscription)
        assert retries == [renewal_at + dt.timedelta(days=d) for d in (1, 3, 5, 7)]
        assert subscription.status == SubscriptionStatus.CANCELED
        assert subscription.due_at is None
        renewal = invoices_of(subscription)[-1]
        assert renewal.status == InvoiceStatus.UNCOLLECTIBLE
        assert Payment.objects.filter(pays=renewal.pays_reference).count() == 5
        assert [
            p.attempt
            for p in Payment.objects.filter(pays=renewal.pays_reference).order_by(
                "created_at", "attempt"
            )
        ] == [1, 2, 3, 4, 5]

    def test_the_final_status_can_be_expired(self, fake_gateway: FakeGateway) -> None:
        subscription = active_subscription()
        fake_gateway.script("charge", soft())

        renew_due_subscriptions(
            gateway="fake",
            clock=lambda: subscription.current_period_ends_at,
            policy=DunningPolicy(
                retry_days=(), final_status=SubscriptionStatus.EXPIRED
            ),
        )

        assert reloaded(subscription).status == SubscriptionStatus.EXPIRED

    def test_a_retry_that_succeeds_makes_it_active_on_its_original_anchor(
        self, fake_gateway: FakeGateway
    ) -> None:
        subscription = active_subscription()
        period_end = subscription.current_period_ends_at
        fake_gateway.script("charge", soft())
        renew_at(period_end)

        renew_at(reloaded(subscription).next_retry_at)  # type: ignore[arg-type]

        subscription = reloaded(subscription)
        assert subscription.status == SubscriptionStatus.ACTIVE
        assert subscription.current_period_starts_at == period_end
        assert subscription.due_at == subscription.current_period_ends_at
        assert subscription.retry_count == 0
        assert subscription.next_retry_at is None
        assert invoices_of(subscription)[-1].status == InvoiceStatus.PAID

    def test_a_hard_decline_stops_retries_and_asks_for_a_new_card(
        self, fake_gateway: FakeGateway
    ) -> None:
        subscription = active_subscription()
        renewal_at = subscription.current_period_ends_at
        fake_gateway.script("charge", hard())

        renew_at(renewal_at)

        subscription = reloaded(subscription)
        assert subscription.status == SubscriptionStatus.PAST_DUE
        assert subscription.needs_new_payment_method
        assert subscription.next_retry_at is None
        assert subscription.due_at == renewal_at + dt.timedelta(days=7)
        assert BillingEvent.objects.filter(
            type="subscription.payment_method_required"
        ).exists()
        assert not PaymentMethod.objects.get(payer_id=subscription.payer_id).is_usable

    def test_no_new_card_within_the_grace_ends_it(
        self, fake_gateway: FakeGateway
    ) -> None:
        subscription = active_subscription()
        fake_gateway.script("charge", hard())
        renew_at(subscription.current_period_ends_at)

        report = renew_at(reloaded(subscription).due_at)  # type: ignore[arg-type]

        assert report.ended == 1
        assert reloaded(subscription).status == SubscriptionStatus.CANCELED
        assert invoices_of(subscription)[-1].status == InvoiceStatus.UNCOLLECTIBLE
        assert len(fake_gateway.calls_to("charge")) == 2

    def test_a_new_card_is_charged_at_the_next_run(
        self, fake_gateway: FakeGateway
    ) -> None:
        subscription = active_subscription()
        fake_gateway.script("charge", hard())
        failed_at = subscription.current_period_ends_at
        renew_at(failed_at)
        new_card = subscribe_with_card(
            make_plan(code="other"), payer_id=subscription.payer_id
        ).payment
        assert new_card is not None and new_card.payment_method_id is not None

        change_payment_method(
            subscription_id=subscription.id,
            payment_method_id=new_card.payment_method_id,
            now=failed_at + dt.timedelta(hours=2),
            actor="user:test",
        )
        renew_at(failed_at + dt.timedelta(hours=2))

        subscription = reloaded(subscription)
        assert subscription.status == SubscriptionStatus.ACTIVE
        assert not subscription.needs_new_payment_method
        assert invoices_of(subscription)[-1].status == InvoiceStatus.PAID

    def test_a_gateway_outage_is_tried_again_soon_without_dunning(
        self, fake_gateway: FakeGateway
    ) -> None:
        subscription = active_subscription()
        renewal_at = subscription.current_period_ends_at
        fake_gateway.script("charge", Unavailable("503"))

        renew_at(renewal_at)
        waiting = reloaded(subscription)
        renew_at(waiting.due_at)  # type: ignore[arg-type]

        assert waiting.status == SubscriptionStatus.ACTIVE
        assert waiting.due_at == renewal_at + dt.timedelta(minutes=5)
        assert reloaded(subscription).current_period_starts_at == renewal_at
        assert len(invoices_of(subscription)) == 2
        assert invoices_of(subscription)[-1].status == InvoiceStatus.PAID


class TestUnknownOutcomes:
    def test_a_lost_reply_waits_for_the_janitor_and_is_charged_once(
        self,
        fake_gateway: FakeGateway,
        django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
    ) -> None:
        subscription = active_subscription()
        renewal_at = subscription.current_period_ends_at
        fake_gateway.script("charge", OutcomeUnknown("read timeout"))

        renew_at(renewal_at)
        waiting = reloaded(subscription)
        again = renew_at(renewal_at + dt.timedelta(minutes=30))
        with django_capture_on_commit_callbacks(execute=True):
            settle_unknown_payments(now=renewal_at + dt.timedelta(minutes=6))

        assert waiting.status == SubscriptionStatus.ACTIVE
        assert waiting.current_period_ends_at == renewal_at
        assert again.claimed == 0
        subscription = reloaded(subscription)
        assert subscription.current_period_starts_at == renewal_at
        assert invoices_of(subscription)[-1].status == InvoiceStatus.PAID
        assert len(fake_gateway.calls_to("charge")) == 2

    def test_a_payment_a_dead_run_left_pending_is_sent_again_with_its_key(
        self, fake_gateway: FakeGateway
    ) -> None:
        """The gateway answers the repeat without charging twice."""
        subscription = active_subscription()
        renewal_at = subscription.current_period_ends_at
        fake_gateway.script("charge", OutcomeUnknown("process killed"))
        renew_at(renewal_at)
        payment = Payment.objects.get(pays=invoices_of(subscription)[-1].pays_reference)
        # As a killed run leaves it: the payment PENDING, the claim of a dead run.
        Payment.objects.filter(id=payment.id).update(status=PaymentStatus.PENDING)
        Subscription.objects.filter(id=subscription.id).update(
            claimed_by=uuid.uuid4(),
            due_at=renewal_at + dt.timedelta(minutes=10),
        )

        renew_at(renewal_at + dt.timedelta(minutes=2))

        payment.refresh_from_db()
        assert payment.status == PaymentStatus.SUCCEEDED
        keys = [c["request"].idempotency_key for c in fake_gateway.calls_to("charge")]
        assert keys.count(payment.idempotency_key) == 2
        assert len(fake_gateway.payments) == 2
        assert reloaded(subscription).current_period_starts_at == renewal_at


class TestCancellationAtPeriodEnd:
    def test_ends_the_subscription_without_charging(
        self, fake_gateway: FakeGateway
    ) -> None:
        subscription = active_subscription()
        Subscription.objects.filter(id=subscription.id).update(
            cancel_at=subscription.current_period_ends_at
        )

        report = renew_at(subscription.current_period_ends_at)

        assert report.canceled == 1
        assert reloaded(subscription).status == SubscriptionStatus.CANCELED
        assert len(invoices_of(subscription)) == 1


class TestTrials:
    def test_the_trial_end_charges_the_first_period(
        self, fake_gateway: FakeGateway
    ) -> None:
        subscription = subscribe_with_card(make_plan(trial_days=14)).subscription
        trial_end = START + dt.timedelta(days=14)

        renew_at(trial_end)

        subscription = reloaded(subscription)
        assert subscription.status == SubscriptionStatus.ACTIVE
        assert subscription.current_period_starts_at == trial_end
        assert subscription.current_period_ends_at == dt.datetime(
            2026, 3, 14, 9, 0, tzinfo=dt.UTC
        )
        assert [i.status for i in invoices_of(subscription)] == [InvoiceStatus.PAID]

    def test_a_decline_at_the_trial_end_makes_it_past_due(
        self, fake_gateway: FakeGateway
    ) -> None:
        subscription = subscribe_with_card(make_plan(trial_days=14)).subscription
        fake_gateway.script("charge", soft())

        renew_at(START + dt.timedelta(days=14))

        assert reloaded(subscription).status == SubscriptionStatus.PAST_DUE
