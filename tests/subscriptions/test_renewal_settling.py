"""The renewal run's threads: answers applied several to a transaction, and a failed
group applied again one answer at a time."""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from billing.models import BillingReason, Invoice, InvoiceStatus
from payments.gateways.fake import FakeGateway
from payments.gateways.throttle import GatewayThrottle
from payments.models import Payment, PaymentKind, PaymentStatus
from payments.services import GatewayAnswer
from subscriptions.models import Subscription, SubscriptionStatus
from subscriptions.services import (
    _charging_pool,
    _renewal_charges,
    _renewal_outcomes,
)
from subscriptions.services import renew_due_subscriptions as renew
from subscriptions.services._renewal_context import PreparedCharge, RenewalReport
from tests.subscriptions.factories import make_plan, subscribe_with_card

SUBSCRIPTIONS = 24


def _charge(n: int) -> Any:
    """A stand-in for a prepared charge: the threads only pass it along."""
    return PreparedCharge(
        subscription_id=uuid.UUID(int=n),
        payer_id=uuid.UUID(int=n),
        invoice=None,  # type: ignore[arg-type]
        payment=None,  # type: ignore[arg-type]
    )


class TestChargingPool:
    def test_answers_waiting_are_settled_together_up_to_a_group(self) -> None:
        """While a group is applied, the answers that arrive wait and go together."""
        first_group_started, let_it_finish = threading.Event(), threading.Event()
        groups: list[list[int]] = []

        def send(charge: Any, throttle: GatewayThrottle) -> GatewayAnswer:
            return GatewayAnswer()

        def settle(answered: list[tuple[Any, GatewayAnswer]]) -> None:
            if not groups:
                first_group_started.set()
                assert let_it_finish.wait(timeout=10)
            groups.append([charge.subscription_id.int for charge, _ in answered])

        chargers = _charging_pool.ChargingPool(
            size=8, send=send, settle=settle, throttle=GatewayThrottle(max_in_flight=8)
        )
        with chargers as pool:
            pool.put(_charge(0))
            assert first_group_started.wait(timeout=10)
            for n in range(1, 12):
                pool.put(_charge(n))
            let_it_finish.set()
            pool.drain()
            settled_by_drain = sorted(n for group in groups for n in group)

        assert settled_by_drain == list(range(12))
        assert groups[0] == [0]
        assert max(len(group) for group in groups[1:]) > 1
        assert all(len(group) <= _charging_pool.SETTLE_GROUP for group in groups)

    def test_a_failed_send_is_not_settled(self) -> None:
        settled: list[int] = []

        def send(charge: Any, throttle: GatewayThrottle) -> GatewayAnswer | None:
            return None if charge.subscription_id.int % 2 else GatewayAnswer()

        def settle(answered: list[tuple[Any, GatewayAnswer]]) -> None:
            settled.extend(charge.subscription_id.int for charge, _ in answered)

        with _charging_pool.ChargingPool(
            size=4, send=send, settle=settle, throttle=GatewayThrottle(max_in_flight=4)
        ) as pool:
            for n in range(10):
                pool.put(_charge(n))

        assert sorted(settled) == [0, 2, 4, 6, 8]


# Committed rows (the threads read and write through connections of their own), on
# PostgreSQL and on the SQLite file of the test settings alike.
@pytest.mark.django_db(transaction=True)
class TestThreadedRenewal:
    def test_every_subscription_is_renewed_once(
        self, fake_gateway: FakeGateway, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Threads send and settle: each period is paid by one payment."""
        subscriptions = _subscriptions(SUBSCRIPTIONS)
        senders = _record_sending_threads(monkeypatch)

        report = _renew_at(subscriptions[0].current_period_ends_at, concurrency=8)

        renewals = Invoice.objects.filter(
            billing_reason=BillingReason.SUBSCRIPTION_CYCLE
        )
        assert report.charged == report.paid == SUBSCRIPTIONS
        assert report.errors == 0
        assert Counter(renewals.values_list("status", flat=True)) == {
            InvoiceStatus.PAID: SUBSCRIPTIONS
        }
        assert not Subscription.objects.exclude(
            status=SubscriptionStatus.ACTIVE
        ).exists()
        assert not Subscription.objects.filter(claimed_by__isnull=False).exists()
        assert len(senders) == SUBSCRIPTIONS
        assert threading.main_thread() not in senders

    def test_a_renewal_that_cannot_be_applied_holds_up_no_other(
        self, fake_gateway: FakeGateway, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Its group is applied again one by one: the others are paid, it is left
        PENDING with its key for a later run."""
        subscriptions = _subscriptions(SUBSCRIPTIONS)
        broken = subscriptions[5].id
        _fail_outcome_of(broken, monkeypatch)

        report = _renew_at(subscriptions[0].current_period_ends_at, concurrency=8)

        renewal_payments = Payment.objects.filter(kind=PaymentKind.RECURRING)
        assert (report.paid, report.errors) == (SUBSCRIPTIONS - 1, 1)
        assert Counter(renewal_payments.values_list("status", flat=True)) == {
            PaymentStatus.SUCCEEDED: SUBSCRIPTIONS - 1,
            PaymentStatus.PENDING: 1,
        }
        left = Subscription.objects.get(id=broken)
        assert left.claimed_by is not None
        assert (
            Subscription.objects.filter(status=SubscriptionStatus.ACTIVE).count()
            == SUBSCRIPTIONS
        )


def _subscriptions(count: int) -> list[Subscription]:
    plan = make_plan()
    return [
        subscribe_with_card(plan, with_trial=False).subscription for _ in range(count)
    ]


def _renew_at(moment: Any, **options: Any) -> RenewalReport:
    return renew(gateway="fake", clock=lambda: moment, **options)


def _record_sending_threads(
    monkeypatch: pytest.MonkeyPatch,
) -> list[threading.Thread]:
    """The thread of every charge sent, in the order they were sent."""
    threads: list[threading.Thread] = []
    original = _renewal_charges.charge_prepared_payment

    def recorded(payment: Payment) -> GatewayAnswer:
        threads.append(threading.current_thread())
        return original(payment)

    monkeypatch.setattr(_renewal_charges, "charge_prepared_payment", recorded)
    return threads


def _fail_outcome_of(
    subscription_id: uuid.UUID, monkeypatch: pytest.MonkeyPatch
) -> None:
    original: Callable[..., Any] = _renewal_outcomes.apply_invoice_outcome

    def failing(subscription: Subscription, *args: Any, **kwargs: Any) -> Any:
        if subscription.id == subscription_id:
            raise RuntimeError("cannot be applied")
        return original(subscription, *args, **kwargs)

    monkeypatch.setattr(_renewal_outcomes, "apply_invoice_outcome", failing)
