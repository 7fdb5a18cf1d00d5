"""Figures operations watches (the web's /metrics): payments whose outcome is
unknown, renewal charges, gateway events not yet applied, open discrepancies.

Each is one grouped count over an indexed column, cheap enough to run at every
scrape however large the tables grow.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db.models import Count, Max, Min

from billing.models import StatusChange
from payments.models import (
    Discrepancy,
    GatewayEventRecord,
    GatewayEventStatus,
    Payment,
    PaymentStatus,
)

# Gateway events a drain or the beat sweep will still apply.
UNPROCESSED_EVENT_STATUSES = (GatewayEventStatus.RECEIVED, GatewayEventStatus.FAILED)
# Payments whose move to UNKNOWN is looked up per query.
_UNKNOWN_LOOKUP_BATCH = 500


@dataclass(frozen=True, slots=True)
class UnknownPayments:
    """Payments whose outcome is unknown, and since when the longest-waiting one."""

    by_gateway: dict[str, int]
    oldest_since: dt.datetime | None


@dataclass(frozen=True, slots=True)
class UnprocessedGatewayEvents:
    """Gateway events not applied yet, and when the oldest of them arrived."""

    by_gateway_and_status: dict[tuple[str, str], int]
    oldest_received_at: dt.datetime | None


def unknown_payments() -> UnknownPayments:
    """Payments in UNKNOWN by gateway, and when the longest-waiting became so.

    A payment can turn UNKNOWN long after it was created (a capture whose reply
    was lost), so the time is its latest move to UNKNOWN in the audit trail.
    Payments are looked at oldest created first, since a payment became UNKNOWN
    no earlier than it was created; the walk stops at the first batch created
    after the earliest move found so far, so it usually takes one batch.
    """
    unknown = Payment.objects.filter(status=PaymentStatus.UNKNOWN)
    by_gateway = {
        row["gateway"]: row["count"]
        for row in unknown.values("gateway").annotate(count=Count("id"))
    }
    created = list(unknown.order_by("created_at").values_list("id", "created_at"))
    oldest: dt.datetime | None = None
    for start in range(0, len(created), _UNKNOWN_LOOKUP_BATCH):
        batch = created[start : start + _UNKNOWN_LOOKUP_BATCH]
        if oldest is not None and batch[0][1] >= oldest:
            break
        since = _unknown_since(batch)
        oldest = min(filter(None, (oldest, since)), default=None)
    return UnknownPayments(by_gateway=by_gateway, oldest_since=oldest)


def payment_counts_since(
    *, kind: str, since: dt.datetime, gateways: Iterable[str]
) -> dict[tuple[str, str], int]:
    """Payments of `kind` created since `since`, by gateway and status.

    Per gateway, so that each count is a range of the (gateway, created_at) index.
    """
    counts: dict[tuple[str, str], int] = {}
    for gateway in gateways:
        rows = (
            Payment.objects.filter(gateway=gateway, created_at__gte=since, kind=kind)
            .values("status")
            .annotate(count=Count("id"))
        )
        counts.update({(gateway, row["status"]): row["count"] for row in rows})
    return counts


def gateway_event_counts_since(*, since: dt.datetime) -> dict[tuple[str, str], int]:
    """Gateway events received since `since`, by gateway and processing status."""
    rows = (
        # Every status named, so that each is a range of the (status, received_at)
        # index.
        GatewayEventRecord.objects.filter(
            status__in=GatewayEventStatus.values, received_at__gte=since
        )
        .values("gateway", "status")
        .annotate(count=Count("id"))
    )
    return {(row["gateway"], row["status"]): row["count"] for row in rows}


def unprocessed_gateway_events() -> UnprocessedGatewayEvents:
    """Gateway events received or failed and not applied yet."""
    waiting = GatewayEventRecord.objects.filter(status__in=UNPROCESSED_EVENT_STATUSES)
    rows = waiting.values("gateway", "status").annotate(count=Count("id"))
    return UnprocessedGatewayEvents(
        by_gateway_and_status={
            (row["gateway"], row["status"]): row["count"] for row in rows
        },
        oldest_received_at=waiting.aggregate(oldest=Min("received_at"))["oldest"],
    )


def open_discrepancy_counts() -> dict[tuple[str, str], int]:
    """Discrepancies no one has resolved yet, by gateway and kind."""
    rows = (
        Discrepancy.objects.filter(resolved_at__isnull=True)
        .values("gateway", "kind")
        .annotate(count=Count("id"))
    )
    return {(row["gateway"], row["kind"]): row["count"] for row in rows}


def _unknown_since(
    payments: Sequence[tuple[uuid.UUID, dt.datetime]],
) -> dt.datetime | None:
    """The earliest of the payments' latest moves to UNKNOWN (a payment the trail
    does not show moving counts from its creation)."""
    moved = dict(
        StatusChange.objects.filter(
            object_type=Payment.SUBJECT,
            object_id__in=[str(payment_id) for payment_id, _ in payments],
            to_status=PaymentStatus.UNKNOWN,
        )
        .values("object_id")
        .annotate(latest=Max("at"))
        .values_list("object_id", "latest")
    )
    return min(
        (moved.get(str(payment_id), created_at) for payment_id, created_at in payments),
        default=None,
    )
