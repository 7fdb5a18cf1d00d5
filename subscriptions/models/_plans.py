"""Plans and their prices, with the history of every price a plan has had."""

from __future__ import annotations

from django.db import models

from billing.models import CURRENCY_FORMAT
from billing.money import Money
from payments.models import Gateway
from subscriptions.periods import BillingCycle, Interval


class Plan(models.Model):
    """What a subscriber buys: a price per cycle, maybe a trial, on one gateway."""

    code = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    interval = models.CharField(
        max_length=5, choices=[(i.value, i.value.title()) for i in Interval]
    )
    interval_count = models.PositiveSmallIntegerField(default=1)
    trial_days = models.PositiveSmallIntegerField(default=0)
    # The gateway that charges this plan's subscribers; their cards live there.
    gateway = models.CharField(max_length=20, choices=Gateway.choices)
    # What new subscribers pay. Existing subscribers keep the price they signed up
    # at (`Subscription.price`) until they are migrated explicitly.
    current_price = models.ForeignKey(
        "PlanPrice",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(interval__in=[i.value for i in Interval]),
                name="plan_interval_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(interval_count__gte=1, interval_count__lte=366),
                name="plan_interval_count_range",
            ),
            models.CheckConstraint(
                condition=models.Q(trial_days__lte=730), name="plan_trial_days_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code}, {self.id})"

    @property
    def cycle(self) -> BillingCycle:
        return BillingCycle(Interval(self.interval), self.interval_count)


class PlanPrice(models.Model):
    """One price a plan has had. Never edited: a new price is a new row."""

    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="prices")
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    created_at = models.DateTimeField()
    # Who set it and why, for the price history.
    created_by = models.CharField(max_length=100, blank=True)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount_minor__gt=0), name="plan_price_positive"
            ),
            models.CheckConstraint(
                condition=CURRENCY_FORMAT, name="plan_price_currency_iso"
            ),
        ]
        indexes = [
            models.Index(fields=["plan", "created_at"], name="plan_price_history")
        ]

    def __str__(self) -> str:
        return f"{self.amount} for plan {self.plan_id} (price {self.id})"

    @property
    def amount(self) -> Money:
        return Money(self.amount_minor, self.currency)
