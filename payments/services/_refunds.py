"""Refunds, full or partial, never above what was captured."""

from __future__ import annotations

import datetime as dt
import uuid

from django.db import transaction
from django.db.models import Sum

from billing import outbox
from billing.errors import Conflict, InvalidStatusTransition
from billing.events import record_event
from billing.models import LedgerAccount
from billing.money import CurrencyMismatch, Money
from billing.services import (
    Posting,
    RequestKey,
    post_to_ledger,
    record_status_change,
    remember_request,
)
from payments.gateways import get_gateway
from payments.gateways.base import Declined, GatewayError, OutcomeUnknown
from payments.models import Payment, PaymentStatus, Refund, RefundStatus
from payments.models._refunds import OUTSTANDING_REFUND_STATUSES
from payments.services._lookup import get_payment
from payments.services._payment_outcomes import OUTCOME_CHECK_DELAYS
from payments.services._payment_records import payment_payload


class RefundExceedsCaptured(Conflict):
    """The refund is larger than what is left to refund."""

    code = "refund_exceeds_captured"


def refund_payment(
    *,
    payment_id: uuid.UUID,
    reason: str,
    requested_by: str,
    now: dt.datetime,
    amount: Money | None = None,
    note: str = "",
    request: RequestKey | None = None,
) -> Refund:
    """Refund a succeeded payment, in full (the default) or in part.

    The amount is reserved under the payment's row lock before the gateway is called,
    so concurrent refunds can never add up to more than was captured. A caller's
    `request` key is stored in the transaction that reserves the refund.

    :raises PaymentNotFound, InvalidStatusTransition, CurrencyMismatch,
        RefundExceedsCaptured:
    :raises KeyTaken: when a concurrent request stored the same key first; nothing
        was reserved or sent.
    """
    refund = _reserve_refund(
        payment_id=payment_id,
        amount=amount,
        reason=reason,
        note=note,
        requested_by=requested_by,
        now=now,
        request=request,
    )
    payment = refund.payment
    adapter = get_gateway(payment.gateway)
    reference = payment.gateway_reference or ""
    try:
        result = adapter.refund(
            gateway_reference=reference,
            amount=refund.amount,
            idempotency_key=refund.idempotency_key,
        )
    except GatewayError as error:
        return _record_refund_failure(refund.id, error, now=now)
    return record_refund_success(
        refund.id, gateway_reference=result.gateway_reference, now=now
    )


def _reserve_refund(
    *,
    payment_id: uuid.UUID,
    amount: Money | None,
    reason: str,
    note: str,
    requested_by: str,
    now: dt.datetime,
    request: RequestKey | None,
) -> Refund:
    get_payment(payment_id)
    refund_id = uuid.uuid4()
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(id=payment_id)
        if request is not None:
            # First under the lock: a concurrent request with the same key, which
            # waited for it, meets this one at the key, not at the remaining amount.
            # A refusal below rolls the key back with the rest.
            remember_request(request, result=f"refund:{refund_id}", now=now)
        checked = checked_refund_amount(payment, amount)
        return Refund.objects.create(
            id=refund_id,
            payment=payment,
            amount_minor=checked.amount_minor,
            currency=checked.currency,
            reason=reason,
            note=note,
            idempotency_key=f"refund:{refund_id}",
            requested_by=requested_by,
            created_at=now,
            updated_at=now,
        )


def checked_refund_amount(payment: Payment, amount: Money | None) -> Money:
    """What to refund of the payment: `amount`, or what is left when None.

    :raises InvalidStatusTransition: unless the payment succeeded.
    :raises CurrencyMismatch: for an amount in another currency than the payment.
    :raises RefundExceedsCaptured: for an amount of zero or less, or above what is
        left to refund.
    """
    if payment.status != PaymentStatus.SUCCEEDED:
        raise InvalidStatusTransition(
            f"Only succeeded payments are refunded; this one is {payment.status}.",
            extra={"payment": str(payment.id), "status": payment.status},
        )
    if amount is not None and amount.currency != payment.currency:
        raise CurrencyMismatch(
            f"The payment is in {payment.currency}, not {amount.currency}.",
            extra={"fields": {"currency": f"Must be {payment.currency}."}},
        )
    remaining = refundable_minor(payment)
    requested = remaining if amount is None else amount.amount_minor
    if requested <= 0 or requested > remaining:
        raise RefundExceedsCaptured(
            extra={"remaining_minor": remaining, "requested_minor": requested}
        )
    return Money(requested, payment.currency)


