"""The books hold whatever subscribers and staff do, in whatever order.

A hypothesis state machine drives the public use cases (subscribe, the renewal run
as the clock moves, declines, dunning retries, refunds, plan changes, pauses and
cancellations) on the in-memory gateway, and after every step proves the books
against the facts: every posting balances, receivable is what open invoices owe,
cash is what the gateway captured less what it refunded, and no subscription
period is billed twice.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

import pytest
from django.db import transaction
from django.db.models import F, QuerySet, Sum
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from billing.errors import InvalidStatusTransition
from billing.models import (
    PERIOD_REASONS,
    Invoice,
    InvoiceStatus,
    LedgerAccount,
    LedgerEntry,
)
from billing.money import Money
from payments.gateways import get_gateway, reset_gateways
from payments.gateways.base import Declined
from payments.gateways.fake import FakeGateway
from payments.models import Payment, PaymentStatus, RefundReason
from payments.services import NoUsablePaymentMethod, refund_payment
from subscriptions.models import (
    LIVE_STATUSES,
    Plan,
    Subscription,
    SubscriptionStatus,
)
from subscriptions.services import (
    AlreadySubscribed,
    DunningPolicy,
    PlanChangeNotAllowed,
    PlanChangePaymentFailed,
    cancel_subscription,
    change_plan,
    pause_subscription,
    renew_due_subscriptions,
    resume_subscription,
    retry_past_due_now,
)
from tests.subscriptions.factories import (
    ACTOR,
    START,
    PlanFactory,
    SubscriptionFactory,
)

pytestmark = pytest.mark.django_db

POLICY = DunningPolicy(retry_days=(1, 3, 5, 7))
CURRENCY = "RUB"
# Three plans on one gateway: a cheaper one with a trial and a dearer one (changes
# between them are downgrades and upgrades), and a yearly one (a change of cycle).
PLANS: dict[str, dict[str, Any]] = {
    "basic": {"price": Money(49_900, CURRENCY), "trial_days": 7},
    "premium": {"price": Money(99_900, CURRENCY)},
    "yearly": {"price": Money(999_000, CURRENCY), "interval": "year"},
}
# What a service may refuse in a state the machine reached: refusals leave the
# books untouched, which the invariants then prove.
REFUSALS = (
    AlreadySubscribed,
    InvalidStatusTransition,
    NoUsablePaymentMethod,
    PlanChangeNotAllowed,
    PlanChangePaymentFailed,
)
PLAN_CODES = st.sampled_from(sorted(PLANS))
# How the bank answers the next charge: mostly yes.
BANK_ANSWERS = st.sampled_from(
    ["approve", "approve", "approve", "soft decline", "hard decline"]
)
CHANGEABLE = (SubscriptionStatus.ACTIVE, SubscriptionStatus.TRIALING)


def soft_decline() -> Declined:
    return Declined(reason_code="5051", message="Insufficient funds", hard=False)


def hard_decline() -> Declined:
    return Declined(reason_code="5054", message="Expired card", hard=True)


class Books(RuleBasedStateMachine):
    """One example: a fresh database savepoint, gateway and clock."""

    def __init__(self) -> None:
        super().__init__()
        # Each example runs in a savepoint of the test's transaction, rolled back
        # in `teardown`, so examples never see each other's rows.
        self._savepoint = transaction.atomic()
        self._savepoint.__enter__()
        reset_gateways()
        gateway = get_gateway("fake")
        assert isinstance(gateway, FakeGateway)
        self.gateway = gateway
        self.now = START
        # In the order subscribed, so that a draw picks the same one on every run.
        self.subscription_ids: list[uuid.UUID] = []
        # How many charges the gateway had seen when a refusal was last scripted.
        self.charges_when_declined = -1
        self.plans: dict[str, Plan] = {
            code: PlanFactory.create(code=code, **terms)
            for code, terms in PLANS.items()
        }

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self._savepoint.__exit__(None, None, None)
        reset_gateways()

    # The subscribers' and staff's steps ----------------------------------------

    @rule(plan=PLAN_CODES, with_trial=st.booleans(), bank=BANK_ANSWERS)
    def subscribe(self, plan: str, with_trial: bool, bank: str) -> None:
        """A new payer subscribes with a card just entered, a minute after the last."""
        self.answer_next_charge(bank)
        self.now += dt.timedelta(minutes=1)
        subscription = SubscriptionFactory.create(
            plan=self.plans[plan],
            payer_id=uuid.UUID(int=len(self.subscription_ids) + 1),
            now=self.now,
            with_trial=with_trial,
        )
        self.subscription_ids.append(subscription.id)

    @rule(days=st.sampled_from([1, 2, 4, 8, 16, 31]), bank=BANK_ANSWERS)
    def renew(self, days: int, bank: str) -> None:
        """Time passes and the renewal run (renewals, dunning, endings) goes by.

        Steps from a day (a dunning retry) to a month (a whole period).
        """
        self.answer_next_charge(bank)
        self.now += dt.timedelta(days=days)
        self.run_renewals()

    @precondition(lambda self: self._in(SubscriptionStatus.PAST_DUE))
    @rule(data=st.data(), bank=BANK_ANSWERS)
    def retry(self, data: st.DataObject, bank: str) -> None:
        """Staff retry a past-due invoice now; the next run (a minute on) does."""
        subscription_id = self._pick(data, SubscriptionStatus.PAST_DUE)
        self._refused_or_done(
            lambda: retry_past_due_now(
                subscription_id=subscription_id, now=self.now, actor=ACTOR
            )
        )
        self.answer_next_charge(bank)
        self.now += dt.timedelta(minutes=1)
        self.run_renewals()

    @precondition(lambda self: self._refundable().exists())
    @rule(data=st.data(), whole=st.booleans())
    def refund(self, data: st.DataObject, whole: bool) -> None:
        """Staff refund a payment, in full or in part."""
        payment = data.draw(
            st.sampled_from(
                list(self._refundable().order_by("created_at", "gateway_reference"))
            )
        )
        left = payment.captured_minor - payment.refunded_minor
        part = left if whole else data.draw(st.integers(min_value=1, max_value=left))
        refund_payment(
            payment_id=payment.id,
            reason=RefundReason.REQUESTED_BY_CUSTOMER,
            requested_by=ACTOR,
            now=self.now,
            amount=Money(part, payment.currency),
        )

    @precondition(lambda self: self._in(*CHANGEABLE))
    @rule(data=st.data(), plan=PLAN_CODES, bank=BANK_ANSWERS)
    def change_plan(self, data: st.DataObject, plan: str, bank: str) -> None:
        """The subscriber moves to another plan (an upgrade is charged at once)."""
        subscription_id = self._pick(data, *CHANGEABLE)
        self.answer_next_charge(bank)
        self._refused_or_done(
            lambda: change_plan(
                subscription_id=subscription_id,
                plan_code=plan,
                now=self.now,
                actor=ACTOR,
            )
        )

    @precondition(lambda self: self._in(*CHANGEABLE))
    @rule(data=st.data())
    def pause(self, data: st.DataObject) -> None:
        subscription_id = self._pick(data, *CHANGEABLE)
        pause_subscription(subscription_id=subscription_id, now=self.now, actor=ACTOR)

    @precondition(lambda self: self._in(SubscriptionStatus.PAUSED))
    @rule(data=st.data())
    def resume(self, data: st.DataObject) -> None:
        subscription_id = self._pick(data, SubscriptionStatus.PAUSED)
        resume_subscription(subscription_id=subscription_id, now=self.now, actor=ACTOR)

    @precondition(lambda self: self._in(*LIVE_STATUSES))
    @rule(data=st.data(), at_period_end=st.booleans(), refund_unused=st.booleans())
    def cancel(
        self, data: st.DataObject, at_period_end: bool, refund_unused: bool
    ) -> None:
        """The subscriber cancels now (perhaps refunded the rest) or at period end."""
        subscription_id = self._pick(data, *LIVE_STATUSES)
        self._refused_or_done(
            lambda: cancel_subscription(
                subscription_id=subscription_id,
                now=self.now,
                actor=ACTOR,
                at_period_end=at_period_end,
                refund_unused=refund_unused,
            )
        )

    # The gateway and the clock ---------------------------------------------------

    def answer_next_charge(self, bank: str) -> None:
        """Have the bank refuse the next charge, or not.

        A refusal that its step does not use (no charge was due) meets the next
        charge of a later step; refusals never pile up beyond that one.
        """
        charges = len(self.gateway.calls_to("charge"))
        if bank == "approve" or charges == self.charges_when_declined:
            return
        self.gateway.script(
            "charge", soft_decline() if bank == "soft decline" else hard_decline()
        )
        self.charges_when_declined = charges

    def run_renewals(self) -> None:
        renew_due_subscriptions(gateway="fake", clock=lambda: self.now, policy=POLICY)

    # The books ------------------------------------------------------------------

    @invariant()
    def every_posting_balances(self) -> None:
        sums = (
            LedgerEntry.objects.order_by()
            .values("posting", "currency")
            .annotate(debits=Sum("debit_minor"), credits=Sum("credit_minor"))
        )
        unbalanced = [row for row in sums if row["debits"] != row["credits"]]
        assert unbalanced == []

    @invariant()
    def receivable_is_what_open_invoices_owe(self) -> None:
        owed = _per_currency(
            (invoice.currency, invoice.total_minor - invoice.amount_paid_minor)
            for invoice in Invoice.objects.filter(status=InvoiceStatus.OPEN)
        )
        assert _balances(LedgerAccount.RECEIVABLE) == owed

    @invariant()
    def cash_is_captured_less_refunded(self) -> None:
        """By the gateway's own account, and by the payments' rows."""
        at_gateway = _per_currency(
            (p.amount.currency, p.captured.amount_minor - p.refunded.amount_minor)
            for p in self.gateway.payments.values()
        )
        by_payments = _per_currency(
            Payment.objects.filter(gateway="fake")
            .order_by()
            .values_list("currency")
            .annotate(held=Sum(F("captured_minor") - F("refunded_minor")))
        )
        books = _balances(LedgerAccount.GATEWAY_CASH, subaccount="fake")
        assert books == at_gateway
        assert books == by_payments

    @invariant()
    def no_period_is_billed_twice(self) -> None:
        periods: defaultdict[uuid.UUID, list[tuple[dt.datetime, dt.datetime]]] = (
            defaultdict(list)
        )
        for invoice in Invoice.objects.filter(billing_reason__in=PERIOD_REASONS):
            assert invoice.subscription_id is not None
            assert invoice.period_starts_at is not None
            assert invoice.period_ends_at is not None
            periods[invoice.subscription_id].append(
                (invoice.period_starts_at, invoice.period_ends_at)
            )
        for billed in periods.values():
            billed.sort()
            for (_, ends), (next_starts, _) in itertools.pairwise(billed):
                assert ends <= next_starts, billed

    # Choosing what to act on ----------------------------------------------------

    def _in(self, *statuses: str) -> bool:
        return Subscription.objects.filter(status__in=statuses).exists()

    def _pick(self, data: st.DataObject, *statuses: str) -> uuid.UUID:
        found = set(
            Subscription.objects.filter(status__in=statuses).values_list(
                "id", flat=True
            )
        )
        ids = [id_ for id_ in self.subscription_ids if id_ in found]
        return data.draw(st.sampled_from(ids))

    def _refundable(self) -> QuerySet[Payment]:
        return Payment.objects.filter(
            status=PaymentStatus.SUCCEEDED, captured_minor__gt=F("refunded_minor")
        )

    @staticmethod
    def _refused_or_done(step: Callable[[], object]) -> None:
        with contextlib.suppress(*REFUSALS):
            step()


def _balances(account: LedgerAccount, subaccount: str = "") -> dict[str, int]:
    """The account's debit balance per currency, leaving out zeros."""
    return _per_currency(
        LedgerEntry.objects.filter(account=account, subaccount=subaccount)
        .order_by()
        .values_list("currency")
        .annotate(net=Sum(F("debit_minor") - F("credit_minor")))
    )


def _per_currency(amounts: Iterable[tuple[str, int]]) -> dict[str, int]:
    totals: defaultdict[str, int] = defaultdict(int)
    for currency, amount in amounts:
        totals[currency] += amount
    return {currency: total for currency, total in totals.items() if total}


# A failure is shrunk to its shortest story, replaying the steps many times: that
# takes minutes where passing takes seconds.
@pytest.mark.timeout(600)
def test_the_books_hold_whatever_happens() -> None:
    run_state_machine_as_test(
        Books,
        settings=settings(
            max_examples=25,
            stateful_step_count=50,
            deadline=None,
            # The same examples on every run: CI fails on the code, never on luck.
            derandomize=True,
            database=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
