"""Subscriptions and their state machine."""

from __future__ import annotations

import uuid
from typing import Final

from django.db import models

from billing.models import Payer, StatusMachine
from payments.models import Gateway, PaymentMethod
from subscriptions.models._plans import Plan, PlanPrice
from subscriptions.periods import Period


class SubscriptionStatus(models.TextChoices):
    # Waiting for its first payment (3-D Secure, say); EXPIRED if it never comes.
    INCOMPLETE = "INCOMPLETE", "Incomplete"
    TRIALING = "TRIALING", "Trialing"
    ACTIVE = "ACTIVE", "Active"
    # The period's invoice is unpaid; dunning retries it. Access continues.
    PAST_DUE = "PAST_DUE", "Past due"
    PAUSED = "PAUSED", "Paused"
    CANCELED = "CANCELED", "Canceled"
    EXPIRED = "EXPIRED", "Expired"


ALLOWED_TRANSITIONS: Final[dict[str, frozenset[str]]] = {
    SubscriptionStatus.INCOMPLETE: frozenset(
        {
            SubscriptionStatus.ACTIVE,
            SubscriptionStatus.TRIALING,
            SubscriptionStatus.EXPIRED,
            SubscriptionStatus.CANCELED,
        }
    ),
    SubscriptionStatus.TRIALING: frozenset(
        {
            SubscriptionStatus.ACTIVE,
            SubscriptionStatus.PAST_DUE,
            SubscriptionStatus.PAUSED,
            SubscriptionStatus.CANCELED,
        }
    ),
    SubscriptionStatus.ACTIVE: frozenset(
        {
            SubscriptionStatus.PAST_DUE,
            SubscriptionStatus.PAUSED,
            SubscriptionStatus.CANCELED,
        }
    ),
    SubscriptionStatus.PAST_DUE: frozenset(
        {
            SubscriptionStatus.ACTIVE,
            SubscriptionStatus.CANCELED,
            SubscriptionStatus.EXPIRED,
        }
    ),
    SubscriptionStatus.PAUSED: frozenset(
        {
            SubscriptionStatus.ACTIVE,
            SubscriptionStatus.TRIALING,
            SubscriptionStatus.CANCELED,
        }
    ),
    SubscriptionStatus.CANCELED: frozenset(),
    SubscriptionStatus.EXPIRED: frozenset(),
}
# At most one of these per payer and plan (a database constraint).
LIVE_STATUSES: Final = (
    SubscriptionStatus.INCOMPLETE,
    SubscriptionStatus.TRIALING,
    SubscriptionStatus.ACTIVE,
    SubscriptionStatus.PAST_DUE,
    SubscriptionStatus.PAUSED,
)
_STAMPS: Final[dict[str, str | tuple[str, ...]]] = {
    SubscriptionStatus.ACTIVE: "activated_at",
    SubscriptionStatus.PAST_DUE: "past_due_since",
    SubscriptionStatus.PAUSED: "paused_at",
    SubscriptionStatus.CANCELED: ("canceled_at", "ended_at"),
    SubscriptionStatus.EXPIRED: "ended_at",
}


