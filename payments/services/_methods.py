"""Saving the cards that first payments return, and choosing the one to charge."""

from __future__ import annotations

import datetime as dt
import uuid

from billing.errors import DomainError
from billing.models import Payer
from billing.services import refuse_if_forgotten
from payments.gateways.base import CardDetails
from payments.models import PaymentMethod, PaymentMethodStatus


class NoUsablePaymentMethod(DomainError):
    """The payer has no usable saved card; a new card is needed."""

    code = "no_usable_payment_method"
    http_status = 409


def save_payment_method(
    *,
    payer: Payer,
    gateway: str,
    token: str,
    card: CardDetails | None,
    now: dt.datetime,
) -> PaymentMethod:
    """Keep the gateway token of a newly used card (inside the caller's transaction).

    The newest card becomes the default: the payer just chose it. Saving the same
    token again for the same payer returns the existing method. A gateway may hand
    two payers the same token (one card, two accounts): each gets a method of its
    own, never the other payer's.
    """
    digest = PaymentMethod.digest(gateway, token)
    existing = PaymentMethod.objects.filter(
        payer=payer, gateway=gateway, token_digest=digest
    ).first()
    if existing is not None:
        return existing
    PaymentMethod.objects.filter(payer=payer, is_default=True).update(
        is_default=False, updated_at=now
    )
    return PaymentMethod.objects.create(
        payer=payer,
        gateway=gateway,
        token=token,
        token_digest=digest,
        brand=card.brand if card else "",
        first6=card.first6 if card else "",
        last4=card.last4 if card else "",
        exp_month=card.exp_month if card else None,
        exp_year=card.exp_year if card else None,
        is_default=True,
        created_at=now,
        updated_at=now,
    )


def default_payment_method(
    *, payer_id: uuid.UUID, gateway: str | None = None
) -> PaymentMethod:
    """The payer's default usable card.

    :raises PayerForgotten: for a payer forgotten at their request.
    :raises NoUsablePaymentMethod: when there is none.
    """
    methods = PaymentMethod.objects.select_related("payer").filter(
        payer_id=payer_id, status=PaymentMethodStatus.USABLE, is_default=True
    )
    if gateway is not None:
        methods = methods.filter(gateway=gateway)
    method = methods.first()
    if method is None:
        refuse_forgotten_payer(payer_id)
        raise NoUsablePaymentMethod(extra={"payer": str(payer_id)})
    return method


def refuse_forgotten_payer(payer_id: uuid.UUID) -> None:
    """:raises PayerForgotten: when the payer was forgotten (no card is usable)."""
    payer = Payer.objects.filter(id=payer_id).first()
    if payer is not None:
        refuse_if_forgotten(payer)
