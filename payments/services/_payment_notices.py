"""The payer's mails about payments: a receipt, and a card that can no longer pay.

Each is sent once per fact (`billing.services.send_payer_notice`): a receipt per
succeeded payment, a notice per card retired. Mails name a card by brand and last
four digits only, never its number or token.
"""

from __future__ import annotations

import datetime as dt
import uuid

from billing.models import NoticeKind, PayerNotice
from billing.services import NoticeMessage, send_payer_notice
from payments.models import (
    Payment,
    PaymentMethod,
    PaymentMethodStatus,
    PaymentStatus,
)
from payments.services._payment_records import invoice_id_paid_by


def send_payment_receipt(
    *, payment_id: uuid.UUID, now: dt.datetime
) -> PayerNotice | None:
    """Mail the payer a receipt for the succeeded payment, with the PDF of the
    invoice it paid; None when the payment has not succeeded.

    :raises DirectoryUnavailable, MailServerUnavailable: to be retried later.
    """
    payment = (
        Payment.objects.select_related("payment_method").filter(id=payment_id).first()
    )
    if payment is None or payment.status != PaymentStatus.SUCCEEDED:
        return None
    invoice_id = invoice_id_paid_by(payment.pays)

    def compose() -> NoticeMessage:
        return NoticeMessage(
            template="payments/email/receipt",
            context={
                "amount": payment.captured.format(),
                "description": payment.description,
                "paid_at": payment.succeeded_at,
                "card": _card(payment.payment_method),
                "payment_id": payment.id,
                "has_invoice": invoice_id is not None,
            },
            invoice_id=invoice_id,
        )

    return send_payer_notice(
        kind=NoticeKind.RECEIPT,
        object_key=f"payment:{payment.id}",
        payer_id=payment.payer_id,
        compose=compose,
        now=now,
    )


def send_card_expired_notice(
    *, payment_method_id: uuid.UUID, now: dt.datetime
) -> PayerNotice | None:
    """Ask the payer to update a saved card the gateway refused for good; None when
    the card is unknown or not expired.

    :raises DirectoryUnavailable, MailServerUnavailable: to be retried later.
    """
    method = PaymentMethod.objects.filter(id=payment_method_id).first()
    if method is None or method.status != PaymentMethodStatus.EXPIRED:
        return None

    def compose() -> NoticeMessage:
        return NoticeMessage(
            template="payments/email/card_expired",
            context={"card": _card(method)},
        )

    return send_payer_notice(
        kind=NoticeKind.CARD_EXPIRED,
        object_key=f"payment_method:{method.id}",
        payer_id=method.payer_id,
        compose=compose,
        now=now,
    )


def _card(method: PaymentMethod | None) -> str:
    """`Visa •••• 4242`: what a mail may say of a card."""
    if method is None or not method.last4:
        return ""
    return f"{method.brand or 'Card'} •••• {method.last4}"
