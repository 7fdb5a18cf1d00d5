"""A renewal whose reply the network lost: never charged again blindly, settled by the
janitor from the gateway's record, and the period captured exactly once."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from pytest_django import DjangoCaptureOnCommitCallbacks

from billing.models import InvoiceStatus
from payments.models import Payment, PaymentStatus
from payments.services import settle_unknown_payments
from subscriptions.models import SubscriptionStatus
from subscriptions.services import subscribe
from tests.journeys.cards import entered_card, ledger, set_faults
from tests.journeys.subscribing import (
    GATEWAYS,
    PAYER,
    START,
    account_of,
    captures_of,
    event_types,
    invoices_of,
    latest_cursor,
    make_plan,
    reloaded,
    renew_at,
    stripe_customers_of,
    subscribe_with,
    unbalanced_books,
)

pytestmark = [pytest.mark.django_db, pytest.mark.sandbox]

CARD = {"cloudpayments": "4000000000003055", "stripe": "4242424242424242"}


@pytest.mark.parametrize("gateway", GATEWAYS)
class TestLostRenewalReply:
    def test_the_janitor_settles_it_and_the_period_is_captured_once(
        self,
        gateway: str,
        sandbox_url: str,
        django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
    ) -> None:
        subscription = subscribe_with(
            sandbox_url, make_plan(gateway), CARD[gateway]
        ).subscription
        payer_id = subscription.payer_id
        renewal_at = subscription.current_period_ends_at
        cursor = latest_cursor()
        set_faults(sandbox_url, drop_reply_rate=1)
        try:
            lost = renew_at(gateway, renewal_at)
        finally:
            set_faults(sandbox_url, drop_reply_rate=0)
        renewal = invoices_of(subscription)[-1]
        payment = Payment.objects.get(pays=renewal.pays_reference)
        waiting = reloaded(subscription)

        assert (lost.charged, lost.waiting, lost.errors) == (1, 1, 0)
        assert payment.status == PaymentStatus.UNKNOWN
        assert renewal.status == InvoiceStatus.OPEN
        assert waiting.status == SubscriptionStatus.ACTIVE
        assert waiting.current_period_ends_at == renewal_at
        assert renew_at(gateway, renewal_at + dt.timedelta(minutes=2)).claimed == 0
        assert settle_unknown_payments(now=renewal_at + dt.timedelta(minutes=4)) == 0

        with django_capture_on_commit_callbacks(execute=True):
            settled = settle_unknown_payments(now=renewal_at + dt.timedelta(minutes=5))

        assert settled == 1
        payment.refresh_from_db()
        assert payment.status == PaymentStatus.SUCCEEDED
        renewal.refresh_from_db()
        assert renewal.status == InvoiceStatus.PAID
        subscription = reloaded(subscription)
        assert subscription.status == SubscriptionStatus.ACTIVE
        assert subscription.current_period_starts_at == renewal_at
        assert subscription.due_at == subscription.current_period_ends_at
        assert subscription.latest_payment_id == payment.id
        for_the_period = ledger(sandbox_url, reference=f"payment:{payment.id}")
        assert [e["kind"] for e in for_the_period["entries"]] == ["capture"]
        assert len(captures_of(sandbox_url, gateway, payer_id)) == 2
        assert Payment.objects.filter(pays=renewal.pays_reference).count() == 1
        assert event_types(payer_id, after=cursor) == [
            "invoice.created",
            "payment.outcome_unknown",
            "invoice.paid",
            "payment.succeeded",
            "subscription.renewed",
        ]
        assert unbalanced_books() == {}
        assert renew_at(gateway, renewal_at + dt.timedelta(hours=1)).claimed == 0
        assert renew_at(gateway, subscription.current_period_ends_at).paid == 1
        assert len(captures_of(sandbox_url, gateway, payer_id)) == 3


class TestLostReplyBeforeTheFirstCharge:
    def test_a_stripe_customer_not_created_fails_the_start_and_the_payer_retries(
        self, sandbox_url: str
    ) -> None:
        """No charge was sent, so the subscription expires at once (not in a day)."""
        plan = make_plan("stripe")
        payer_id = uuid.uuid4()
        card = entered_card(sandbox_url, "stripe", CARD["stripe"])
        set_faults(sandbox_url, drop_reply_rate=1)
        try:
            first = subscribe(
                payer_id=payer_id,
                plan_code=plan.code,
                now=START,
                actor=PAYER,
                card_payload=card,
            )
        finally:
            set_faults(sandbox_url, drop_reply_rate=0)

        again = subscribe_with(
            sandbox_url, plan, CARD["stripe"], payer_id=payer_id, now=START
        )

        assert first.subscription.status == SubscriptionStatus.EXPIRED
        assert first.payment is not None
        assert first.payment.status == PaymentStatus.FAILED
        assert first.payment.failure_code == "gateway_unavailable"
        assert first.invoice is not None
        assert first.invoice.status == InvoiceStatus.VOID
        assert again.subscription.status == SubscriptionStatus.ACTIVE
        assert again.invoice is not None
        assert again.invoice.status == InvoiceStatus.PAID
        assert [
            c["amount_minor"] for c in captures_of(sandbox_url, "stripe", payer_id)
        ] == [99_900]
        customers = stripe_customers_of(sandbox_url, payer_id)
        assert [c["id"] for c in customers] == [account_of("stripe", payer_id)]
        assert unbalanced_books() == {}
