"""Reads of reconciliation: its runs and the discrepancies they found."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import QuerySet

from payments.models import Discrepancy, ReconciliationRun
from payments.selectors._search import search_term


@dataclass(frozen=True, slots=True)
class DiscrepancyFilters:
    kind: str | None = None
    gateway: str | None = None
    currency: str | None = None
    # True: not resolved yet; False: resolved; None: both.
    open: bool | None = None
    day_from: dt.date | None = None
    day_to: dt.date | None = None
    # A payment, refund or payer id, or the gateway's reference, matched exactly.
    search: str | None = None


def discrepancy_list(
    *, filters: DiscrepancyFilters | None = None
) -> QuerySet[Discrepancy]:
    """Discrepancies matching `filters`, the latest days first."""
    filters = filters or DiscrepancyFilters()
    exact = {
        "kind": filters.kind,
        "gateway": filters.gateway,
        "currency": filters.currency,
        "resolved_at__isnull": filters.open,
        "day__gte": filters.day_from,
        "day__lte": filters.day_to,
    }
    rows = Discrepancy.objects.filter(
        **{lookup: value for lookup, value in exact.items() if value is not None}
    )
    if filters.search:
        rows = rows.filter(
            search_term(filters.search, "payment_id", "refund_id", "payment__payer_id")
        )
    return rows.order_by("-day", "-id")


def discrepancy_get(*, discrepancy_id: int) -> Discrepancy | None:
    return Discrepancy.objects.filter(id=discrepancy_id).first()


def reconciliation_run_list(
    *,
    gateway: str | None = None,
    status: str | None = None,
    day_from: dt.date | None = None,
    day_to: dt.date | None = None,
) -> QuerySet[ReconciliationRun]:
    """Reconciliation runs, the latest days first."""
    exact = {"gateway": gateway, "status": status, "day__gte": day_from}
    exact["day__lte"] = day_to
    return ReconciliationRun.objects.filter(
        **{lookup: value for lookup, value in exact.items() if value is not None}
    ).order_by("-day", "gateway")
