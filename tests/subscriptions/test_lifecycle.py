"""A subscriber's own changes on the in-memory gateway: cancel, undo, pause, resume."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction

import pytest

from billing.errors import InvalidStatusTransition
from billing.models import BillingEvent, Invoice, InvoiceStatus
from billing.money import Money
from payments.gateways.base import Declined
from payments.gateways.fake import FakeGateway
from payments.services import NoUsablePaymentMethod
from subscriptions.models import Subscription, SubscriptionStatus
from subscriptions.services import (
    RenewalInProgress,
    SubscriptionNotFound,
    cancel_subscription,
    change_plan,
    pause_subscription,
    renew_due_subscriptions,
    resume_subscription,
    retry_past_due_now,
    undo_cancellation,
)
from tests.subscriptions.factories import (
    ACTOR,
    MONTHLY_PRICE,
    START,
    make_plan,
    subscribe_with_card,
)

pytestmark = pytest.mark.django_db


def active() -> Subscription:
    return subscribe_with_card(make_plan()).subscription


def renew_at(moment: dt.datetime) -> None:
    renew_due_subscriptions(gateway="fake", clock=lambda: moment)


def reloaded(subscription: Subscription) -> Subscription:
    subscription.refresh_from_db()
    return subscription


class TestCancelAtPeriodEnd:
    def test_keeps_access_until_the_end_then_ends_without_a_charge(
        self, fake_gateway: FakeGateway
    ) -> None:
        subscription = active()
        period_end = subscription.current_period_ends_at

        scheduled = cancel_subscription(
            subscription_id=subscription.id,
            now=START + dt.timedelta(days=3),
            actor=ACTOR,
            at_period_end=True,
            reason="too expensive",
        ).subscription
        renew_at(period_end)

        assert scheduled.status == SubscriptionStatus.ACTIVE
        assert scheduled.cancel_at == period_end
        subscription = reloaded(subscription)
        assert subscription.status == SubscriptionStatus.CANCELED
        assert subscription.ended_at == period_end
        assert Invoice.objects.filter(subscription_id=subscription.id).count() == 1
        assert len(fake_gateway.calls_to("charge")) == 1

    def test_undo_keeps_the_subscription_renewing(
        self, fake_gateway: FakeGateway
    ) -> None:
        subscription = active()
        cancel_subscription(
            subscription_id=subscription.id,
            now=START,
            actor=ACTOR,
            at_period_end=True,
        )

        kept = undo_cancellation(
            subscription_id=subscription.id, now=START, actor=ACTOR
        )
        renew_at(subscription.current_period_ends_at)

        assert kept.cancel_at is None
        assert reloaded(subscription).status == SubscriptionStatus.ACTIVE
        assert Invoice.objects.filter(subscription_id=subscription.id).count() == 2
        assert BillingEvent.objects.filter(
            type="subscription.cancellation_undone"
        ).exists()

    def test_undo_without_a_pending_cancellation_is_refused(
        self, fake_gateway: FakeGateway
    ) -> None:
        subscription = active()

        with pytest.raises(InvalidStatusTransition):
            undo_cancellation(subscription_id=subscription.id, now=START, actor=ACTOR)


class TestCancelNow:
    def test_ends_access_at_once(self, fake_gateway: FakeGateway) -> None:
        subscription = active()
        now = START + dt.timedelta(days=10)

        canceled = cancel_subscription(
            subscription_id=subscription.id, now=now, actor=ACTOR, at_period_end=False
        )

        assert canceled.subscription.status == SubscriptionStatus.CANCELED
        assert canceled.subscription.ended_at == now
        assert canceled.refunds == ()
        renew_at(subscription.current_period_ends_at)
        assert len(fake_gateway.calls_to("charge")) == 1

    def test_refunds_the_unused_part_prorated_to_the_minor_unit(
        self, fake_gateway: FakeGateway
    ) -> None:
        subscription = active()
        period = subscription.current_period
        now = START + dt.timedelta(days=10, hours=3, seconds=7)

        canceled = cancel_subscription(
            subscription_id=subscription.id,
            now=now,
            actor=ACTOR,
            at_period_end=False,
            refund_unused=True,
        )

        share = Fraction(
            (period.ends_at - now) // dt.timedelta(microseconds=1),
            (period.ends_at - period.starts_at) // dt.timedelta(microseconds=1),
        )
        exact = MONTHLY_PRICE.amount_minor * share
        expected = (Decimal(exact.numerator) / Decimal(exact.denominator)).quantize(
            Decimal(1), rounding=ROUND_HALF_EVEN
        )
        (refund,) = canceled.refunds
        assert refund.status == "SUCCEEDED"
        assert refund.amount_minor == int(expected)
        assert fake_gateway.refunds[0].amount.amount_minor == int(expected)

    def test_after_an_upgrade_both_paid_parts_of_the_period_are_refunded(
        self, fake_gateway: FakeGateway
    ) -> None:
        """The period's plan and the upgrade bought in it: the new plan's unused
        value comes back, within a minor unit of each rounding."""
        subscription = active()
        premium = Money(149_900, "RUB")
        make_plan(code="premium", price=premium)
        change_plan(
            subscription_id=subscription.id,
            plan_code="premium",
            now=START + dt.timedelta(days=7),
            actor=ACTOR,
        )
        now = START + dt.timedelta(days=14)

        canceled = cancel_subscription(
            subscription_id=subscription.id,
            now=now,
            actor=ACTOR,
            at_period_end=False,
            refund_unused=True,
        )

        period = subscription.current_period
        left = Fraction(
            (period.ends_at - now) // dt.timedelta(microseconds=1),
            (period.ends_at - period.starts_at) // dt.timedelta(microseconds=1),
        )
        refunded = sum(refund.amount_minor for refund in canceled.refunds)
        assert len(canceled.refunds) == 2
        assert abs(refunded - premium.amount_minor * left) <= 2

    def test_an_unpaid_invoice_of_a_past_due_one_is_voided(
        self, fake_gateway: FakeGateway
    ) -> None:
        subscription = active()
        fake_gateway.script(
            "charge", Declined(reason_code="5051", message="No", hard=False)
        )
        renew_at(subscription.current_period_ends_at)
        assert reloaded(subscription).status == SubscriptionStatus.PAST_DUE

        cancel_subscription(
            subscription_id=subscription.id,
            now=subscription.current_period_ends_at + dt.timedelta(hours=1),
            actor=ACTOR,
            at_period_end=False,
        )

        renewal = Invoice.objects.filter(subscription_id=subscription.id).latest("id")
        assert renewal.status == InvoiceStatus.VOID

    def test_twice_is_refused(self, fake_gateway: FakeGateway) -> None:
        subscription = active()
        cancel_subscription(
            subscription_id=subscription.id, now=START, actor=ACTOR, at_period_end=False
        )

        with pytest.raises(InvalidStatusTransition):
            cancel_subscription(
                subscription_id=subscription.id,
                now=START,
                actor=ACTOR,
                at_period_end=False,
            )

    def test_an_unknown_subscription_is_not_found(self) -> None:
        with pytest.raises(SubscriptionNotFound):
            cancel_subscription(
                subscription_id=uuid.uuid4(),
                now=START,
                actor=ACTOR,
                at_period_end=False,
            )

    def test_waits_while_a_renewal_is_being_charged(
        self, fake_gateway: FakeGateway
    ) -> None:
        subscription = active()
        Subscription.objects.filter(id=subscription.id).update(
            claimed_by=uuid.uuid4(), due_at=START + dt.timedelta(minutes=10)
        )

        with pytest.raises(RenewalInProgress):
            cancel_subscription(
                subscription_id=subscription.id,
                now=START,
                actor=ACTOR,
                at_period_end=False,
            )


class TestPauseAndResume:
    def test_no_charge_while_paused_and_the_period_shifts_by_the_pause(
        self, fake_gateway: FakeGateway
    ) -> None:
        subscription = active()
        period_end = subscription.current_period_ends_at
        paused_at = START + dt.timedelta(days=10)
        resumed_at = paused_at + dt.timedelta(days=45)

        pause_subscription(subscription_id=subscription.id, now=paused_at, actor=ACTOR)
        renew_at(period_end + dt.timedelta(days=20))
        resumed = resume_subscription(
            subscription_id=subscription.id, now=resumed_at, actor=ACTOR
        )
        renew_at(resumed.current_period_ends_at)

        assert resumed.status == SubscriptionStatus.ACTIVE
        assert resumed.current_period_ends_at == period_end + dt.timedelta(days=45)
        assert resumed.billing_anchor_at == resumed.current_period_ends_at
        renewal = Invoice.objects.filter(subscription_id=subscription.id).latest("id")
        assert renewal.period_starts_at == period_end + dt.timedelta(days=45)
        assert renewal.period_ends_at == dt.datetime(2026, 5, 14, 9, 0, tzinfo=dt.UTC)
        assert len(fake_gateway.calls_to("charge")) == 2
        assert BillingEvent.objects.filter(type="subscription.resumed").exists()

    def test_a_paused_trial_resumes_as_a_trial(self, fake_gateway: FakeGateway) -> None:
        subscription = subscribe_with_card(make_plan(trial_days=14)).subscription

        pause_subscription(subscription_id=subscription.id, now=START, actor=ACTOR)
        resumed = resume_subscription(
            subscription_id=subscription.id,
            now=START + dt.timedelta(days=3),
            actor=ACTOR,
        )

        assert resumed.status == SubscriptionStatus.TRIALING
        assert resumed.trial_ends_at == START + dt.timedelta(days=17)

    def test_resume_of_an_active_subscription_is_refused(
        self, fake_gateway: FakeGateway
    ) -> None:
        subscription = active()

        with pytest.raises(InvalidStatusTransition):
            resume_subscription(subscription_id=subscription.id, now=START, actor=ACTOR)

    def test_pausing_twice_is_harmless(self, fake_gateway: FakeGateway) -> None:
        subscription = active()
        pause_subscription(subscription_id=subscription.id, now=START, actor=ACTOR)

        again = pause_subscription(
            subscription_id=subscription.id,
            now=START + dt.timedelta(days=1),
            actor=ACTOR,
        )

        assert again.status == SubscriptionStatus.PAUSED
        assert again.paused_at == START


class TestRetryNow:
    def test_a_soft_failure_is_retried_at_the_next_run(
        self, fake_gateway: FakeGateway
    ) -> None:
        subscription = active()
        failed_at = subscription.current_period_ends_at
        fake_gateway.script(
            "charge", Declined(reason_code="5051", message="No", hard=False)
        )
        renew_at(failed_at)

        retry_past_due_now(
            subscription_id=subscription.id,
            now=failed_at + dt.timedelta(hours=1),
            actor=ACTOR,
        )
        renew_at(failed_at + dt.timedelta(hours=1))

        assert reloaded(subscription).status == SubscriptionStatus.ACTIVE

    def test_a_card_declined_for_good_is_not_retried(
        self, fake_gateway: FakeGateway
    ) -> None:
        subscription = active()
        fake_gateway.script(
            "charge", Declined(reason_code="5054", message="Expired", hard=True)
        )
        renew_at(subscription.current_period_ends_at)

        with pytest.raises(NoUsablePaymentMethod):
            retry_past_due_now(subscription_id=subscription.id, now=START, actor=ACTOR)

        assert reloaded(subscription).needs_new_payment_method

    def test_only_a_past_due_subscription_is_retried(
        self, fake_gateway: FakeGateway
    ) -> None:
        subscription = active()

        with pytest.raises(InvalidStatusTransition):
            retry_past_due_now(subscription_id=subscription.id, now=START, actor=ACTOR)