class Subscription(StatusMachine, models.Model):
    TRANSITIONS = ALLOWED_TRANSITIONS
    STAMPS = _STAMPS
    SUBJECT = "subscription"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    payer = models.ForeignKey(
        Payer, on_delete=models.PROTECT, related_name="subscriptions"
    )
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="+")
    # What this subscriber pays per period: the plan's price when they subscribed,
    # kept when the plan's price changes until they are migrated explicitly.
    price = models.ForeignKey(PlanPrice, on_delete=models.PROTECT, related_name="+")
    # The plan's gateway, copied so that the renewal run can claim per gateway.
    gateway = models.CharField(max_length=20, choices=Gateway.choices)
    # The card to charge; None charges the payer's default card.
    payment_method = models.ForeignKey(
        PaymentMethod,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(
        max_length=10,
        choices=SubscriptionStatus.choices,
        default=SubscriptionStatus.INCOMPLETE,
    )
    # WARNING: every period boundary is computed from this anchor (see
    # `subscriptions.periods.add_intervals`), never from the previous boundary, so
    # that 31 January renews on 28/29 February and again on 31 March. Only a pause
    # moves it (to the period end shifted by the pause); changing it otherwise moves
    # every future renewal date.
    billing_anchor_at = models.DateTimeField()
    # The IANA zone whose wall clock the boundaries follow ("Europe/Moscow"): a
    # renewal at 00:30 local stays at 00:30 whatever daylight saving does.
    time_zone = models.CharField(max_length=64, default="UTC")
    # The period the subscriber is in, half-open: [starts_at, ends_at). During a
    # trial, the trial.
    current_period_starts_at = models.DateTimeField()
    current_period_ends_at = models.DateTimeField()
    trial_ends_at = models.DateTimeField(null=True, blank=True)
    # A cancellation scheduled for the end of the period; cleared by an undo.
    cancel_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=200, blank=True)
    # A downgrade waiting for the end of the period.
    scheduled_plan = models.ForeignKey(
        Plan, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    scheduled_price = models.ForeignKey(
        PlanPrice, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Credit owed to the subscriber (a plan change's unused part larger than the
    # new charge), taken off the next invoices; in the price's currency.
    credit_minor = models.BigIntegerField(default=0)
    # Dunning: retries of the current period's invoice after a failed renewal.
    retry_count = models.PositiveSmallIntegerField(default=0)
    next_retry_at = models.DateTimeField(null=True, blank=True)
    # A hard decline: no more retries until the payer gives a new card.
    needs_new_payment_method = models.BooleanField(default=False)
    # The latest payment whose outcome was applied here: news of the same payment
    # arriving again (a task run twice) changes nothing.
    latest_payment_id = models.UUIDField(null=True, blank=True)
    # When the renewal run must next look at this subscription: the period or trial
    # end, the next retry, the end of dunning, or a claim's lease. None when nothing
    # is scheduled (paused, ended). The run claims rows with due_at <= now.
    due_at = models.DateTimeField(null=True, blank=True)
    # The renewal run that claimed the row (its lease ends at `due_at`). Only one run
    # per gateway works at a time, so a claim by another run is a dead run's.
    claimed_by = models.UUIDField(null=True, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    activated_at = models.DateTimeField(null=True, blank=True)
    past_due_since = models.DateTimeField(null=True, blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    canceled_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=SubscriptionStatus.values),
                name="subscription_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    current_period_ends_at__gt=models.F("current_period_starts_at")
                ),
                name="subscription_period_half_open",
            ),
            models.CheckConstraint(
                condition=models.Q(credit_minor__gte=0),
                name="subscription_credit_not_negative",
            ),
            # Zulip's "at most one live plan": a payer cannot hold the same plan
            # twice, whatever double submits or races happen.
            models.UniqueConstraint(
                fields=["payer", "plan"],
                condition=models.Q(status__in=LIVE_STATUSES),
                name="subscription_one_live_per_payer_plan",
            ),
        ]
        indexes = [
            # The renewal run's claim: due rows of one gateway, oldest first.
            models.Index(
                fields=["gateway", "due_at"],
                condition=models.Q(due_at__isnull=False),
                name="subscription_due",
            ),
            models.Index(
                fields=["payer", "created_at"], name="subscription_payer_created"
            ),
            models.Index(fields=["status"], name="subscription_status"),
            models.Index(
                fields=["gateway", "claimed_by"],
                condition=models.Q(claimed_by__isnull=False),
                name="subscription_claimed",
            ),
        ]

    def __str__(self) -> str:
        return f"Subscription {self.id} to {self.plan_id} {self.status}"

    @property
    def current_period(self) -> Period:
        return Period(self.current_period_starts_at, self.current_period_ends_at)

    @property
    def is_live(self) -> bool:
        return self.status in LIVE_STATUSES
