"""The janitor: payments whose outcome is unknown are settled by asking the gateway.

An unknown outcome is never charged again blindly. The janitor asks the gateway for
the payment under our reference on a back-off schedule (5 minutes, 1 hour, then
daily) and applies what the gateway says; a payment the gateway still does not know
after the schedule fails with `not_at_gateway`, and one still waiting for 3-D Secure
there fails with `authentication_abandoned`, for reconciliation to confirm. A record
that does not match the payment (another amount, another transaction) is not
applied (`_settlement_rule`), and the payment is no longer asked about: it waits
for reconciliation.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import uuid

from django.db import transaction

from payments.gateways import get_gateway
from payments.gateways.base import GatewayError, PaymentSnapshot, PaymentState
from payments.models import Payment, PaymentStatus
from payments.services._payment_outcomes import (
    OUTCOME_CHECK_DELAYS,
    PAYMENTS,
    Settlement,
    apply_snapshot,
    gateway_reference_of,
    mark_unknown,
)
from payments.services._pipeline import (
    CRYPTOGRAM_TTL,
    fail,
    sweep_stale,
    wipe_expired_cryptograms,
)
from payments.services._setups import expire_stale_card_setups

logger = logging.getLogger(__name__)

ACTOR = "system:janitor"
# While the janitor asks about a payment, others leave it alone for this long.
CHECK_LEASE = dt.timedelta(minutes=2)
# A payer who has not come back from 3-D Secure within this long has most likely
# given up; but one may have finished the challenge at the gateway (Stripe) and lost
# the way back, so the payment goes to the janitor to ask rather than failing here.
ABANDONED_CHALLENGE_AFTER = dt.timedelta(hours=1)
# Where a payment gets stuck: its status, the field that says since when, how long
# until the janitor takes it over, and why.
_STUCK: tuple[tuple[str, str, dt.timedelta, str], ...] = (
    (
        PaymentStatus.PENDING,
        "created_at",
        CRYPTOGRAM_TTL,
        "interrupted before the answer",
    ),
    (
        PaymentStatus.REQUIRES_ACTION,
        "updated_at",
        ABANDONED_CHALLENGE_AFTER,
        "3-D Secure not completed",
    ),
)
# Gateway states that mean the payer never finished authenticating.
_UNFINISHED_STATES = frozenset({PaymentState.REQUIRES_ACTION, PaymentState.PENDING})
# Why a payment the janitor stops asking about fails, by whether the gateway still
# waits for the payer's 3-D Secure step.
_GIVEN_UP: dict[bool, tuple[str, str]] = {
    True: ("authentication_abandoned", "The payer did not complete 3-D Secure."),
    False: ("not_at_gateway", "The gateway has no record of this payment."),
}


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
    """Wipe unused cryptograms, and hand stuck payments to the janitor.

    A PENDING payment older than the cryptogram TTL was interrupted between saving
    and the gateway's answer: it may have been charged, so it becomes UNKNOWN. So
    does a 3-D Secure challenge left unanswered for `ABANDONED_CHALLENGE_AFTER`
    (`updated_at` is when the challenge was issued: nothing else saves a payment
    while it waits for the payer). Card setups are swept too
    (`expire_stale_card_setups`).
    """
    wiped = wipe_expired_cryptograms(Payment, now=now)
    wiped += expire_stale_card_setups(now=now, actor=ACTOR)
    for status, since, age, reason in _STUCK:
        sweep_stale(
            Payment,
            statuses=(status,),
            since=since,
            before=now - age,
            give_up=functools.partial(
                mark_unknown, now=now, actor=ACTOR, reason=reason
            ),
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
        settlement = (
            Settlement.NOT_FINAL
            if snapshot is None
            else apply_snapshot(payment, snapshot, now=now, actor=ACTOR)
        )
        if settlement is Settlement.APPLIED:
            return True
        if settlement is Settlement.HELD:
            # The gateway's answer is known and does not match: asking again
            # would learn the same. It waits for reconciliation.
            payment.next_outcome_check_at = None
            payment.updated_at = now
            payment.save()
            return False
        if asked:
            payment.outcome_checks += 1
        if payment.outcome_checks >= len(OUTCOME_CHECK_DELAYS):
            unfinished = snapshot is not None and snapshot.state in _UNFINISHED_STATES
            code, message = _GIVEN_UP[unfinished]
            fail(PAYMENTS, payment, code=code, message=message, at=now, actor=ACTOR)
            return True
        payment.next_outcome_check_at = (
            now + OUTCOME_CHECK_DELAYS[payment.outcome_checks]
        )
        payment.updated_at = now
        payment.save()
        return False
