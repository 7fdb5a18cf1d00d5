"""The janitor for refunds whose outcome is unknown: settled by asking the gateway.

A refund whose reply was lost keeps its amount reserved. The janitor asks the gateway
for the refund's payment on the payments' back-off schedule and reads its refunded
total: a total covering every succeeded refund of ours plus this one records the
refund as succeeded; a total that shows it never happened fails it after the
schedule, which releases the amount. Anything in between stays UNKNOWN for
reconciliation and a person: failing a refund that did happen invites refunding twice.
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
import uuid

from django.db import transaction
from django.db.models import Sum

from payments.gateways import get_gateway
from payments.gateways.base import GatewayError, PaymentSnapshot
from payments.models import Payment, Refund, RefundStatus
from payments.services._janitor import ACTOR, CHECK_LEASE
from payments.services._payment_outcomes import (
    OUTCOME_CHECK_DELAYS,
    gateway_reference_of,
)
from payments.services._refunds import audit_refund, record_refund_success

logger = logging.getLogger(__name__)


class _Verdict(enum.Enum):
    DONE = enum.auto()
    NOT_DONE = enum.auto()
    UNCLEAR = enum.auto()


def settle_unknown_refunds(*, now: dt.datetime, limit: int = 100) -> int:
    """Ask the gateways about due unknown refunds; return how many were settled."""
    settled = 0
    for refund_id in _claim_due_refunds(now=now, limit=limit):
        if settle_unknown_refund(refund_id=refund_id, now=now):
            settled += 1
    return settled


def settle_unknown_refund(*, refund_id: uuid.UUID, now: dt.datetime) -> bool:
    """Settle one unknown refund from the gateway's record; False if still unknown."""
    refund = Refund.objects.select_related("payment").get(id=refund_id)
    if refund.status != RefundStatus.UNKNOWN:
        return False
    adapter = get_gateway(refund.payment.gateway)
    try:
        snapshot = adapter.find_payment(reference=gateway_reference_of(refund.payment))
    except GatewayError:
        logger.warning(
            "payments.refund.outcome_check.unavailable",
            extra={"refund": str(refund_id)},
        )
        return _apply_check(refund_id, None, asked=False, exact=True, now=now)
    return _apply_check(
        refund_id,
        snapshot,
        asked=True,
        exact=adapter.reports_partial_refunds,
        now=now,
    )


def _claim_due_refunds(*, now: dt.datetime, limit: int) -> list[uuid.UUID]:
    """Lease due checks with SKIP LOCKED so that parallel janitors split the work."""
    with transaction.atomic():
        due = list(
            Refund.objects.select_for_update(skip_locked=True)
            .filter(status=RefundStatus.UNKNOWN, next_check_at__lte=now)
            .order_by("next_check_at")
            .values_list("id", flat=True)[:limit]
        )
        Refund.objects.filter(id__in=due).update(next_check_at=now + CHECK_LEASE)
    return due


def _apply_check(
    refund_id: uuid.UUID,
    snapshot: PaymentSnapshot | None,
    *,
    asked: bool,
    exact: bool,
    now: dt.datetime,
) -> bool:
    # Refund before payment: the order `record_refund_success` locks them in.
    with transaction.atomic():
        refund = Refund.objects.select_for_update().get(id=refund_id)
        if refund.status != RefundStatus.UNKNOWN:
            return False
        payment = Payment.objects.select_for_update().get(id=refund.payment_id)
        verdict = _verdict(refund, payment, snapshot, exact=exact)
        if verdict is _Verdict.DONE:
            # The refunded total does not name the refund: its id stays unknown.
            record_refund_success(
                refund.id, gateway_reference=None, now=now, actor=ACTOR
            )
            return True
        if asked:
            refund.checks += 1
        refund.updated_at = now
        if refund.checks < len(OUTCOME_CHECK_DELAYS):
            refund.next_check_at = now + OUTCOME_CHECK_DELAYS[refund.checks]
            refund.save()
            return False
        refund.next_check_at = None
        if verdict is _Verdict.NOT_DONE:
            refund.status = RefundStatus.FAILED
            refund.failure_code = "not_at_gateway"
            refund.save()
            audit_refund(refund, RefundStatus.UNKNOWN, now=now, actor=ACTOR)
            return True
        refund.save()
        logger.warning(
            "payments.refund.outcome_unresolved",
            extra={"refund": str(refund.id), "payment": str(payment.id)},
        )
        return False


def _verdict(
    refund: Refund,
    payment: Payment,
    snapshot: PaymentSnapshot | None,
    *,
    exact: bool,
) -> _Verdict:
    """What the gateway's refunded total says about this refund.

    A gateway that reports only "fully refunded or not" (`exact` False) can deny a
    refund only when it would have refunded the payment in full.
    """
    if snapshot is None or snapshot.gateway_reference != payment.gateway_reference:
        return _Verdict.UNCLEAR
    succeeded = (
        payment.refunds.filter(status=RefundStatus.SUCCEEDED).aggregate(
            total=Sum("amount_minor")
        )["total"]
        or 0
    )
    at_gateway = snapshot.refunded.amount_minor
    if at_gateway >= succeeded + refund.amount_minor:
        return _Verdict.DONE
    if exact:
        not_done = at_gateway <= succeeded
    else:
        not_done = (
            at_gateway == 0
            and succeeded + refund.amount_minor == payment.captured_minor
        )
    return _Verdict.NOT_DONE if not_done else _Verdict.UNCLEAR
