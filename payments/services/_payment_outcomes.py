"""The payment kind of the outcome pipeline: what each answer means for a payment.

Unlike a card setup, a payment may have moved money when its outcome is unclear: it
goes UNKNOWN, and the janitor (`_janitor`) asks the gateway until it knows.

Every report of money taken, held, declined or voided, whoever learnt it, is applied
here under the payment's row lock, and only once the settlement rule
(`_settlement_rule`) has found that it matches the payment.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from typing import Final, TypeAlias

from django.db import transaction

from payments.gateways.base import (
    ChargeResult,
    Declined,
    GatewayError,
    PaymentGateway,
    PaymentSnapshot,
    PaymentState,
)
from payments.models import Payment, PaymentMethod, PaymentMethodStatus, PaymentStatus
from payments.services._lookup import get_payment
from payments.services._methods import save_payment_method
from payments.services._payment_records import (
    book_capture,
    payment_event_type,
    payment_payload,
    record_method_expired,
)
from payments.services._pipeline import (
    Answer,
    AttemptKind,
    apply_answer,
    fail_declined,
    move,
)
from payments.services._settlement_rule import Reported, hold_if_mismatched
from payments.signals import payment_status_changed

# When an outcome is unknown, ask the gateway after these delays, then give up asking
# and leave the payment to reconciliation (and a person).
OUTCOME_CHECK_DELAYS = (
    dt.timedelta(minutes=5),
    dt.timedelta(hours=1),
    dt.timedelta(days=1),
    dt.timedelta(days=1),
    dt.timedelta(days=1),
)

GatewayAnswer: TypeAlias = Answer[ChargeResult]


def gateway_reference_of(payment: Payment) -> str:
    """Our reference as the gateway stores it (InvoiceId, metadata[reference])."""
    return reference_for(payment.id)


def reference_for(payment_id: uuid.UUID) -> str:
    """`gateway_reference_of` the payment with this id, without reading it."""
    return f"payment:{payment_id}"


def apply_payment_answer(
    *,
    payment_id: uuid.UUID,
    answer: GatewayAnswer,
    now: dt.datetime,
    actor: str,
    keep_pending_when_unavailable: bool = False,
) -> Payment:
    """Record a charge's outcome under the payment's row lock (`apply_answer`)."""
    return apply_answer(
        PAYMENTS,
        attempt_id=payment_id,
        answer=answer,
        now=now,
        actor=actor,
        keep_pending_when_unavailable=keep_pending_when_unavailable,
    )


def move_payment(
    payment: Payment, status: str, *, at: dt.datetime, actor: str, reason: str = ""
) -> bool:
    """Save a locked payment and move it forward; False when already there or past."""
    return move(PAYMENTS, payment, status, at=at, actor=actor, reason=reason)


def mark_unknown(
    payment: Payment, *, now: dt.datetime, actor: str, reason: str
) -> None:
    """Hand a locked payment to the janitor: money may have moved."""
    payment.next_outcome_check_at = now + OUTCOME_CHECK_DELAYS[0]
    payment.outcome_checks = 0
    move_payment(payment, PaymentStatus.UNKNOWN, at=now, actor=actor, reason=reason)


class Settlement(enum.Enum):
    """What the gateway's record of a payment did to it."""

    APPLIED = "applied"
    # The gateway does not know the outcome yet: nothing to apply.
    NOT_FINAL = "not_final"
    # The record does not match the payment (`_settlement_rule`): not applied.
    HELD = "held"


FINAL_STATES: Final = frozenset(
    {
        PaymentState.SUCCEEDED,
        PaymentState.AUTHORIZED,
        PaymentState.DECLINED,
        PaymentState.CANCELED,
    }
)


def apply_snapshot(
    payment: Payment, snapshot: PaymentSnapshot, *, now: dt.datetime, actor: str
) -> Settlement:
    """Settle a locked payment from the gateway's record, if it matches the payment."""
    if snapshot.state not in FINAL_STATES:
        return Settlement.NOT_FINAL
    if hold_if_mismatched(
        payment, Reported.of_snapshot(snapshot), now=now, actor=actor
    ):
        return Settlement.HELD
    if snapshot.state == PaymentState.SUCCEEDED:
        result = ChargeResult(
            gateway_reference=snapshot.gateway_reference,
            state=PaymentState.SUCCEEDED,
            amount=snapshot.captured,
            token=snapshot.token,
            card=snapshot.card,
        )
        _settle(payment, result, now, actor)
        return Settlement.APPLIED
    if snapshot.state == PaymentState.AUTHORIZED:
        payment.gateway_reference = snapshot.gateway_reference
        move_payment(payment, PaymentStatus.AUTHORIZED, at=now, actor=actor)
    elif snapshot.state == PaymentState.DECLINED:
        decline = Declined(
            reason_code=snapshot.decline_code or "declined",
            message="The payment was declined.",
            hard=False,
            gateway_reference=snapshot.gateway_reference,
        )
        fail_declined(PAYMENTS, payment, decline, now=now, actor=actor)
    else:
        payment.gateway_reference = snapshot.gateway_reference
        move_payment(payment, PaymentStatus.CANCELED, at=now, actor=actor)
    return Settlement.APPLIED


