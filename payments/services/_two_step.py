"""Two-step payments: capture or void an authorization.

A capture is recorded as the gateway reports it, through the settlement rule: it
may take less than the authorization, never more and never another currency.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable

from billing import outbox
from billing.errors import InvalidStatusTransition
from billing.money import Money
from payments.gateways import get_gateway
from payments.gateways.base import (
    ChargeResult,
    Declined,
    GatewayError,
    OutcomeUnknown,
    Unavailable,
)
from payments.models import Payment, PaymentStatus
from payments.services._lookup import get_payment
from payments.services._payment_outcomes import (
    apply_capture,
    mark_unknown,
    move_payment,
)


class CaptureExceedsAuthorization(InvalidStatusTransition):
    """A capture cannot take more than was authorized."""

    code = "capture_exceeds_authorization"


class GatewayRefused(InvalidStatusTransition):
    """The gateway refused the operation."""

    code = "gateway_refused"


class GatewayUnavailable(InvalidStatusTransition):
    """The payment service is unavailable; nothing was done. Try again."""

    code = "gateway_unavailable"
    http_status = 503


def capture_payment(
    *, payment_id: uuid.UUID, now: dt.datetime, actor: str, amount: Money | None = None
) -> Payment:
    """Capture an authorized payment, in full or in part. Capturing twice is harmless.

    :raises InvalidStatusTransition: when the payment is not authorized.
    :raises CaptureExceedsAuthorization: for an amount above the authorization.
    :raises GatewayRefused, GatewayUnavailable: when the gateway says no or is down.
    """
    payment = get_payment(payment_id)
    if payment.status == PaymentStatus.SUCCEEDED:
        return payment
    _require(payment, PaymentStatus.AUTHORIZED, "captured")
    amount = amount or payment.amount
    if (
        amount.currency != payment.currency
        or not 0 < amount.amount_minor <= payment.amount_minor
    ):
        raise CaptureExceedsAuthorization(
            extra={
                "authorized_minor": payment.amount_minor,
                "requested_minor": amount.amount_minor,
            }
        )
    adapter = get_gateway(payment.gateway)
    reference = payment.gateway_reference or ""
    try:
        result = adapter.capture(
            gateway_reference=reference,
            amount=amount,
            idempotency_key=f"capture:{payment.id}",
        )
    except GatewayError as error:
        return _settle(payment.id, error, PaymentStatus.SUCCEEDED, now=now, actor=actor)
    return _settle(
        payment.id, None, PaymentStatus.SUCCEEDED, now=now, actor=actor, captured=result
    )


def void_payment(*, payment_id: uuid.UUID, now: dt.datetime, actor: str) -> Payment:
    """Release an authorization. Voiding twice is harmless.

    :raises InvalidStatusTransition: when the payment is not authorized.
    :raises GatewayRefused, GatewayUnavailable: when the gateway says no or is down.
    """
    payment = get_payment(payment_id)
    if payment.status == PaymentStatus.CANCELED:
        return payment
    _require(payment, PaymentStatus.AUTHORIZED, "voided")
    adapter = get_gateway(payment.gateway)
    reference = payment.gateway_reference or ""
    error = _call(
        lambda: adapter.void(
            gateway_reference=reference, idempotency_key=f"void:{payment.id}"
        )
    )
    return _settle(payment.id, error, PaymentStatus.CANCELED, now=now, actor=actor)


def _require(payment: Payment, status: str, verb: str) -> None:
    if payment.status != status:
        raise InvalidStatusTransition(
            f"Only an authorized payment can be {verb}; this one is {payment.status}.",
            extra={"payment": str(payment.id), "status": payment.status},
        )


def _call(operation: Callable[[], object]) -> GatewayError | None:
    try:
        operation()
    except GatewayError as error:
        return error
    return None


def _settle(
    payment_id: uuid.UUID,
    error: GatewayError | None,
    status: str,
    *,
    now: dt.datetime,
    actor: str,
    captured: ChargeResult | None = None,
) -> Payment:
    with outbox.atomic():
        payment = Payment.objects.select_for_update().get(id=payment_id)
        if error is None:
            if captured is not None:
                # The capture as the gateway reports it, if the rule accepts it.
                apply_capture(payment, captured, now=now, actor=actor)
            else:
                move_payment(payment, status, at=now, actor=actor)
            return payment
        if isinstance(error, OutcomeUnknown) or type(error) is GatewayError:
            mark_unknown(payment, now=now, actor=actor, reason=str(error))
            return payment
    if isinstance(error, Unavailable):
        raise GatewayUnavailable(extra={"payment": str(payment_id)})
    code = error.reason_code if isinstance(error, Declined) else "refused"
    raise GatewayRefused(extra={"payment": str(payment_id), "reason_code": code})
