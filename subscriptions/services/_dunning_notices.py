"""The payer's reminder after a failed renewal: when the card is tried again, or
that a new card is needed, and by when.

Announced on commit where the failure is decided (`_charge_outcomes`), sent by a
task once per failed charge (`billing.services.send_payer_notice`).
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.db import transaction

from billing.models import Invoice, NoticeKind, PayerNotice
from billing.money import Money
from billing.services import NoticeMessage, send_payer_notice
from payments.models import Payment
from subscriptions.models import Subscription, SubscriptionStatus
from subscriptions.signals import renewal_payment_failed


def announce_failed_renewal(
    subscription: Subscription, invoice: Invoice, payment: Payment | None
) -> None:
    """Send `renewal_payment_failed` once the failure has committed."""
    subscription_id, invoice_id = subscription.id, invoice.id
    payment_id, attempt = (payment.id if payment else None), subscription.retry_count
    transaction.on_commit(
        lambda: renewal_payment_failed.send(
            sender=Subscription,
            subscription_id=subscription_id,
            invoice_id=invoice_id,
            payment_id=payment_id,
            attempt=attempt,
        )
    )


def send_dunning_reminder(
    *,
    subscription_id: uuid.UUID,
    invoice_id: int,
    payment_id: uuid.UUID | None,
    attempt: int,
    now: dt.datetime,
) -> PayerNotice | None:
    """Remind the payer of a failed renewal; None when the subscription is past
    dunning already (paid, ended) or unknown.

    :raises DirectoryUnavailable, MailServerUnavailable: to be retried later.
    """
    subscription = (
        Subscription.objects.select_related("plan").filter(id=subscription_id).first()
    )
    invoice = Invoice.objects.filter(id=invoice_id).first()
    if (
        subscription is None
        or invoice is None
        or subscription.status != SubscriptionStatus.PAST_DUE
    ):
        return None
    # A failure without a payment (no usable card) has no id of its own: the
    # invoice's attempt number tells it from the others.
    key = f"payment:{payment_id}" if payment_id else f"invoice:{invoice_id}:{attempt}"

    def compose() -> NoticeMessage:
        return NoticeMessage(
            template="subscriptions/email/dunning",
            context={
                "plan": subscription.plan.name,
                "amount": Money(invoice.total_minor, invoice.currency).format(),
                "invoice_number": invoice.display_number,
                "needs_new_card": subscription.needs_new_payment_method,
                "next_retry_at": subscription.next_retry_at,
                # Without a new card by then, the subscription ends.
                "grace_ends_at": subscription.due_at,
            },
        )

    return send_payer_notice(
        kind=NoticeKind.DUNNING,
        object_key=key,
        payer_id=subscription.payer_id,
        compose=compose,
        now=now,
    )
