"""Payers: created on first sight, with the gateways' customer references."""

from __future__ import annotations

import uuid

from django.db import IntegrityError, transaction

from billing.models import Payer


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
