"""Plan changes on the in-memory gateway: proration to the minor unit, downgrades."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction

import pytest

from billing.models import Invoice, InvoiceLine, InvoiceStatus, LedgerEntry
from billing.money import CurrencyMismatch, Money
from payments.gateways.base import Declined
from payments.gateways.fake import FakeGateway
from subscriptions.models import Subscription
from subscriptions.services import (
    AlreadySubscribed,
    PlanChangeNotAllowed,
    PlanChangePaymentFailed,
    Timing,
    change_plan,
    renew_due_subscriptions,
)
from tests.subscriptions.factories import (
    ACTOR,
    MONTHLY_PRICE,
    START,
    make_plan,
    subscribe_with_card,
)

pytestmark = pytest.mark.django_db

PREMIUM = Money(149_900, "RUB")
BASIC = Money(49_900, "RUB")
# Ten days, three hours and seven seconds into the 28-day February period.
CHANGE_AT = START + dt.timedelta(days=10, hours=3, seconds=7)


def _share_left(subscription: Subscription, at: dt.datetime) -> Fraction:
    """remaining / length of the current period, exact to the microsecond."""
    micro = dt.timedelta(microseconds=1)
    return Fraction(
        (subscription.current_period_ends_at - at) // micro,
        (subscription.current_period_ends_at - subscription.current_period_starts_at)
        // micro,
    )


def _half_even(amount_minor: int, share: Fraction) -> int:
    exact = amount_minor * share
    return int(
        (Decimal(exact.numerator) / Decimal(exact.denominator)).quantize(
            Decimal(1), rounding=ROUND_HALF_EVEN
        )
    )


def _lines(invoice: Invoice) -> list[tuple[str, int]]:
    return [
        (line.kind, line.amount_minor)
        for line in InvoiceLine.objects.filter(invoice=invoice).order_by("id")
    ]


class TestUpgrade:
    def test_charges_the_rest_of_the_period_less_the_unused_part(
        self, fake_gateway: FakeGateway
    ) -> None:
        subscription = subscribe_with_card(make_plan()).subscription
        make_plan(code="premium", price=PREMIUM)
        share = _share_left(subscription, CHANGE_AT)

        change = change_plan(
            subscription_id=subscription.id,
            plan_code="premium",
            now=CHANGE_AT,
            actor=ACTOR,
        )

        credit = _half_even(MONTHLY_PRICE.amount_minor, share)
        charge = _half_even(PREMIUM.amount_minor, share)
        assert change.timing == Timing.NOW
        assert change.invoice is not None
        assert _lines(change.invoice) == [
            ("PRORATION_CREDIT", -credit),
            ("PRORATION_CHARGE", charge),
        ]
        assert change.invoice.total_minor == charge - credit
        assert change.invoice.status == InvoiceStatus.PAID
        assert fake_gateway.calls_to("charge")[-1]["request"].amount == Money(
            charge - credit, "RUB"
        )
        assert change.subscription.plan.code == "premium"
        assert change.subscription.current_period_ends_at == dt.datetime(
            2026, 2, 28, 9, 0, tzinfo=dt.UTC
        )

    def test_the_next_renewal_bills_the_new_plan(
        self, fake_gateway: FakeGateway
    ) -> None:
        subscription = subscribe_with_card(make_plan()).subscription
        make_plan(code="premium", price=PREMIUM)
        change_plan(
            subscription_id=subscription.id,
            plan_code="premium",
            now=CHANGE_AT,
            actor=ACTOR,
        )

        renew_due_subscriptions(
            gateway="fake", clock=lambda: subscription.current_period_ends_at
        )

        renewal = Invoice.objects.filter(subscription_id=subscription.id).latest("id")
        assert renewal.total == PREMIUM

    def test_a_declined_upgrade_changes_nothing(
        self, fake_gateway: FakeGateway
    ) -> None:
        subscription = subscribe_with_card(make_plan()).subscription
        make_plan(code="premium", price=PREMIUM)
        fake_gateway.script(
            "charge", Declined(reason_code="5051", message="No funds", hard=False)
        )

        with pytest.raises(PlanChangePaymentFailed):
            change_plan(
                subscription_id=subscription.id,
                plan_code="premium",
                now=CHANGE_AT,
                actor=ACTOR,
            )

        subscription.refresh_from_db()
        assert subscription.plan.code == "monthly"
        update = Invoice.objects.get(billing_reason="SUBSCRIPTION_UPDATE")
        assert update.status == InvoiceStatus.VOID

    def test_to_a_longer_plan_starts_a_new_period_now(
        self, fake_gateway: FakeGateway
    ) -> None:
        subscription = subscribe_with_card(make_plan()).subscription
        yearly = Money(999_000, "RUB")
        make_plan(code="yearly", price=yearly, interval="year")
        share = _share_left(subscription, CHANGE_AT)

        change = change_plan(
            subscription_id=subscription.id,
            plan_code="yearly",
            now=CHANGE_AT,
            actor=ACTOR,
        )

        credit = _half_even(MONTHLY_PRICE.amount_minor, share)
        assert change.invoice is not None
        assert _lines(change.invoice) == [
            ("PRORATION_CREDIT", -credit),
            ("PLAN", yearly.amount_minor),
        ]
        assert change.subscription.current_period_starts_at == CHANGE_AT
        assert change.subscription.billing_anchor_at == CHANGE_AT
        assert change.subscription.current_period_ends_at == CHANGE_AT.replace(
            year=2027
        )


class TestDowngrade:
    def test_waits_for_the_period_end_then_renews_at_the_new_price(
        self, fake_gateway: FakeGateway
    ) -> None:
        subscription = subscribe_with_card(make_plan()).subscription
        make_plan(code="basic", price=BASIC)

        change = change_plan(
            subscription_id=subscription.id,
            plan_code="basic",
            now=CHANGE_AT,
            actor=ACTOR,
        )
        renew_due_subscriptions(
            gateway="fake", clock=lambda: subscription.current_period_ends_at
        )

        assert change.timing == Timing.PERIOD_END
        assert change.invoice is None
        assert len(fake_gateway.calls_to("charge")) == 2
        subscription.refresh_from_db()
        assert subscription.plan.code == "basic"
        assert subscription.scheduled_plan_id is None
        renewal = Invoice.objects.filter(subscription_id=subscription.id).latest("id")
        assert renewal.total == BASIC


class TestCarriedCredit:
    def test_a_credit_larger_than_the_new_price_pays_later_invoices(
        self, fake_gateway: FakeGateway
    ) -> None:
        """A promotional yearly plan cheaper than the month left on the old one."""
        subscription = subscribe_with_card(make_plan()).subscription
        yearly = Money(30_000, "RUB")
        make_plan(code="promo-yearly", price=yearly, interval="year")
        at = START + dt.timedelta(hours=1)
        credit = _half_even(MONTHLY_PRICE.amount_minor, _share_left(subscription, at))

        change = change_plan(
            subscription_id=subscription.id,
            plan_code="promo-yearly",
            now=at,
            actor=ACTOR,
        )
        subscription.refresh_from_db()
        carried = subscription.credit_minor
        renew_due_subscriptions(
            gateway="fake", clock=lambda: subscription.current_period_ends_at
        )

        assert change.invoice is not None
        assert change.invoice.total_minor == 0
        assert change.invoice.status == InvoiceStatus.PAID
        assert carried == credit - yearly.amount_minor
        subscription.refresh_from_db()
        assert subscription.credit_minor == carried - yearly.amount_minor
        renewal = Invoice.objects.filter(subscription_id=subscription.id).latest("id")
        assert renewal.total_minor == 0
        assert renewal.status == InvoiceStatus.PAID
        assert len(fake_gateway.calls_to("charge")) == 1
        owed = sum(
            e.credit_minor - e.debit_minor
            for e in LedgerEntry.objects.filter(account="CUSTOMER_CREDIT")
        )
        assert owed == subscription.credit_minor


class TestRefusals:
    def test_a_plan_on_another_gateway(self, fake_gateway: FakeGateway) -> None:
        subscription = subscribe_with_card(make_plan()).subscription
        make_plan(code="stripe-plan", gateway="stripe")

        with pytest.raises(PlanChangeNotAllowed):
            change_plan(
                subscription_id=subscription.id,
                plan_code="stripe-plan",
                now=CHANGE_AT,
                actor=ACTOR,
            )

    def test_a_plan_in_another_currency(self, fake_gateway: FakeGateway) -> None:
        subscription = subscribe_with_card(make_plan()).subscription
        make_plan(code="usd", price=Money(999, "USD"))

        with pytest.raises(CurrencyMismatch):
            change_plan(
                subscription_id=subscription.id,
                plan_code="usd",
                now=CHANGE_AT,
                actor=ACTOR,
            )

    def test_a_plan_the_payer_already_holds(self, fake_gateway: FakeGateway) -> None:
        subscription = subscribe_with_card(make_plan()).subscription
        premium = make_plan(code="premium", price=PREMIUM)
        subscribe_with_card(premium, payer_id=subscription.payer_id)

        with pytest.raises(AlreadySubscribed):
            change_plan(
                subscription_id=subscription.id,
                plan_code="premium",
                now=CHANGE_AT,
                actor=ACTOR,
            )

    def test_the_same_plan_changes_nothing(self, fake_gateway: FakeGateway) -> None:
        subscription = subscribe_with_card(make_plan()).subscription

        change = change_plan(
            subscription_id=subscription.id,
            plan_code="monthly",
            now=CHANGE_AT,
            actor=ACTOR,
        )

        assert change.timing == Timing.UNCHANGED
        assert len(fake_gateway.calls_to("charge")) == 1


class TestTrialPlanChange:
    def test_changes_at_once_with_nothing_to_pay(
        self, fake_gateway: FakeGateway
    ) -> None:
        subscription = subscribe_with_card(make_plan(trial_days=14)).subscription
        make_plan(code="premium", price=PREMIUM)

        change = change_plan(
            subscription_id=subscription.id,
            plan_code="premium",
            now=START + dt.timedelta(days=1),
            actor=ACTOR,
        )

        assert change.timing == Timing.NOW
        assert change.subscription.plan.code == "premium"
        assert fake_gateway.calls_to("charge") == []
