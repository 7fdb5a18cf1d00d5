"""Finding the payment a use case acts on."""

from __future__ import annotations

import uuid

from billing.errors import NotFound
from payments.models import Payment


class PaymentNotFound(NotFound):
    """No such payment."""

    code = "payment_not_found"


def get_payment(payment_id: uuid.UUID) -> Payment:
    """:raises PaymentNotFound:"""
    try:
        return Payment.objects.select_related("payer").get(id=payment_id)
    except Payment.DoesNotExist:
        raise PaymentNotFound(extra={"payment": str(payment_id)}) from None
