"""Use cases of the billing core: payers and the audit trail."""

from __future__ import annotations

import datetime as dt
import uuid

from django.db import IntegrityError, transaction

from billing.models import Payer, StatusChange


def ensure_payer(*, payer_id: uuid.UUID) -> Payer:
    """The payer with this auth-service UUID, created on first sight."""
    try:
        with transaction.atomic():
            payer, _ = Payer.objects.get_or_create(id=payer_id)
    except IntegrityError:
        # Another request created it between our read and our insert.
        payer = Payer.objects.get(id=payer_id)
    return payer


def set_stripe_customer(*, payer: Payer, customer_reference: str) -> None:
    if payer.stripe_customer_id != customer_reference:
        Payer.objects.filter(id=payer.id).update(stripe_customer_id=customer_reference)
        payer.stripe_customer_id = customer_reference


def record_status_change(
    *,
    object_type: str,
    object_id: str,
    from_status: str,
    to_status: str,
    actor: str,
    reason: str,
    at: dt.datetime,
) -> StatusChange:
    """Append one transition to the audit trail (inside the caller's transaction)."""
    return StatusChange.objects.create(
        object_type=object_type,
        object_id=object_id,
        from_status=from_status,
        to_status=to_status,
        actor=actor,
        reason=reason,
        at=at,
    )
