"""A subscription becomes ACTIVE, and enters a new period, only on a PAID invoice.

A payment's status is not enough: an underpayment is refused by the settlement rule
and the invoice stays OPEN; money taken for an invoice voided meanwhile is the
payer's credit and pays no period.
"""

from __future__ import annotations

import datetime as dt

import pytest

from billing.models import BillingEvent, Invoice, InvoiceStatus
from billing.money import Money
from billing.services import void_invoice
from payments.gateways.base import (
    ChargeResult,
    PaymentState,
    RequiresAction,
    ThreeDsChallenge,
)
from payments.gateways.fake import FakeGateway
from payments.models import Payment, PaymentStatus
from subscriptions.models import Subscription, SubscriptionStatus
from subscriptions.services import (
    DunningPolicy,
    RenewalReport,
    complete_subscription_3ds,
    renew_due_subscriptions,
)
from tests.payments.mismatches import mismatch_recorded
from tests.subscriptions.factories import (
    MONTHLY_PRICE,
    START,
    make_plan,
    subscribe_with_card,
)

pytestmark = pytest.mark.django_db

LESS = Money(100, MONTHLY_PRICE.currency)


def _underpaid(fake_gateway: FakeGateway, gateway_reference: str) -> None:
    """The gateway's next charge reports that it took less than it was asked."""
    fake_gateway.script(
        "charge", ChargeResult(gateway_reference, PaymentState.SUCCEEDED, LESS)
    )


def _invoices(subscription: Subscription) -> list[Invoice]:
    return list(Invoice.objects.filter(subscription_id=subscription.id).order_by("id"))


def _payment_for(invoice: Invoice) -> Payment:
    return Payment.objects.get(pays=invoice.pays_reference)


class TestFirstPayment:
    def test_an_underpaid_first_charge_leaves_it_incomplete_and_its_invoice_open(
        self, fake_gateway: FakeGateway
    ) -> None:
        _underpaid(fake_gateway, "fake_under_1")

        started = subscribe_with_card(make_plan())

        subscription = Subscription.objects.get(id=started.subscription.id)
        (invoice,) = _invoices(subscription)
        payment = _payment_for(invoice)
        assert subscription.status == SubscriptionStatus.INCOMPLETE
        assert (invoice.status, invoice.amount_paid_minor) == (InvoiceStatus.OPEN, 0)
        assert (payment.status, payment.captured_minor) == (PaymentStatus.PENDING, 0)
        assert mismatch_recorded(payment).startswith("succeeded 1.00")
        assert not BillingEvent.objects.filter(
            type__in=("subscription.activated", "invoice.paid")
        ).exists()

    def test_money_for_an_invoice_voided_meanwhile_does_not_activate_it(
        self, fake_gateway: FakeGateway
    ) -> None:
        """The payer passes 3-D Secure after staff voided the first invoice."""
        fake_gateway.script(
            "charge",
            RequiresAction(ThreeDsChallenge("fake_3ds_1", "https://acs.example/")),
        )
        started = subscribe_with_card(make_plan())
        (invoice,) = _invoices(started.subscription)
        void_invoice(invoice_id=invoice.id, at=START, actor="user:staff", reason="x")

        complete_subscription_3ds(
            subscription_id=started.subscription.id,
            authentication_result=None,
            now=START,
            actor="user:payer",
        )

        subscription = Subscription.objects.get(id=started.subscription.id)
        invoice.refresh_from_db()
        assert _payment_for(invoice).status == PaymentStatus.SUCCEEDED
        assert invoice.status == InvoiceStatus.VOID
        assert subscription.status == SubscriptionStatus.INCOMPLETE
        assert BillingEvent.objects.filter(type="invoice.payment_unapplied").exists()


class TestRenewal:
    def test_an_underpaid_renewal_renews_no_period_and_leaves_its_invoice_open(
        self, fake_gateway: FakeGateway
    ) -> None:
        subscription = subscribe_with_card(make_plan()).subscription
        period = (
            subscription.current_period_starts_at,
            subscription.current_period_ends_at,
        )
        _underpaid(fake_gateway, "fake_under_2")

        report = _renew_at(subscription.current_period_ends_at)

        subscription.refresh_from_db()
        renewal = _invoices(subscription)[-1]
        payment = _payment_for(renewal)
        assert report.paid == 0
        assert (
            subscription.current_period_starts_at,
            subscription.current_period_ends_at,
        ) == period
        assert renewal.status == InvoiceStatus.OPEN
        assert payment.status == PaymentStatus.PENDING
        assert mismatch_recorded(payment).startswith("succeeded 1.00")
        assert not BillingEvent.objects.filter(type="subscription.renewed").exists()


def _renew_at(moment: dt.datetime) -> RenewalReport:
    return renew_due_subscriptions(
        gateway="fake", clock=lambda: moment, policy=DunningPolicy()
    )
