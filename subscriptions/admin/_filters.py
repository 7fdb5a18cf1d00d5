"""The subscription changelist's filters: dunning, and changes due at period end."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from subscriptions.models import Subscription, SubscriptionStatus


class DunningFilter(admin.SimpleListFilter):
    title = "dunning"
    parameter_name = "dunning"

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin[Any]
    ) -> list[tuple[str, str]]:
        return [
            ("past_due", "Past due (any)"),
            ("retry_scheduled", "Past due, retry scheduled"),
            ("needs_new_card", "Past due, waiting for a new card"),
        ]

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[Subscription]
    ) -> QuerySet[Subscription]:
        past_due = queryset.filter(status=SubscriptionStatus.PAST_DUE)
        if self.value() == "past_due":
            return past_due
        if self.value() == "retry_scheduled":
            return past_due.filter(
                next_retry_at__isnull=False, needs_new_payment_method=False
            )
        if self.value() == "needs_new_card":
            return past_due.filter(needs_new_payment_method=True)
        return queryset


class PendingChangeFilter(admin.SimpleListFilter):
    title = "pending change"
    parameter_name = "pending"

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin[Any]
    ) -> list[tuple[str, str]]:
        return [
            ("cancellation", "Cancellation at period end"),
            ("plan_change", "Plan change at period end"),
        ]

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[Subscription]
    ) -> QuerySet[Subscription]:
        if self.value() == "cancellation":
            return queryset.filter(cancel_at__isnull=False)
        if self.value() == "plan_change":
            return queryset.filter(scheduled_plan__isnull=False)
        return queryset
