"""Reconciliation end to end: the sandbox's knobs change its records behind the
service's back, and a reconciliation through the real adapters and SDKs finds each
kind of difference once, settles what was unknown, and records nothing new when run
again."""

from __future__ import annotations

import datetime as dt

import pytest
import requests

from billing.models import BillingEvent
from billing.money import Money
from gateway_sandbox.app import Sandbox
from payments.models import (
    Discrepancy,
    DiscrepancyKind,
    Payment,
    PaymentStatus,
    ReconciliationRun,
    ReconciliationStatus,
)
from payments.services import reconcile, refund_payment
from tests.gateway_sandbox.reconciliation_controls import made
from tests.journeys.cards import CARDS, entered_card, set_faults
from tests.journeys.test_card_payments import GATEWAYS, NOW, _pay
from tests.payments.factories import PaymentFactory

pytestmark = [pytest.mark.django_db, pytest.mark.sandbox]

DAY = NOW.date()
AFTER = NOW + dt.timedelta(days=1)


@pytest.fixture
def url(sandbox_url: str) -> str:
    """The reset sandbox, its clock on the day the payments are made."""
    response = requests.post(
        f"{sandbox_url}/__sandbox/clock", json={"now": NOW.isoformat()}, timeout=5
    )
    response.raise_for_status()
    return sandbox_url


def _reconcile(gateway: str, now: dt.datetime = AFTER) -> ReconciliationRun:
    return reconcile(gateway=gateway, day=DAY, actor="system:test", now=now)


def _found(kind: DiscrepancyKind) -> Discrepancy:
    return Discrepancy.objects.get(kind=kind)


@pytest.mark.parametrize("gateway", GATEWAYS)
def test_each_kind_of_difference_is_found_once(
    gateway: str, gateway_sandbox: Sandbox, url: str
) -> None:
    paid = [_pay(gateway_sandbox, url, gateway, "success") for _ in range(5)]
    currency = paid[0].currency
    refund_payment(
        payment_id=paid[4].id,
        amount=Money(1_000, currency),
        reason="OTHER",
        requested_by="system:test",
        now=NOW,
    )
    stray = made(
        url,
        gateway=gateway,
        kind="unknown_capture",
        amount_minor=7_000,
        currency=currency,
    )
    dashboard = made(
        url,
        gateway=gateway,
        kind="dashboard_refund",
        payment=paid[0].gateway_reference,
        amount_minor=500,
    )
    made(
        url,
        gateway=gateway,
        kind="amount",
        payment=paid[1].gateway_reference,
        amount_minor=120_000,
    )
    made(
        url,
        gateway=gateway,
        kind="status",
        payment=paid[2].gateway_reference,
        status="canceled",
    )
    made(url, gateway=gateway, kind="drop", payment=paid[3].gateway_reference)

    run = _reconcile(gateway)

    assert run.status == ReconciliationStatus.COMPLETED
    assert sorted(Discrepancy.objects.values_list("kind", flat=True)) == sorted(
        DiscrepancyKind.values
    )
    missing_here = _found(DiscrepancyKind.MISSING_HERE)
    assert (missing_here.subject, missing_here.amount) == (
        f"transaction:{stray}",
        Money(7_000, currency),
    )
    refund = _found(DiscrepancyKind.REFUND_MISMATCH)
    assert (refund.gateway_reference, refund.payment) == (dashboard, paid[0])
    assert refund.amount == Money(500, currency)
    amount = _found(DiscrepancyKind.AMOUNT_MISMATCH)
    assert (amount.payment, amount.amount) == (paid[1], Money(5_000, currency))
    assert _found(DiscrepancyKind.STATUS_MISMATCH).payment == paid[2]
    assert _found(DiscrepancyKind.MISSING_AT_GATEWAY).payment == paid[3]
    assert run.report["new"] == 5
    assert run.report["gateway"]["refunded"] == {currency: 1_500}
    events = BillingEvent.objects.filter(type="reconciliation.discrepancy")
    assert events.count() == 5

    again = _reconcile(gateway, AFTER + dt.timedelta(hours=1))

    assert (again.passes, again.report["new"]) == (2, 0)
    assert sum(again.report["found"].values()) == 5
    assert Discrepancy.objects.count() == 5
    assert events.count() == 5


@pytest.mark.parametrize("gateway", GATEWAYS)
def test_a_payment_whose_reply_was_lost_is_settled_from_the_list(
    gateway: str, gateway_sandbox: Sandbox, url: str
) -> None:
    # The payer pays once first, so that the lost reply is the charge's own (a
    # Stripe payer's first payment also creates their Customer).
    payer_id = _pay(gateway_sandbox, url, gateway, "success").payer_id
    set_faults(url, drop_reply_rate=1)
    try:
        lost = PaymentFactory.create(
            gateway=gateway,
            payer_id=payer_id,
            amount=Money(125_000, "RUB" if gateway == "cloudpayments" else "USD"),
            card_payload=entered_card(url, gateway, CARDS[gateway]["success"]),
            now=NOW,
        )
    finally:
        set_faults(url, drop_reply_rate=0)
    assert lost.status == PaymentStatus.UNKNOWN

    run = _reconcile(gateway)

    settled = Payment.objects.get(id=lost.id)
    assert settled.status == PaymentStatus.SUCCEEDED
    assert settled.captured == settled.amount
    assert (run.settled, Discrepancy.objects.count()) == (1, 0)
    assert run.operations == 2
