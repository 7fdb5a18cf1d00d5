"""Reads of the payments app (STYLE 3.2): querysets and summaries, never writes.

Secrets stay out of every read: card tokens and cryptograms are deferred, so they
are not even decrypted for a support screen.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q, QuerySet

from billing.models import Payer, StatusChange
from payments.models import (
    CheckoutSession,
    Payment,
    PaymentMethod,
    Refund,
)

RECENT_PAYMENTS = 10
# Columns no read shows: the encrypted cryptogram and the 3-D Secure form (PaReq).
_HIDDEN_PAYMENT_FIELDS = ("cryptogram", "action")


@dataclass(frozen=True, slots=True)
class PaymentFilters:
    payer_id: uuid.UUID | None = None
    status: str | None = None
    gateway: str | None = None
    kind: str | None = None
    pays: str | None = None
    created_after: dt.datetime | None = None
    created_before: dt.datetime | None = None
    # A payment id, a payer id or a gateway reference, matched exactly.
    search: str | None = None


@dataclass(frozen=True, slots=True)
class PayerCounts:
    payments: int
    payments_by_status: dict[str, int]
    refunds: int
    payment_methods: int
    checkout_sessions: int


@dataclass(frozen=True, slots=True)
class PayerOverview:
    payer: Payer
    payment_methods: list[PaymentMethod]
    recent_payments: list[Payment]
    counts: PayerCounts


def payer_get(*, payer_id: uuid.UUID) -> Payer | None:
    return Payer.objects.filter(id=payer_id).first()


def payer_overview(*, payer: Payer, recent: int = RECENT_PAYMENTS) -> PayerOverview:
    """The payer's saved cards, latest payments and how many of each they have."""
    methods = list(payment_method_list(payer_id=payer.id))
    recent_payments = list(
        payment_list(filters=PaymentFilters(payer_id=payer.id))[:recent]
    )
    by_status = {
        row["status"]: row["total"]
        for row in Payment.objects.filter(payer_id=payer.id)
        .order_by()
        .values("status")
        .annotate(total=Count("id"))
    }
    counts = PayerCounts(
        payments=sum(by_status.values()),
        payments_by_status=by_status,
        refunds=Refund.objects.filter(payment__payer_id=payer.id).count(),
        payment_methods=len(methods),
        checkout_sessions=CheckoutSession.objects.filter(payer_id=payer.id).count(),
    )
    return PayerOverview(
        payer=payer,
        payment_methods=methods,
        recent_payments=recent_payments,
        counts=counts,
    )


def payment_method_list(*, payer_id: uuid.UUID) -> QuerySet[PaymentMethod]:
    """The payer's saved cards, default first, without their tokens."""
    return (
        PaymentMethod.objects.filter(payer_id=payer_id)
        .defer("token", "token_digest")
        .order_by("-is_default", "-created_at", "id")
    )


def payment_list(*, filters: PaymentFilters | None = None) -> QuerySet[Payment]:
    """Payments matching `filters`, newest first."""
    filters = filters or PaymentFilters()
    payments = Payment.objects.defer(*_HIDDEN_PAYMENT_FIELDS)
    exact = {
        "payer_id": filters.payer_id,
        "status": filters.status,
        "gateway": filters.gateway,
        "kind": filters.kind,
        "pays": filters.pays,
        "created_at__gte": filters.created_after,
        "created_at__lt": filters.created_before,
    }
    payments = payments.filter(
        **{lookup: value for lookup, value in exact.items() if value is not None}
    )
    if filters.search:
        payments = payments.filter(_search(filters.search))
    return payments.order_by("-created_at", "-id")


def payment_get(*, payment_id: uuid.UUID) -> Payment | None:
    """One payment with its refunds and its (masked) card, or None."""
    return (
        Payment.objects.select_related("payer", "payment_method")
        .defer(*_HIDDEN_PAYMENT_FIELDS, "payment_method__token")
        .prefetch_related(
            Prefetch("refunds", queryset=Refund.objects.order_by("created_at", "id"))
        )
        .filter(id=payment_id)
        .first()
    )


def payment_audit_trail(*, payment: Payment) -> QuerySet[StatusChange]:
    """Every status change of the payment and of its refunds, oldest first."""
    refund_ids = [str(refund.id) for refund in payment.refunds.all()]
    return StatusChange.objects.filter(
        Q(object_type="payment", object_id=str(payment.id))
        | Q(object_type="refund", object_id__in=refund_ids)
    ).order_by("at", "id")


def checkout_session_get(*, session_id: uuid.UUID) -> CheckoutSession | None:
    return (
        CheckoutSession.objects.select_related("payment")
        .defer(*(f"payment__{name}" for name in _HIDDEN_PAYMENT_FIELDS))
        .filter(id=session_id)
        .first()
    )


def _search(term: str) -> Q:
    term = term.strip()
    match = Q(gateway_reference=term)
    try:
        as_uuid = uuid.UUID(term)
    except ValueError:
        return match
    return match | Q(id=as_uuid) | Q(payer_id=as_uuid)
