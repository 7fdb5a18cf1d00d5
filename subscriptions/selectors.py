"""Reads of the subscriptions app (STYLE 3.2): querysets and summaries, never writes."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, F, Min, OuterRef, Q, QuerySet, Subquery

from billing.models import Invoice
from subscriptions.models import LIVE_STATUSES, Plan, Subscription, SubscriptionStatus


@dataclass(frozen=True, slots=True)
class SubscriptionFilters:
    payer_id: uuid.UUID | None = None
    status: str | None = None
    # The plan's code.
    plan: str | None = None
    gateway: str | None = None
    # True: only past-due subscriptions (in dunning); False: none of them.
    past_due: bool | None = None
    # A subscription id or a payer id, matched exactly.
    search: uuid.UUID | None = None
    # Created at or after, and before.
    created_after: dt.datetime | None = None
    created_before: dt.datetime | None = None


def active_plan_list() -> QuerySet[Plan]:
    """The plans offered to new subscribers, with their current price, by code."""
    return (
        Plan.objects.select_related("current_price")
        .filter(is_active=True, current_price__isnull=False)
        .order_by("code")
    )


def subscription_list(
    *, filters: SubscriptionFilters | None = None
) -> QuerySet[Subscription]:
    """Subscriptions matching `filters`, newest first, with plan and price."""
    filters = filters or SubscriptionFilters()
    exact = {
        "payer_id": filters.payer_id,
        "status": filters.status,
        "plan__code": filters.plan,
        "gateway": filters.gateway,
        "created_at__gte": filters.created_after,
        "created_at__lt": filters.created_before,
    }
    subscriptions = Subscription.objects.select_related("plan", "price").filter(
        **{lookup: value for lookup, value in exact.items() if value is not None}
    )
    if filters.past_due is True:
        subscriptions = subscriptions.filter(status=SubscriptionStatus.PAST_DUE)
    elif filters.past_due is False:
        subscriptions = subscriptions.exclude(status=SubscriptionStatus.PAST_DUE)
    if filters.search is not None:
        subscriptions = subscriptions.filter(
            Q(id=filters.search) | Q(payer_id=filters.search)
        )
    return subscriptions.order_by("-created_at", "-id")


def subscription_get(*, subscription_id: uuid.UUID) -> Subscription | None:
    """One subscription with its plan, price, card (masked) and pending plan."""
    return (
        Subscription.objects.select_related(
            "plan",
            "price",
            "scheduled_plan",
            "scheduled_price",
            "payment_method",
        )
        .defer("payment_method__token", "payment_method__token_digest")
        .filter(id=subscription_id)
        .first()
    )


@dataclass(frozen=True, slots=True)
class SubscriptionWithLatestInvoice:
    subscription: Subscription
    # The status of the subscription's newest invoice; None before the first.
    latest_invoice_status: str | None


def subscription_with_latest_invoice(
    *, subscription_id: uuid.UUID, payer_id: uuid.UUID | None = None
) -> SubscriptionWithLatestInvoice | None:
    """One subscription with its plan, price and the status of its newest invoice,
    in one query; with `payer_id`, None for another payer's subscription."""
    latest = (
        Invoice.objects.filter(subscription_id=OuterRef("id"))
        .order_by("-created_at", "-id")
        .values("status")[:1]
    )
    subscriptions = (
        Subscription.objects.select_related("plan", "price")
        .annotate(latest_invoice_status=Subquery(latest))
        .filter(id=subscription_id)
    )
    if payer_id is not None:
        subscriptions = subscriptions.filter(payer_id=payer_id)
    subscription = subscriptions.first()
    if subscription is None:
        return None
    return SubscriptionWithLatestInvoice(
        subscription, subscription.latest_invoice_status
    )


def subscribers_off_current_price(*, plan_ids: list[int]) -> dict[int, int]:
    """How many live subscribers of each plan pay another price than its current
    one (those `migrate_subscribers_to_current_price` would move), by plan id."""
    counts = (
        Subscription.objects.filter(plan_id__in=plan_ids, status__in=LIVE_STATUSES)
        .exclude(price_id=F("plan__current_price_id"))
        .order_by()
        .values("plan_id")
        .annotate(count=Count("id"))
    )
    return {row["plan_id"]: row["count"] for row in counts}


@dataclass(frozen=True, slots=True)
class RenewalBacklog:
    """Subscriptions the renewal run must look at now, and since when the one
    waiting longest has been due."""

    count: int
    oldest_due_at: dt.datetime


def renewal_backlog_by_gateway(
    *, now: dt.datetime, gateways: Iterable[str]
) -> dict[str, RenewalBacklog]:
    """What is due and not claimed by a run, for each of `gateways` with any:
    renewals, retries, cancellations at period end, ends of dunning (`due_at` at
    or before `now`).

    A row a run has claimed is due again only when its lease ends, so it is not
    counted while the run works on it. Per gateway, so that each count is a range
    of the partial (gateway, due_at) index the run claims with.
    """
    backlog = {}
    for gateway in gateways:
        found = Subscription.objects.filter(gateway=gateway, due_at__lte=now).aggregate(
            count=Count("id"), oldest=Min("due_at")
        )
        if found["count"]:
            backlog[gateway] = RenewalBacklog(
                count=found["count"], oldest_due_at=found["oldest"]
            )
    return backlog


def past_due_counts() -> dict[str, int]:
    """Subscriptions in dunning (PAST_DUE), by gateway."""
    rows = (
        Subscription.objects.filter(status=SubscriptionStatus.PAST_DUE)
        .values("gateway")
        .annotate(count=Count("id"))
    )
    return {row["gateway"]: row["count"] for row in rows}
