"""Reads of payers, payments, cards and checkout sessions."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, F, Prefetch, Q, QuerySet, Sum

from billing.models import Payer, StatusChange
from payments.gateways import UnknownGateway, get_gateway
from payments.models import (
    LIVE_STATUSES,
    CardSetup,
    CheckoutSession,
    Payment,
    PaymentMethod,
    PaymentMethodStatus,
    PaymentMismatch,
    Refund,
)
from payments.selectors._refunds import HIDDEN_PAYMENT_FIELDS
from payments.selectors._search import search_term

RECENT_PAYMENTS = 10


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
class PayerCards:
    payer: Payer
    payment_methods: list[PaymentMethod]


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


def payer_with_usable_cards(*, payer_id: uuid.UUID) -> PayerCards | None:
    """The payer and the saved cards that can still be charged, default first,
    without their tokens; None for a payer billing has never seen."""
    usable = payment_method_list(payer_id=payer_id).filter(
        status=PaymentMethodStatus.USABLE
    )
    payer = (
        Payer.objects.prefetch_related(Prefetch("payment_methods", queryset=usable))
        .filter(id=payer_id)
        .first()
    )
    if payer is None:
        return None
    return PayerCards(payer, list(payer.payment_methods.all()))


def payment_list(*, filters: PaymentFilters | None = None) -> QuerySet[Payment]:
    """Payments matching `filters`, newest first."""
    filters = filters or PaymentFilters()
    payments = Payment.objects.defer(*HIDDEN_PAYMENT_FIELDS)
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
        payments = payments.filter(search_term(filters.search, "id", "payer_id"))
    return payments.order_by("-created_at", "-id")


@dataclass(frozen=True, slots=True)
class PaymentPosition:
    """A place in a payer's payments, newest first: a payment's (created_at, id)."""

    created_at: dt.datetime
    payment_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class PaymentPage:
    payments: list[Payment]
    # Where the next page starts (after its last payment); None on the last page.
    next_after: PaymentPosition | None


def payer_payment_page(
    *, payer_id: uuid.UUID, after: PaymentPosition | None, size: int
) -> PaymentPage:
    """Up to `size` of the payer's payments after `after`, newest first.

    A keyset page on (created_at, id): payments made while a client pages through
    neither shift a page nor repeat one. The 3-D Secure step (`action`) is read,
    unlike in other lists: it is what the payer must do next.
    """
    payments = Payment.objects.filter(payer_id=payer_id).defer("cryptogram")
    if after is not None:
        payments = payments.filter(
            Q(created_at__lt=after.created_at)
            | Q(created_at=after.created_at, id__lt=after.payment_id)
        )
    rows = list(payments.order_by("-created_at", "-id")[: size + 1])
    page = rows[:size]
    if len(rows) <= size:
        return PaymentPage(payments=page, next_after=None)
    last = page[-1]
    return PaymentPage(
        payments=page,
        next_after=PaymentPosition(created_at=last.created_at, payment_id=last.id),
    )


def payment_get(*, payment_id: uuid.UUID) -> Payment | None:
    """One payment with its refunds and its (masked) card, or None."""
    return (
        Payment.objects.select_related("payer", "payment_method")
        .defer(*HIDDEN_PAYMENT_FIELDS, "payment_method__token")
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


def mismatched_payments() -> QuerySet[Payment]:
    """Payments with a gateway report the settlement rule did not apply, still
    unresolved: what reconciliation must look at, oldest report first."""
    unresolved = PaymentMismatch.objects.filter(resolved_at__isnull=True)
    return (
        Payment.objects.defer(*HIDDEN_PAYMENT_FIELDS)
        .filter(id__in=unresolved.values("payment_id"))
        .order_by("created_at", "id")
    )


def checkout_session_get(*, session_id: uuid.UUID) -> CheckoutSession | None:
    """The session with its payment or card setup (no cryptogram, no 3-DS form)."""
    return (
        CheckoutSession.objects.select_related("payment", "card_setup")
        .defer(
            *(f"payment__{name}" for name in HIDDEN_PAYMENT_FIELDS),
            *(f"card_setup__{name}" for name in HIDDEN_PAYMENT_FIELDS),
        )
        .filter(id=session_id)
        .first()
    )


def gateway_is_configured(*, code: str) -> bool:
    """Whether payments can charge through the gateway named `code`."""
    try:
        get_gateway(code)
    except UnknownGateway:
        return False
    return True


def payment_method_is_usable(*, payment_method_id: uuid.UUID | None) -> bool:
    """Whether the saved card can still be charged (not expired, lost or revoked)."""
    if payment_method_id is None:
        return False
    return PaymentMethod.objects.filter(
        id=payment_method_id, status=PaymentMethodStatus.USABLE
    ).exists()


def usable_payment_methods(
    *, payment_method_ids: Iterable[uuid.UUID], gateway: str
) -> dict[uuid.UUID, PaymentMethod]:
    """The usable cards among `payment_method_ids` on `gateway`, by id, with payers."""
    methods = PaymentMethod.objects.select_related("payer").filter(
        id__in=list(payment_method_ids),
        gateway=gateway,
        status=PaymentMethodStatus.USABLE,
    )
    return {method.id: method for method in methods}


def default_payment_methods(
    *, payer_ids: Iterable[uuid.UUID], gateway: str
) -> dict[uuid.UUID, PaymentMethod]:
    """Each payer's default usable card on `gateway`, by payer id, with payers."""
    methods = PaymentMethod.objects.select_related("payer").filter(
        payer_id__in=list(payer_ids),
        gateway=gateway,
        status=PaymentMethodStatus.USABLE,
        is_default=True,
    )
    return {method.payer_id: method for method in methods}


