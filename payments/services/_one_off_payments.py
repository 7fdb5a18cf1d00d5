"""One-off payments a service asks for under its idempotency key (the shop's orders).

The same key and request answer the first result; the same key with another request
is `DuplicateRequest`. A charge or an authorization stores the key with its payment
row (`charge_saved_card`), a refund with its refund row (`refund_payment`), so a
crash leaves both or neither. Capture and void are idempotent on the payment, so
their key is stored first and a repeat simply asks again.

What the client pays for (`order:<uuid>`) becomes the payment's `pays`, so the rule
of one live payment per paid object keeps an order from being charged twice even
under two keys.

A payment that never reached the gateway (it was unreachable: `Unavailable`, nothing
was done) fails, and its request answers `GatewayUnavailable`. Its key stays free:
the next request under it, the client's retry, acts anew. Every other outcome binds
the key for good.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Final

from billing.errors import Conflict
from billing.money import Money
from billing.services import (
    KeyTaken,
    RequestKey,
    forget_request,
    remember_request,
    replay_of,
)
from payments.gateways.base import Unavailable
from payments.models import Payment, PaymentKind, PaymentStatus, Refund, RefundStatus
from payments.services._charges import PaymentInProgress, charge_saved_card
from payments.services._lookup import get_payment
from payments.services._pipeline import InvalidCardAttempt
from payments.services._refunds import refund_payment
from payments.services._two_step import (
    GatewayUnavailable,
    capture_payment,
    void_payment,
)

# `<kind>:<id>` in safe characters, short enough for `Payment.pays` (80).
_CLIENT_REFERENCE: Final = re.compile(r"[a-z][a-z0-9_-]{0,23}:[A-Za-z0-9._~-]{1,54}")
# Kinds our own payments pay (`invoice:`, `checkout:`) or our references name: a
# client's reference in them would pass for ours.
RESERVED_REFERENCE_KINDS: Final = frozenset(
    {"invoice", "checkout", "payment", "refund", "setup", "subscription"}
)
MAX_DESCRIPTION_LENGTH: Final = 200
# The failure code of a payment failed because the gateway was unreachable.
_UNREACHED: Final = "gateway_unavailable"


class InvalidOneOffPayment(InvalidCardAttempt):
    """A field of the one-off payment is malformed; `field` names it."""

    code = "invalid_one_off_payment"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message, extra={"field": field})


class RefundFailed(Conflict):
    """The gateway refused the refund; no money went back."""

    code = "refund_failed"


def take_one_off(
    *,
    payer_id: uuid.UUID,
    amount: Money,
    client_reference: str,
    description: str,
    hold_only: bool,
    request: RequestKey,
    now: dt.datetime,
    actor: str,
) -> Payment:
    """Take `amount` from the payer's saved card for `client_reference` (ONE_OFF),
    or with `hold_only` hold it there, to be captured or voided (an ORDER).

    :raises InvalidOneOffPayment: for a malformed reference or description.
    :raises DuplicateRequest: when the key was used for another request.
    :raises NoUsablePaymentMethod: when the payer has no usable saved card.
    :raises PaymentInProgress: when the reference already has a live payment.
    :raises GatewayUnavailable: when the gateway could not be reached.
    """
    pays = check_client_reference(client_reference)
    if len(description) > MAX_DESCRIPTION_LENGTH:
        raise InvalidOneOffPayment(
            "description",
            f"description is longer than {MAX_DESCRIPTION_LENGTH} characters.",
        )
    payment = _earlier_payment(request)
    if payment is not None:
        return payment
    try:
        payment = charge_saved_card(
            payer_id=payer_id,
            amount=amount,
            now=now,
            actor=actor,
            pays=pays,
            kind=PaymentKind.ORDER if hold_only else PaymentKind.ONE_OFF,
            description=description,
            capture=not hold_only,
            request=request,
        )
    except (KeyTaken, PaymentInProgress):
        # A concurrent request with this key came first: its payment answers.
        earlier = _earlier_payment(request)
        if earlier is None:
            raise
        return earlier
    if _unreached(payment):
        raise GatewayUnavailable(extra={"payment": str(payment.id)})
    return payment


def capture_one_off(
    *,
    payment_id: uuid.UUID,
    amount_minor: int | None,
    request: RequestKey,
    now: dt.datetime,
    actor: str,
) -> Payment:
    """Capture an authorization, whole (`amount_minor` None) or in part.

    :raises PaymentNotFound, DuplicateRequest:
    :raises InvalidStatusTransition, CaptureExceedsAuthorization: as
        `capture_payment`, and its GatewayRefused or GatewayUnavailable.
    """
    payment = get_payment(payment_id)
    _bind_key(request, result=f"payment:{payment.id}", now=now)
    amount = None if amount_minor is None else Money(amount_minor, payment.currency)
    return capture_payment(payment_id=payment.id, amount=amount, now=now, actor=actor)


def void_one_off(
    *, payment_id: uuid.UUID, request: RequestKey, now: dt.datetime, actor: str
) -> Payment:
    """Release an authorization.

    :raises PaymentNotFound, DuplicateRequest:
    :raises InvalidStatusTransition: as `void_payment`, and its GatewayRefused or
        GatewayUnavailable.
    """
    payment = get_payment(payment_id)
    _bind_key(request, result=f"payment:{payment.id}", now=now)
    return void_payment(payment_id=payment.id, now=now, actor=actor)


def refund_one_off(
    *,
    payment_id: uuid.UUID,
    amount_minor: int | None,
    reason: str,
    note: str,
    request: RequestKey,
    requested_by: str,
    now: dt.datetime,
) -> Refund:
    """Refund a succeeded payment, all that is left (`amount_minor` None) or part.

    A refund whose outcome the gateway has not told yet (PENDING, UNKNOWN) is
    answered as it stands; the payment's `payment.refunded` event follows.

    :raises PaymentNotFound, DuplicateRequest:
    :raises InvalidStatusTransition, RefundExceedsCaptured: as `refund_payment`.
    :raises RefundFailed: when the gateway refused it.
    :raises GatewayUnavailable: when the gateway could not be reached.
    """
    payment = get_payment(payment_id)
    refund = _earlier_refund(request)
    if refund is None:
        amount = None if amount_minor is None else Money(amount_minor, payment.currency)
        try:
            refund = refund_payment(
                payment_id=payment.id,
                amount=amount,
                reason=reason,
                note=note,
                requested_by=requested_by,
                now=now,
                request=request,
            )
        except KeyTaken:
            refund = _earlier_refund(request)
            if refund is None:
                raise
    if refund.status != RefundStatus.FAILED:
        # The payment as the refund left it (its refunded sum grown).
        refund.payment = get_payment(refund.payment_id)
        return refund
    if refund.failure_code == Unavailable.__name__:
        raise GatewayUnavailable(extra={"refund": str(refund.id)})
    raise RefundFailed(
        "The gateway refused the refund.",
        extra={"refund": str(refund.id), "reason_code": refund.failure_code},
    )


def check_client_reference(reference: str) -> str:
    """`reference` as a payment's `pays`.

    :raises InvalidOneOffPayment: unless it is `<kind>:<id>` of safe characters
        with a kind that is not one of ours.
    """
    if not _CLIENT_REFERENCE.fullmatch(reference):
        raise InvalidOneOffPayment(
            "client_reference",
            "client_reference is `<kind>:<id>`: a lowercase kind of up to 24 "
            "characters, then up to 54 letters, digits or . _ ~ -.",
        )
    kind = reference.partition(":")[0]
    if kind in RESERVED_REFERENCE_KINDS:
        raise InvalidOneOffPayment(
            "client_reference", f"client_reference may not be of the kind {kind!r}."
        )
    return reference


def _earlier_payment(request: RequestKey) -> Payment | None:
    """The payment made under this key, unless it never reached the gateway."""
    result = replay_of(request)
    if result is None:
        return None
    payment = get_payment(uuid.UUID(result.removeprefix("payment:")))
    if _unreached(payment):
        forget_request(request, result=result)
        return None
    return payment


def _unreached(payment: Payment) -> bool:
    return payment.status == PaymentStatus.FAILED and payment.failure_code == _UNREACHED


def _earlier_refund(request: RequestKey) -> Refund | None:
    """The refund made under this key, unless it never reached the gateway."""
    result = replay_of(request)
    if result is None:
        return None
    refund = Refund.objects.select_related("payment").get(
        id=uuid.UUID(result.removeprefix("refund:"))
    )
    if (
        refund.status == RefundStatus.FAILED
        and refund.failure_code == Unavailable.__name__
    ):
        forget_request(request, result=result)
        return None
    return refund


def _bind_key(request: RequestKey, *, result: str, now: dt.datetime) -> None:
    """Store the key for `result` before acting: repeating the act is harmless.

    :raises DuplicateRequest: when the key was used for another request.
    """
    if replay_of(request) is not None:
        return
    try:
        remember_request(request, result=result, now=now)
    except KeyTaken:
        # A concurrent request stored it first: the same request, or refused here.
        replay_of(request)
