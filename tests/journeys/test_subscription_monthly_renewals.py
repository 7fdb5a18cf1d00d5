"""A year of monthly renewals through the real adapters against the gateway sandbox."""

from __future__ import annotations

import datetime as dt

import pytest

from billing.models import InvoiceStatus, LedgerEntry
from subscriptions.models import SubscriptionStatus
from tests.journeys.subscribing import (
    GATEWAYS,
    captures_of,
    event_types,
    invoices_of,
    latest_cursor,
    make_plan,
    reloaded,
    renew_at,
    subscribe_with,
    unbalanced_books,
)

pytestmark = [pytest.mark.django_db, pytest.mark.sandbox]

CARD = {"cloudpayments": "4000000000003055", "stripe": "4242424242424242"}


@pytest.mark.parametrize("gateway", GATEWAYS)
class TestTwelveMonthlyRenewals:
    def test_bill_and_capture_each_period_once_with_balanced_books(
        self, gateway: str, sandbox_url: str
    ) -> None:
        """Thirteen paid invoices, thirteen captures, books in balance."""
        plan = make_plan(gateway)
        started = subscribe_with(sandbox_url, plan, CARD[gateway])
        subscription = started.subscription
        assert subscription.status == SubscriptionStatus.ACTIVE

        renewal_dates = []
        for _ in range(12):
            period_end = reloaded(subscription).current_period_ends_at
            renewal_dates.append(period_end)
            report = renew_at(gateway, period_end)
            assert (report.claimed, report.paid, report.errors) == (1, 1, 0)

        invoices = invoices_of(subscription)
        assert len(invoices) == 13
        assert [i.billing_reason for i in invoices] == [
            "SUBSCRIPTION_CREATE",
            *["SUBSCRIPTION_CYCLE"] * 12,
        ]
        assert all(i.status == InvoiceStatus.PAID for i in invoices)
        assert [i.period_starts_at for i in invoices[1:]] == renewal_dates
        assert [d.date().isoformat() for d in renewal_dates[:4]] == [
            "2026-02-28",
            "2026-03-31",
            "2026-04-30",
            "2026-05-31",
        ]
        subscription = reloaded(subscription)
        assert subscription.status == SubscriptionStatus.ACTIVE
        assert subscription.current_period_ends_at == dt.datetime(
            2027, 2, 28, 9, 0, tzinfo=dt.UTC
        )
        captures = captures_of(sandbox_url, gateway, subscription.payer_id)
        assert len(captures) == 13
        assert {c["amount_minor"] for c in captures} == {99_900}
        assert unbalanced_books() == {}
        cash = LedgerEntry.objects.filter(account="GATEWAY_CASH", subaccount=gateway)
        assert sum(e.debit_minor - e.credit_minor for e in cash) == 13 * 99_900

    def test_each_renewal_reaches_the_outbox_in_order(
        self, gateway: str, sandbox_url: str
    ) -> None:
        subscription = subscribe_with(
            sandbox_url, make_plan(gateway), CARD[gateway]
        ).subscription
        assert event_types(subscription.payer_id) == [
            "subscription.created",
            "invoice.created",
            "invoice.paid",
            "payment.succeeded",
            "subscription.activated",
        ]
        cursor = latest_cursor()

        renew_at(gateway, subscription.current_period_ends_at)

        assert event_types(subscription.payer_id, after=cursor) == [
            "invoice.created",
            "invoice.paid",
            "payment.succeeded",
            "subscription.renewed",
        ]
