"""Reads of refunds and refund requests for the support screens."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from django.db.models import QuerySet

from payments.models import Refund, RefundRequest
from payments.selectors._search import search_term

# Columns no read shows: the encrypted cryptogram and the 3-D Secure form (PaReq).
HIDDEN_PAYMENT_FIELDS = ("cryptogram", "action")


@dataclass(frozen=True, slots=True)
class RefundFilters:
    payer_id: uuid.UUID | None = None
    status: str | None = None
    # The gateway of the payment refunded.
    gateway: str | None = None
    reason: str | None = None
    created_after: dt.datetime | None = None
    created_before: dt.datetime | None = None
    # A refund, payment or payer id, or a gateway reference, matched exactly.
    search: str | None = None


def refund_list(*, filters: RefundFilters | None = None) -> QuerySet[Refund]:
    """Refunds matching `filters`, newest first, with their payment."""
    filters = filters or RefundFilters()
    exact = {
        "payment__payer_id": filters.payer_id,
        "status": filters.status,
        "payment__gateway": filters.gateway,
        "reason": filters.reason,
        "created_at__gte": filters.created_after,
        "created_at__lt": filters.created_before,
    }
    refunds = Refund.objects.select_related("payment").filter(
        **{lookup: value for lookup, value in exact.items() if value is not None}
    )
    if filters.search:
        refunds = refunds.filter(
            search_term(filters.search, "id", "payment_id", "payment__payer_id")
        )
    return refunds.order_by("-created_at", "-id")


def refund_request_list(
    *,
    status: str | None = None,
    currency: str | None = None,
    ids: uuid.UUID | None = None,
    gateway: str | None = None,
    requested_after: dt.datetime | None = None,
    requested_before: dt.datetime | None = None,
) -> QuerySet[RefundRequest]:
    """Refund requests, newest first, with their refund; `ids` is the request's,
    its payment's or its payer's id; `gateway` the refunded payment's."""
    exact = {
        "payment__gateway": gateway,
        "requested_at__gte": requested_after,
        "requested_at__lt": requested_before,
    }
    return (
        RefundRequest.objects.matching(status=status, currency=currency, ids=ids)
        .filter(**{lookup: value for lookup, value in exact.items() if value})
        .select_related("payment", "refund", "requested_by", "decided_by")
        .defer(*(f"payment__{name}" for name in HIDDEN_PAYMENT_FIELDS))
        .order_by("-requested_at", "-id")
    )
