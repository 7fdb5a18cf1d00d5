"""What a payment's move records: its outbox event, and captured money on the books."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from billing.events import record_event
from billing.models import LedgerAccount
from billing.services import Posting, post_to_ledger, record_invoice_payment
from payments.models import Payment, PaymentMethod, PaymentStatus
from payments.signals import payment_method_expired


def payment_event_type(previous: str, status: str) -> str:
    """The `payment.*` event a move from `previous` to `status` emits."""
    if status == PaymentStatus.SUCCEEDED and previous == PaymentStatus.AUTHORIZED:
        return "payment.captured"
    if status == PaymentStatus.CANCELED and previous == PaymentStatus.AUTHORIZED:
        return "payment.voided"
    return {
        PaymentStatus.REQUIRES_ACTION: "payment.requires_action",
        PaymentStatus.AUTHORIZED: "payment.authorized",
        PaymentStatus.SUCCEEDED: "payment.succeeded",
        PaymentStatus.FAILED: "payment.failed",
        PaymentStatus.CANCELED: "payment.canceled",
        PaymentStatus.UNKNOWN: "payment.outcome_unknown",
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


def book_capture(payment: Payment, *, at: dt.datetime, actor: str) -> None:
    """Put captured money on the books: an invoice paid, or revenue for the rest."""
    if not payment.captured_minor:
        return
    reference = f"payment:{payment.id}"
    invoice_id = invoice_id_paid_by(payment.pays)
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


def invoice_id_paid_by(pays: str) -> int | None:
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
    method_id = method.id
    transaction.on_commit(
        lambda: payment_method_expired.send(
            sender=PaymentMethod, payment_method_id=method_id, reason=reason
        )
    )
