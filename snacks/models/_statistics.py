"""The orders' daily totals that the statistics sum, and the snacks' monthly ones:
kept by the order services in the transaction of each change, so a year's
statistics read a few thousand rows instead of every order and purchase of the
year.

A day is a calendar day in the shop's time zone (`TIME_ZONE`) when the order was
placed; after changing `TIME_ZONE`, `python manage.py rebuild_order_statistics`
counts every order again.
"""

from __future__ import annotations

from django.db import models

from snacks.models._snacks import Snack


class DailyOrderTotal(models.Model):
    """The orders placed on `day` that are now in `status`, in one currency: how
    many, and their amount."""

    day = models.DateField()
    status = models.CharField(max_length=16)
    currency = models.CharField(max_length=3)
    orders = models.PositiveIntegerField(default=0)
    amount_minor = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "status", "currency"],
                name="snacks_dailyordertotal_one_per_key",
            ),
            models.CheckConstraint(
                condition=models.Q(orders__gte=0, amount_minor__gte=0),
                name="snacks_dailyordertotal_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.status} {self.currency}: {self.orders} orders"


class DailySnackSales(models.Model):
    """How many of `snack` the orders placed on `day`, and not canceled, hold."""

    day = models.DateField()
    snack = models.ForeignKey(Snack, on_delete=models.CASCADE, related_name="+")
    quantity = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "snack"], name="snacks_dailysnacksales_one_per_key"
            ),
            models.CheckConstraint(
                condition=models.Q(quantity__gte=0),
                name="snacks_dailysnacksales_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day} snack {self.snack_id}: {self.quantity}"


class MonthlySnackSales(models.Model):
    """`DailySnackSales` summed by the month (its first day): what the statistics
    by month and by year read for the months the range holds whole."""

    month = models.DateField()
    snack = models.ForeignKey(Snack, on_delete=models.CASCADE, related_name="+")
    quantity = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["month", "snack"], name="snacks_monthlysnacksales_one_per_key"
            ),
            models.CheckConstraint(
                condition=models.Q(quantity__gte=0),
                name="snacks_monthlysnacksales_not_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(month__day=1),
                name="snacks_monthlysnacksales_first_day",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} snack {self.snack_id}: {self.quantity}"
