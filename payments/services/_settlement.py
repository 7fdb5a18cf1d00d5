"""The janitor: payments whose outcome is unknown are settled by asking the gateway.

An unknown outcome is never charged again blindly. The janitor asks the gateway for
the payment under our reference on a back-off schedule (5 minutes, 1 hour, then
daily) and applies what the gateway says; a payment the gateway still does not know
after the schedule fails with `not_at_gateway`, for reconciliation to confirm.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid

from django.db import transaction

from payments.gateways import get_gateway
from payments.gateways.base import GatewayError, PaymentSnapshot
from payments.models import Payment, PaymentStatus
from payments.services._charges import CRYPTOGRAM_TTL, gateway_reference_of
from payments.services._outcomes import (
    OUTCOME_CHECK_DELAYS,
    apply_snapshot,
    mark_unknown,
)
from payments.services._recording import move_payment

logger = logging.getLogger(__name__)

ACTOR = "system:janitor"
# While the janitor asks about a payment, others leave it alone for this long.
CHECK_LEASE = dt.timedelta(minutes=2)


def settle_unknown_payments(*, now: dt.datetime, limit: int = 100) -> int:
    """Ask the gateway about due unknown payments; return how many were settled."""
    settled = 0
    for payment_id in _claim_due_checks(now=now, limit=limit):
        if settle_unknown_payment(payment_id=payment_id, now=now):
            settled += 1
    return settled


def settle_unknown_payment(*, payment_id: uuid.UUID, now: dt.datetime) -> bool:
    """Settle one unknown payment from the gateway's record; False if still unknown."""
    payment = Payment.objects.get(id=payment_id)
    if payment.status != PaymentStatus.UNKNOWN:
        return False
    try:
        snapshot = get_gateway(payment.gateway).find_payment(
            reference=gateway_reference_of(payment)
        )
    except GatewayError:
        logger.warning(
            "payment.outcome_check.unavailable", extra={"payment": str(payment_id)}
        )
        snapshot = None
        asked = False
    else:
        asked = True
    return _apply_check(payment_id, snapshot, asked=asked, now=now)


def expire_stale_payments(*, now: dt.datetime) -> int:
    """Wipe unused cryptograms, and hand payments stuck in PENDING to the janitor.

    A PENDING payment older than the cryptogram TTL was interrupted between saving
    and the gateway's answer: it may have been charged, so it becomes UNKNOWN.
    """
    wiped = Payment.objects.filter(
        cryptogram_expires_at__lte=now, cryptogram__isnull=False
    ).update(cryptogram=None, cryptogram_expires_at=None)
    stale = Payment.objects.filter(
        status=PaymentStatus.PENDING, created_at__lte=now - CRYPTOGRAM_TTL
    ).values_list("id", flat=True)
    for payment_id in list(stale):
        with transaction.atomic():
            payment = Payment.objects.select_for_update().get(id=payment_id)
            if payment.status == PaymentStatus.PENDING:
                payment.cryptogram = None
                payment.cryptogram_expires_at = None
                mark_unknown(
                    payment,
                    now=now,
                    actor=ACTOR,
                    reason="interrupted before the answer",
                )
    return wiped


def _claim_due_checks(*, now: dt.datetime, limit: int) -> list[uuid.UUID]:
    """Lease due checks with SKIP LOCKED so that parallel janitors split the work."""
    with transaction.atomic():
        due = list(
            Payment.objects.select_for_update(skip_locked=True)
            .filter(status=PaymentStatus.UNKNOWN, next_outcome_check_at__lte=now)
            .order_by("next_outcome_check_at")
            .values_list("id", flat=True)[:limit]
        )
        Payment.objects.filter(id__in=due).update(
            next_outcome_check_at=now + CHECK_LEASE
        )
    return due


def _apply_check(
    payment_id: uuid.UUID,
    snapshot: PaymentSnapshot | None,
    *,
    asked: bool,
    now: dt.datetime,
) -> bool:
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(id=payment_id)
        if payment.status != PaymentStatus.UNKNOWN:
            return False
        if snapshot is not None and apply_snapshot(
            payment, snapshot, now=now, actor=ACTOR
        ):
            return True
        if asked:
            payment.outcome_checks += 1
        if payment.outcome_checks >= len(OUTCOME_CHECK_DELAYS):
            payment.failure_code = "not_at_gateway"
            payment.failure_message = "The gateway has no record of this payment."
            move_payment(payment, PaymentStatus.FAILED, at=now, actor=ACTOR)
            return True
        payment.next_outcome_check_at = (
            now + OUTCOME_CHECK_DELAYS[payment.outcome_checks]
        )
        payment.updated_at = now
        payment.save()
        return False