def live_payments_for(*, pays: Iterable[str]) -> dict[str, Payment]:
    """The live payment (in progress or succeeded) of each paid object, by `pays`."""
    payments = Payment.objects.select_related("payment_method__payer").filter(
        pays__in=list(pays), status__in=LIVE_STATUSES
    )
    return {payment.pays: payment for payment in payments}


def payment_counts_for(*, pays: Iterable[str]) -> dict[str, int]:
    """How many payments each paid object has had, by `pays`."""
    rows = (
        Payment.objects.filter(pays__in=list(pays))
        .values("pays")
        .annotate(count=Count("id"))
    )
    return {row["pays"]: row["count"] for row in rows}


def payment_method_is_usable_for(
    *, payment_method_id: uuid.UUID, payer_id: uuid.UUID, gateway: str
) -> bool:
    """Whether the payer's saved card can be charged through `gateway`."""
    return PaymentMethod.objects.filter(
        id=payment_method_id,
        payer_id=payer_id,
        gateway=gateway,
        status=PaymentMethodStatus.USABLE,
    ).exists()


def card_setup_for(*, purpose: str) -> CardSetup | None:
    """The latest card setup made for `purpose` ("subscription:<uuid>" …)."""
    return (
        CardSetup.objects.defer("cryptogram")
        .filter(purpose=purpose)
        .order_by("-created_at")
        .first()
    )


def card_setup_get(*, setup_id: uuid.UUID) -> CardSetup | None:
    return CardSetup.objects.defer("cryptogram").filter(id=setup_id).first()


def cash_held_by_gateway() -> dict[tuple[str, str], int]:
    """What each gateway holds by the payments' own rows: captured less refunded,
    per (gateway, currency), in minor units; amounts of zero are left out."""
    rows = (
        Payment.objects.order_by()
        .values("gateway", "currency")
        .annotate(held=Sum(F("captured_minor") - F("refunded_minor")))
    )
    return {
        (row["gateway"], row["currency"]): int(row["held"])
        for row in rows
        if row["held"]
    }