def apply_capture(
    payment: Payment, result: ChargeResult, *, now: dt.datetime, actor: str
) -> bool:
    """Record a capture the gateway confirmed on a locked payment, if it matches.

    False when it does not: the payment stays AUTHORIZED for reconciliation.
    """
    if hold_if_mismatched(payment, Reported.of_result(result), now=now, actor=actor):
        payment.save()
        return False
    payment.captured_minor = result.amount.amount_minor
    move_payment(payment, PaymentStatus.SUCCEEDED, at=now, actor=actor)
    return True


def _apply_result(
    payment: Payment, result: ChargeResult, now: dt.datetime, actor: str
) -> None:
    """A charge's or a 3-D Secure completion's own answer, if it matches."""
    if hold_if_mismatched(payment, Reported.of_result(result), now=now, actor=actor):
        # Saved for what `apply_answer` changed: the consumed cryptogram is gone.
        payment.save()
        return
    _settle(payment, result, now, actor)


def _settle(
    payment: Payment, result: ChargeResult, now: dt.datetime, actor: str
) -> None:
    """Apply a result the settlement rule accepted."""
    payment.gateway_reference = result.gateway_reference
    payment.action = None
    if result.token and payment.payment_method_id is None:
        payment.payment_method = save_payment_method(
            payer=payment.payer,
            gateway=payment.gateway,
            token=result.token,
            card=result.card,
            now=now,
        )
    if result.state == PaymentState.SUCCEEDED:
        payment.captured_minor = result.amount.amount_minor
        move_payment(payment, PaymentStatus.SUCCEEDED, at=now, actor=actor)
    elif result.state == PaymentState.AUTHORIZED:
        move_payment(payment, PaymentStatus.AUTHORIZED, at=now, actor=actor)
    else:
        mark_unknown(
            payment, now=now, actor=actor, reason=f"gateway said {result.state}"
        )


def _apply_unclear(
    payment: Payment, error: GatewayError, now: dt.datetime, actor: str
) -> None:
    mark_unknown(payment, now=now, actor=actor, reason=str(error))


def _retire_hard_declined_card(
    payment: Payment, decline: Declined, now: dt.datetime
) -> None:
    """An expired, lost or stolen card is not charged again: the payer is asked."""
    if not decline.hard or payment.payment_method_id is None:
        return
    method = PaymentMethod.objects.select_for_update().get(id=payment.payment_method_id)
    if method.status == PaymentMethodStatus.USABLE:
        method.status = PaymentMethodStatus.EXPIRED
        method.is_default = False
        method.updated_at = now
        method.save()
        record_method_expired(method, at=now, reason=decline.reason_code)


def _book_captured_money(
    payment: Payment, status: str, at: dt.datetime, actor: str
) -> None:
    if status == PaymentStatus.SUCCEEDED:
        book_capture(payment, at=at, actor=actor)


def _announce(payment: Payment, previous: str, status: str, actor: str) -> None:
    payment_id, pays, kind = payment.id, payment.pays, payment.kind
    transaction.on_commit(
        lambda: payment_status_changed.send(
            sender=Payment,
            payment_id=payment_id,
            pays=pays,
            kind=kind,
            from_status=previous,
            to_status=status,
            actor=actor,
        )
    )


def _complete_3ds(
    adapter: PaymentGateway, payment: Payment, authentication_result: str | None
) -> ChargeResult:
    return adapter.complete_3ds(
        gateway_reference=payment.gateway_reference or "",
        authentication_result=authentication_result,
        amount=payment.amount,
    )


PAYMENTS: AttemptKind[Payment, ChargeResult] = AttemptKind(
    model=Payment,
    subject="payment",
    requires_action=PaymentStatus.REQUIRES_ACTION,
    failed=PaymentStatus.FAILED,
    find=get_payment,
    event_type=payment_event_type,
    payload=payment_payload,
    announce=_announce,
    on_moved=_book_captured_money,
    apply_result=_apply_result,
    on_declined=_retire_hard_declined_card,
    unavailable_message="The payment service is unavailable; try again.",
    apply_unclear=_apply_unclear,
    complete_3ds=_complete_3ds,
)
