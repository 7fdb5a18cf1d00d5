"""Upgrades prorated to the minor unit and charged at once; downgrades at renewal.

The expected amounts are computed here from the documented formula
(`subscriptions/services/_plan_changes.py`, `subscriptions.periods`), not by the
code under test: credit = round_half_even(old * remaining / length), charge likewise
with the new price, total = charge - credit, durations elapsed to the microsecond.
"""

from __future__ import annotations

import datetime as dt

import pytest

from billing.models import BillingReason, InvoiceLineKind, InvoiceStatus
from payments.models import Payment, PaymentStatus
from subscriptions.models import SubscriptionStatus
from subscriptions.services import Timing, change_plan
from tests.journeys.subscribing import (
    GATEWAYS,
    PAYER,
    START,
    captures_of,
    event_types,
    invoices_of,
    latest_cursor,
    make_plan,
    reloaded,
    renew_at,
    share,
    subscribe_with,
    unbalanced_books,
)

pytestmark = [pytest.mark.django_db, pytest.mark.sandbox]

CARD = {"cloudpayments": "4000000000003055", "stripe": "4242424242424242"}
BASIC, PREMIUM = 99_900, 149_900
PERIOD_ENDS_AT = dt.datetime(2026, 2, 28, 9, 0, tzinfo=dt.UTC)
# An odd moment, so that both shares fall between two minor units.
CHANGED_AT = START + dt.timedelta(
    days=11, hours=7, minutes=13, seconds=5, microseconds=123_457
)


@pytest.mark.parametrize("gateway", GATEWAYS)
class TestUpgrade:
    def test_charges_the_prorated_difference_now_and_the_new_price_at_renewal(
        self, gateway: str, sandbox_url: str
    ) -> None:
        basic = make_plan(gateway, code="basic", amount_minor=BASIC)
        premium = make_plan(gateway, code="premium", amount_minor=PREMIUM)
        subscription = subscribe_with(sandbox_url, basic, CARD[gateway]).subscription
        payer_id = subscription.payer_id
        assert subscription.current_period_ends_at == PERIOD_ENDS_AT
        remaining, length = PERIOD_ENDS_AT - CHANGED_AT, PERIOD_ENDS_AT - START
        credit = share(BASIC, remaining=remaining, length=length)
        charge = share(PREMIUM, remaining=remaining, length=length)
        assert (credit, charge) == (59_581, 89_401)
        cursor = latest_cursor()

        change = change_plan(
            subscription_id=subscription.id,
            plan_code=premium.code,
            now=CHANGED_AT,
            actor=PAYER,
        )

        assert change.timing == Timing.NOW
        invoice = change.invoice
        assert invoice is not None
        assert invoice.billing_reason == BillingReason.SUBSCRIPTION_UPDATE
        assert invoice.status == InvoiceStatus.PAID
        assert invoice.total_minor == charge - credit == 29_820
        lines = sorted(
            (line.kind, line.amount_minor, line.period_starts_at, line.period_ends_at)
            for line in invoice.lines.all()
        )
        assert lines == [
            (InvoiceLineKind.PRORATION_CHARGE, charge, CHANGED_AT, PERIOD_ENDS_AT),
            (InvoiceLineKind.PRORATION_CREDIT, -credit, CHANGED_AT, PERIOD_ENDS_AT),
        ]
        assert change.payment is not None
        assert change.payment.status == PaymentStatus.SUCCEEDED
        assert change.payment.captured_minor == charge - credit
        captures = captures_of(sandbox_url, gateway, payer_id)
        assert [c["amount_minor"] for c in captures] == [BASIC, charge - credit]
        subscription = reloaded(subscription)
        assert subscription.status == SubscriptionStatus.ACTIVE
        assert (subscription.plan_id, subscription.price.amount_minor) == (
            premium.id,
            PREMIUM,
        )
        assert subscription.current_period_starts_at == START
        assert subscription.current_period_ends_at == PERIOD_ENDS_AT
        assert event_types(payer_id, after=cursor) == [
            "invoice.created",
            "invoice.paid",
            "payment.succeeded",
            "subscription.plan_changed",
        ]

        report = renew_at(gateway, PERIOD_ENDS_AT)

        assert report.paid == 1
        renewal = invoices_of(subscription)[-1]
        assert renewal.billing_reason == BillingReason.SUBSCRIPTION_CYCLE
        assert (renewal.status, renewal.total_minor) == (InvoiceStatus.PAID, PREMIUM)
        captures = captures_of(sandbox_url, gateway, payer_id)
        assert captures[-1]["amount_minor"] == PREMIUM
        assert len(captures) == 3
        assert unbalanced_books() == {}


@pytest.mark.parametrize("gateway", GATEWAYS)
class TestDowngrade:
    def test_charges_nothing_now_and_takes_effect_at_the_next_renewal(
        self, gateway: str, sandbox_url: str
    ) -> None:
        basic = make_plan(gateway, code="basic", amount_minor=BASIC)
        premium = make_plan(gateway, code="premium", amount_minor=PREMIUM)
        subscription = subscribe_with(sandbox_url, premium, CARD[gateway]).subscription
        payer_id = subscription.payer_id
        cursor = latest_cursor()

        change = change_plan(
            subscription_id=subscription.id,
            plan_code=basic.code,
            now=CHANGED_AT,
            actor=PAYER,
        )

        assert change.timing == Timing.PERIOD_END
        assert change.invoice is None and change.payment is None
        subscription = reloaded(subscription)
        assert subscription.plan_id == premium.id
        assert subscription.scheduled_plan_id == basic.id
        assert len(invoices_of(subscription)) == 1
        assert [
            c["amount_minor"] for c in captures_of(sandbox_url, gateway, payer_id)
        ] == [PREMIUM]
        assert event_types(payer_id, after=cursor) == [
            "subscription.plan_change_scheduled"
        ]
        assert renew_at(gateway, PERIOD_ENDS_AT - dt.timedelta(seconds=1)).claimed == 0
        cursor = latest_cursor()

        report = renew_at(gateway, PERIOD_ENDS_AT)

        assert report.paid == 1
        subscription = reloaded(subscription)
        assert subscription.plan_id == basic.id
        assert subscription.price.amount_minor == BASIC
        assert subscription.scheduled_plan_id is None
        assert subscription.current_period_starts_at == PERIOD_ENDS_AT
        renewal = invoices_of(subscription)[-1]
        assert (renewal.status, renewal.total_minor) == (InvoiceStatus.PAID, BASIC)
        assert [(line.kind, line.amount_minor) for line in renewal.lines.all()] == [
            (InvoiceLineKind.PLAN, BASIC)
        ]
        assert Payment.objects.get(pays=renewal.pays_reference).captured_minor == BASIC
        assert [
            c["amount_minor"] for c in captures_of(sandbox_url, gateway, payer_id)
        ] == [PREMIUM, BASIC]
        assert event_types(payer_id, after=cursor) == [
            "invoice.created",
            "invoice.paid",
            "payment.succeeded",
            "subscription.renewed",
        ]
        assert unbalanced_books() == {}
