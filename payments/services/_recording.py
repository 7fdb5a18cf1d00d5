"""Every payment transition is audited, becomes an outbox event and a signal."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.db import transaction

from billing.events import record_event
from billing.models import LedgerAccount
from billing.services import (
    Posting,
    post_to_ledger,
    record_invoice_payment,
    record_status_change,
)
from payments.models import Payment, PaymentMethod, PaymentStatus
from payments.signals import payment_status_changed

logger = logging.getLogger(__name__)

S = PaymentStatus


def _event_type(previous: str, status: str) -> str:
    if status == S.SUCCEEDED and previous == S.AUTHORIZED:
        return "payment.captured"
    if status == S.CANCELED and previous == S.AUTHORIZED:
        return "payment.voided"
    return {
        S.REQUIRES_ACTION: "payment.requires_action",
        S.AUTHORIZED: "payment.authorized",
        S.SUCCEEDED: "payment.succeeded",
        S.FAILED: "payment.failed",
        S.CANCELED: "payment.canceled",
        S.UNKNOWN: "payment.outcome_unknown",
    }[PaymentStatus(status)]


def payment_payload(payment: Payment) -> dict[str, Any]:
    """Version 1 of the `payment.*` event payload."""
    return {
        "payment_id": str(payment.id),
        "payer_id": str(payment.payer_id),
        "kind": payment.kind,
        "gateway": payment.gateway,
        "status": payment.status,
        "amount_minor": payment.amount_minor,
        "captured_minor": payment.captured_minor,
        "refunded_minor": payment.refunded_minor,
        "currency": payment.currency,
        "pays": payment.pays,
        "attempt": payment.attempt,
        "gateway_reference": payment.gateway_reference,
        "failure_code": payment.failure_code,
        "failure_message": payment.failure_message,
    }


def move_payment(
    payment: Payment, status: str, *, at: dt.datetime, actor: str, reason: str = ""
) -> bool:
    """Save a locked payment and move it forward; False when already there or past.

    Gateways repeat and reorder their news (replies, webhooks, janitor checks), so
    anything that is not a forward transition is ignored, never an error. Captured
    money goes on the books in the same transaction (`_book_capture`), before the
    payment's own event, so that every row lock is taken before the event lock.
    """
    if payment.status == status:
        payment.save()
        return False
    if not payment.can_transition_to(status):
        logger.warning(
            "payment.transition.ignored",
            extra={"payment": str(payment.id), "from": payment.status, "to": status},
        )
        return False
    previous = payment.transition_to(status, at=at)
    payment.save()
    if status == S.SUCCEEDED:
        _book_capture(payment, at=at, actor=actor)
    record_status_change(
        object_type="payment",
        object_id=str(payment.id),
        from_status=previous,
        to_status=status,
        actor=actor,
        reason=reason,
        at=at,
    )
    record_event(
        type=_event_type(previous, status),
        occurred_at=at,
        payer_id=payment.payer_id,
        payload=payment_payload(payment),
    )
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
    return True


def _book_capture(payment: Payment, *, at: dt.datetime, actor: str) -> None:
    """Put captured money on the books: an invoice paid, or revenue for the rest."""
    if not payment.captured_minor:
        return
    reference = f"payment:{payment.id}"
    invoice_id = _invoice_id(payment.pays)
    if invoice_id is not None:
        record_invoice_payment(
            invoice_id=invoice_id,
            payer_id=payment.payer_id,
            amount=payment.captured,
            gateway=payment.gateway,
            payment_reference=reference,
            at=at,
            actor=actor,
        )
        return
    post_to_ledger(
        [
            Posting.transfer(
                f"{reference}:captured",
                payment.captured,
                debit=LedgerAccount.GATEWAY_CASH,
                debit_subaccount=payment.gateway,
                credit=LedgerAccount.REVENUE,
                at=at,
                payer_id=payment.payer_id,
                memo=f"{payment.kind} payment for {payment.pays or 'no object'}",
            )
        ]
    )


def _invoice_id(pays: str) -> int | None:
    """The invoice id in `invoice:<id>`, the reference invoices are paid under."""
    prefix, _, number = pays.partition(":")
    return int(number) if prefix == "invoice" and number.isdigit() else None


def record_method_expired(
    method: PaymentMethod, *, at: dt.datetime, reason: str
) -> None:
    record_event(
        type="payment_method.expired",
        occurred_at=at,
        payer_id=method.payer_id,
        payload={
            "payment_method_id": str(method.id),
            "payer_id": str(method.payer_id),
            "gateway": method.gateway,
            "brand": method.brand,
            "last4": method.last4,
            "reason": reason,
        },
    )
