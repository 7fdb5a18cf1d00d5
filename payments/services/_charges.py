"""Charging cards: a card just entered, a saved card, and finishing 3-D Secure.

Each flow commits the payment row, with its idempotency key, before calling the
gateway (the recovery point), calls the gateway outside any transaction, and applies
the answer afterwards under the row lock.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from billing.errors import Conflict
from billing.models import Payer
from billing.money import Money
from billing.services import RequestKey, ensure_payer, remember_request
from payments.gateways.base import (
    ChargeRequest,
    EnteredCard,
    GatewayError,
    SavedCard,
    Unavailable,
)
from payments.models import Payment, PaymentKind, PaymentMethod
from payments.services._accounts import account_at
from payments.services._methods import (
    NoUsablePaymentMethod,
    default_payment_method,
    refuse_forgotten_payer,
)
from payments.services._payment_outcomes import (
    PAYMENTS,
    GatewayAnswer,
    apply_payment_answer,
    gateway_reference_of,
)
from payments.services._pipeline import (
    CRYPTOGRAM_TTL,
    ask_gateway,
    check_new_attempt,
    complete_challenge,
    require_gateway,
)


class PaymentInProgress(Conflict):
    """The object already has a payment in progress or paid."""

    code = "payment_in_progress"


def start_card_payment(
    *,
    payer_id: uuid.UUID,
    gateway: str,
    amount: Money,
    card_payload: str,
    now: dt.datetime,
    actor: str,
    pays: str = "",
    kind: str = PaymentKind.INITIAL,
    description: str = "",
    capture: bool = True,
    ip_address: str | None = None,
    return_url: str | None = None,
    cardholder_name: str | None = None,
) -> Payment:
    """Charge, or with `capture=False` authorize, a card the payer just entered.

    On success the card's token is saved as the payer's default method. A card that
    needs 3-D Secure leaves the payment in REQUIRES_ACTION with the challenge.

    :raises PaymentInProgress: when `pays` already has a live payment.
    :raises GatewayNotConfigured, CardMissing, AmountNotPositive: before anything is
        saved, for a gateway that is not configured, an empty card or an amount
        that is not positive.
    """
    adapter = check_new_attempt(
        gateway=gateway, card_payload=card_payload, amount=amount
    )
    payer = ensure_payer(payer_id=payer_id)
    payment = _create_payment(
        payer=payer,
        gateway=gateway,
        kind=kind,
        amount=amount,
        pays=pays,
        description=description,
        now=now,
        cryptogram=card_payload,
    )
    try:
        account = account_at(adapter, payer)
    except GatewayError as error:
        # No charge was sent, so no money moved, whatever became of the Customer:
        # the payment fails like an outage and the payer tries again (the
        # Customer's own idempotency key makes that safe).
        answer = GatewayAnswer(error=Unavailable(f"the payer's account: {error}"))
        return apply_payment_answer(
            payment_id=payment.id, answer=answer, now=now, actor=actor
        )
    request = ChargeRequest(
        reference=gateway_reference_of(payment),
        idempotency_key=payment.idempotency_key,
        amount=amount,
        payer=account,
        source=EnteredCard(payload=card_payload, cardholder_name=cardholder_name),
        capture=capture,
        description=description,
        ip_address=ip_address,
        return_url=return_url,
        metadata={"pays": pays} if pays else {},
    )
    answer = ask_gateway(lambda: adapter.charge(request))
    return apply_payment_answer(
        payment_id=payment.id, answer=answer, now=now, actor=actor
    )


def charge_saved_card(
    *,
    payer_id: uuid.UUID,
    amount: Money,
    now: dt.datetime,
    actor: str,
    pays: str = "",
    kind: str = PaymentKind.ONE_OFF,
    description: str = "",
    capture: bool = True,
    payment_method_id: uuid.UUID | None = None,
    merchant_initiated: bool = True,
    scheduled: bool = False,
    attempt: int = 1,
    request: RequestKey | None = None,
) -> Payment:
    """Charge the payer's default (or the given) saved card, off-session by default.

    A hard decline (expired, lost, stolen card) marks the card unusable and emits
    `payment_method.expired`, so the payer is asked for a new card instead of retried.
    A caller's `request` key is stored with the payment's row, in its transaction.

    :raises PayerForgotten: for a payer forgotten at their request.
    :raises NoUsablePaymentMethod: when the payer has no usable saved card.
    :raises PaymentInProgress: when `pays` already has a live payment.
    :raises KeyTaken: when a concurrent request stored the same key first; nothing
        was saved or sent.
    :raises GatewayNotConfigured, AmountNotPositive: before anything is saved, for a
        card of a gateway that is no longer configured or an amount that is not
        positive.
    """
    method = (
        default_payment_method(payer_id=payer_id)
        if payment_method_id is None
        else _usable_method(payer_id, payment_method_id)
    )
    check_new_attempt(gateway=method.gateway, card_payload=None, amount=amount)
    payment = _create_payment(
        payer=method.payer,
        gateway=method.gateway,
        kind=kind,
        amount=amount,
        pays=pays,
        description=description,
        now=now,
        payment_method_id=method.id,
        attempt=attempt,
        request=request,
    )
    payment.payment_method = method
    answer = charge_prepared_payment(
        payment,
        capture=capture,
        merchant_initiated=merchant_initiated,
        scheduled=scheduled,
    )
    return apply_payment_answer(
        payment_id=payment.id, answer=answer, now=now, actor=actor
    )


@dataclass(frozen=True, slots=True)
class SavedCardCharge:
    """A saved-card charge to prepare: which card, how much, and what it pays."""

    payment_method: PaymentMethod
    amount: Money
    pays: str
    description: str = ""
    kind: str = PaymentKind.RECURRING
    attempt: int = 1


def prepare_saved_card_payments(
    charges: Sequence[SavedCardCharge], *, now: dt.datetime
) -> list[Payment]:
    """Save PENDING payments with their idempotency keys, in one INSERT.

    Runs in the caller's transaction: once it commits, each payment is a recovery
    point that `charge_prepared_payment` may send, and send again with the same key
    (the gateway answers a repeat, it does not carry it out twice).

    :raises IntegrityError: when a paid object already has a live payment.
    """
    payments = []
    for charge in charges:
        payment_id = uuid.uuid4()
        method = charge.payment_method
        payments.append(
            Payment(
                id=payment_id,
                payer_id=method.payer_id,
                kind=charge.kind,
                gateway=method.gateway,
                amount_minor=charge.amount.amount_minor,
                currency=charge.amount.currency,
                pays=charge.pays,
                description=charge.description,
                payment_method=method,
                idempotency_key=f"payment:{payment_id}",
                attempt=charge.attempt,
                created_at=now,
                updated_at=now,
            )
        )
    return Payment.objects.bulk_create(payments)


def charge_prepared_payment(
    payment: Payment,
    *,
    capture: bool = True,
    merchant_initiated: bool = True,
    scheduled: bool | None = None,
) -> GatewayAnswer:
    """Send a saved payment's charge to the gateway; its answer, or the typed error.

    Call it with no transaction open, then record the answer with
    `apply_gateway_answer`. `payment.payment_method` (with its payer) is charged,
    off-session by default; `scheduled` defaults to the payment being a recurring
    one. The same payment always makes the same request under the same key.
    """
    method = payment.payment_method
    if method is None or method.token is None:
        raise ValueError("only payments with a saved card's token are prepared")
    adapter = require_gateway(payment.gateway)
    request = ChargeRequest(
        reference=gateway_reference_of(payment),
        idempotency_key=payment.idempotency_key,
        amount=payment.amount,
        payer=account_at(adapter, method.payer),
        source=SavedCard(token=method.token),
        capture=capture,
        description=payment.description,
        merchant_initiated=merchant_initiated,
        scheduled=(
            payment.kind == PaymentKind.RECURRING if scheduled is None else scheduled
        ),
        metadata={"pays": payment.pays} if payment.pays else {},
    )
    return ask_gateway(lambda: adapter.charge(request))


def complete_3ds(
    *,
    payment_id: uuid.UUID,
    authentication_result: str | None,
    now: dt.datetime,
    actor: str,
) -> Payment:
    """Finish a payment after the payer's 3-D Secure step.

    Safe to call twice (a double-submitted form): only the first call reaches the
    gateway, the second returns the payment as it stands.

    :raises PaymentNotFound: for an unknown payment.
    :raises GatewayNotConfigured: when the payment's gateway is no longer set up.
    """
    return complete_challenge(
        PAYMENTS,
        attempt_id=payment_id,
        authentication_result=authentication_result,
        now=now,
        actor=actor,
    )


def _usable_method(payer_id: uuid.UUID, method_id: uuid.UUID) -> PaymentMethod:
    method = (
        PaymentMethod.objects.select_related("payer")
        .filter(id=method_id, payer_id=payer_id)
        .first()
    )
    if method is None or not method.is_usable:
        refuse_forgotten_payer(payer_id)
        raise NoUsablePaymentMethod(
            "That card cannot be charged.", extra={"payment_method": str(method_id)}
        )
    return method


def _create_payment(
    *,
    payer: Payer,
    gateway: str,
    kind: str,
    amount: Money,
    pays: str,
    description: str,
    now: dt.datetime,
    cryptogram: str | None = None,
    payment_method_id: uuid.UUID | None = None,
    attempt: int = 1,
    request: RequestKey | None = None,
) -> Payment:
    payment_id = uuid.uuid4()
    try:
        with transaction.atomic():
            if request is not None:
                # The key before the row: a concurrent request with the same key
                # then meets this one at the key (KeyTaken, answered with this
                # payment), not at `pays` (PaymentInProgress).
                remember_request(request, result=f"payment:{payment_id}", now=now)
            return Payment.objects.create(
                id=payment_id,
                payer=payer,
                kind=kind,
                gateway=gateway,
                amount_minor=amount.amount_minor,
                currency=amount.currency,
                pays=pays,
                description=description,
                payment_method_id=payment_method_id,
                idempotency_key=f"payment:{payment_id}",
                attempt=attempt,
                cryptogram=cryptogram,
                cryptogram_expires_at=now + CRYPTOGRAM_TTL if cryptogram else None,
                created_at=now,
                updated_at=now,
            )
    except IntegrityError as exc:
        if pays and Payment.objects.filter(pays=pays).exists():
            raise PaymentInProgress(extra={"pays": pays}) from exc
        raise
