"""Applying what a gateway said about a payment, under the payment's row lock."""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from billing import outbox
from payments.gateways.base import (
    ChargeResult,
    Declined,
    GatewayError,
    PaymentSnapshot,
    PaymentState,
    RequiresAction,
    Unavailable,
)
from payments.models import Payment, PaymentMethod, PaymentMethodStatus, PaymentStatus
from payments.services._methods import save_payment_method
from payments.services._recording import move_payment, record_method_expired

logger = logging.getLogger(__name__)

S = PaymentStatus

# When an outcome is unknown, ask the gateway after these delays, then give up asking
# and leave the payment to reconciliation (and a person).
OUTCOME_CHECK_DELAYS = (
    dt.timedelta(minutes=5),
    dt.timedelta(hours=1),
    dt.timedelta(days=1),
    dt.timedelta(days=1),
    dt.timedelta(days=1),
)


@dataclass(frozen=True, slots=True)
class GatewayAnswer:
    """A gateway call's result or the typed error it raised."""

    result: ChargeResult | None = None
    error: GatewayError | None = None


def ask_gateway(call: Callable[[], ChargeResult]) -> GatewayAnswer:
    """Run a gateway call, keeping its typed error instead of raising it."""
    try:
        return GatewayAnswer(result=call())
    except GatewayError as error:
        if type(error) is GatewayError:
            logger.exception("Unable to understand a gateway's answer")
        return GatewayAnswer(error=error)


def apply_answer(
    *,
    payment_id: uuid.UUID,
    answer: GatewayAnswer,
    now: dt.datetime,
    actor: str,
    keep_pending_when_unavailable: bool = False,
) -> Payment:
    """Record a charge's outcome: result, decline, 3-D Secure, or unknown.

    The card cryptogram is wiped whatever happened: the call has consumed it. Joins
    the caller's transaction when there is one (no savepoint), so that what the
    caller does with the outcome commits with it.
    """
    with outbox.atomic(savepoint=False):
        payment = Payment.objects.select_for_update().get(id=payment_id)
        payment.cryptogram = None
        payment.cryptogram_expires_at = None
        payment.updated_at = now
        error = answer.error
        if answer.result is not None:
            _apply_result(payment, answer.result, now=now, actor=actor)
        elif isinstance(error, RequiresAction):
            payment.gateway_reference = error.challenge.gateway_reference
            payment.action = {
                "url": error.challenge.url,
                "form_fields": dict(error.challenge.form_fields),
            }
            move_payment(payment, S.REQUIRES_ACTION, at=now, actor=actor)
        elif isinstance(error, Declined):
            _apply_decline(payment, error, now=now, actor=actor)
        elif isinstance(error, Unavailable) and keep_pending_when_unavailable:
            payment.save()
        elif isinstance(error, Unavailable):
            payment.failure_code = "gateway_unavailable"
            payment.failure_message = "The payment service is unavailable; try again."
            move_payment(payment, S.FAILED, at=now, actor=actor, reason=str(error))
        else:
            # OutcomeUnknown, or an answer we could not read: money may have moved.
            mark_unknown(payment, now=now, actor=actor, reason=str(error))
        return payment


def mark_unknown(
    payment: Payment, *, now: dt.datetime, actor: str, reason: str
) -> None:
    payment.next_outcome_check_at = now + OUTCOME_CHECK_DELAYS[0]
    payment.outcome_checks = 0
    move_payment(payment, S.UNKNOWN, at=now, actor=actor, reason=reason)


def _apply_result(
    payment: Payment, result: ChargeResult, *, now: dt.datetime, actor: str
) -> None:
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
        move_payment(payment, S.SUCCEEDED, at=now, actor=actor)
    elif result.state == PaymentState.AUTHORIZED:
        move_payment(payment, S.AUTHORIZED, at=now, actor=actor)
    else:
        mark_unknown(
            payment, now=now, actor=actor, reason=f"gateway said {result.state}"
        )


def _apply_decline(
    payment: Payment, error: Declined, *, now: dt.datetime, actor: str
) -> None:
    payment.failure_code = error.reason_code[:40]
    payment.failure_message = error.message[:255]
    if error.gateway_reference and not payment.gateway_reference:
        payment.gateway_reference = error.gateway_reference
    payment.action = None
    moved = move_payment(
        payment, S.FAILED, at=now, actor=actor, reason=error.reason_code
    )
    if moved and error.hard and payment.payment_method_id is not None:
        method = PaymentMethod.objects.select_for_update().get(
            id=payment.payment_method_id
        )
        if method.status == PaymentMethodStatus.USABLE:
            method.status = PaymentMethodStatus.EXPIRED
            method.is_default = False
            method.updated_at = now
            method.save()
            record_method_expired(method, at=now, reason=error.reason_code)


def apply_snapshot(
    payment: Payment, snapshot: PaymentSnapshot, *, now: dt.datetime, actor: str
) -> bool:
    """Settle a locked payment from the gateway's record; False when it is not final."""
    if snapshot.state == PaymentState.SUCCEEDED:
        result = ChargeResult(
            gateway_reference=snapshot.gateway_reference,
            state=PaymentState.SUCCEEDED,
            amount=snapshot.captured,
            token=snapshot.token,
            card=snapshot.card,
        )
        _apply_result(payment, result, now=now, actor=actor)
        return True
    if snapshot.state == PaymentState.AUTHORIZED:
        payment.gateway_reference = snapshot.gateway_reference
        move_payment(payment, S.AUTHORIZED, at=now, actor=actor)
        return True
    if snapshot.state == PaymentState.DECLINED:
        decline = Declined(
            reason_code=snapshot.decline_code or "declined",
            message="The payment was declined.",
            hard=False,
            gateway_reference=snapshot.gateway_reference,
        )
        _apply_decline(payment, decline, now=now, actor=actor)
        return True
    if snapshot.state == PaymentState.CANCELED:
        payment.gateway_reference = snapshot.gateway_reference
        move_payment(payment, S.CANCELED, at=now, actor=actor)
        return True
    return False