def refundable_minor(payment: Payment) -> int:
    """What is left to refund of the payment's captured amount, in minor units:
    refunds made, running or of unknown outcome are taken off."""
    reserved = (
        payment.refunds.filter(status__in=OUTSTANDING_REFUND_STATUSES).aggregate(
            total=Sum("amount_minor")
        )["total"]
        or 0
    )
    return int(payment.captured_minor - reserved)


def record_refund_success(
    refund_id: uuid.UUID,
    *,
    gateway_reference: str | None,
    now: dt.datetime,
    actor: str | None = None,
) -> Refund:
    """Record a refund the gateway made: the payment's refunded sum and the event.

    `gateway_reference` is None when the refund was confirmed without its id (the
    janitor sees only the payment's refunded total). `actor` defaults to whoever
    asked for the refund. A refund already recorded is returned unchanged. The
    refunded money leaves the gateway's cash in the ledger in the same transaction.
    """
    with outbox.atomic():
        refund = (
            Refund.objects.select_related("payment")
            .select_for_update()
            .get(id=refund_id)
        )
        if refund.status == RefundStatus.SUCCEEDED:
            return refund
        payment = Payment.objects.select_for_update().get(id=refund.payment_id)
        previous = refund.status
        refund.status = RefundStatus.SUCCEEDED
        refund.gateway_reference = gateway_reference
        refund.succeeded_at = now
        refund.next_check_at = None
        refund.updated_at = now
        refund.save()
        payment.refunded_minor += refund.amount_minor
        payment.updated_at = now
        payment.save(update_fields=["refunded_minor", "updated_at"])
        post_to_ledger(
            [
                Posting.transfer(
                    f"refund:{refund.id}:succeeded",
                    refund.amount,
                    debit=LedgerAccount.REFUNDS,
                    credit=LedgerAccount.GATEWAY_CASH,
                    credit_subaccount=payment.gateway,
                    at=now,
                    payer_id=payment.payer_id,
                    memo=f"refund of payment:{payment.id} ({refund.reason})",
                )
            ]
        )
        audit_refund(refund, previous, now=now, actor=actor)
        record_event(
            type="payment.refunded",
            occurred_at=now,
            payer_id=payment.payer_id,
            payload={
                **payment_payload(payment),
                "refund_id": str(refund.id),
                "refund_amount_minor": refund.amount_minor,
                "refund_reason": refund.reason,
                "refund_state": payment.refund_state,
            },
        )
        return refund


def _record_refund_failure(
    refund_id: uuid.UUID, error: GatewayError, *, now: dt.datetime
) -> Refund:
    with transaction.atomic():
        refund = (
            Refund.objects.select_related("payment")
            .select_for_update()
            .get(id=refund_id)
        )
        previous = refund.status
        if isinstance(error, OutcomeUnknown):
            # The gateway may have refunded: keep the amount reserved until it says,
            # and ask it on the same schedule as for payments.
            refund.status = RefundStatus.UNKNOWN
            refund.checks = 0
            refund.next_check_at = now + OUTCOME_CHECK_DELAYS[0]
        else:
            refund.status = RefundStatus.FAILED
            refund.failure_code = (
                error.reason_code
                if isinstance(error, Declined)
                else type(error).__name__
            )[:40]
        refund.updated_at = now
        refund.save()
        audit_refund(refund, previous, now=now)
        return refund


def audit_refund(
    refund: Refund, previous: str, *, now: dt.datetime, actor: str | None = None
) -> None:
    record_status_change(
        object_type="refund",
        object_id=str(refund.id),
        from_status=previous,
        to_status=refund.status,
        actor=actor or refund.requested_by,
        reason=refund.reason,
        at=now,
    )
