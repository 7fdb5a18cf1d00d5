"""Payers: created on first sight, with the gateways' customer references, and
refused once forgotten."""

from __future__ import annotations

import datetime as dt
import uuid

from django.db import IntegrityError, transaction

from billing.errors import Conflict, NotFound
from billing.events import record_event
from billing.models import Payer
from billing.services._audit import record_status_change


class PayerNotFound(NotFound):
    """No such payer."""

    code = "payer_not_found"


class PayerForgotten(Conflict):
    """The payer was forgotten at their request: they cannot be charged again."""

    code = "payer_forgotten"


def ensure_payer(*, payer_id: uuid.UUID) -> Payer:
    """The payer with this auth-service UUID, created on first sight.

    :raises PayerForgotten: for a payer forgotten at their request.
    """
    try:
        with transaction.atomic():
            payer, _ = Payer.objects.get_or_create(id=payer_id)
    except IntegrityError:
        # Another request created it between our read and our insert.
        payer = Payer.objects.get(id=payer_id)
    refuse_if_forgotten(payer)
    return payer


def refuse_if_forgotten(payer: Payer) -> None:
    """:raises PayerForgotten: when `payer` was forgotten."""
    if payer.is_forgotten:
        raise PayerForgotten(extra={"payer": str(payer.id)})


def set_stripe_customer(*, payer: Payer, customer_reference: str | None) -> None:
    if payer.stripe_customer_id != customer_reference:
        Payer.objects.filter(id=payer.id).update(stripe_customer_id=customer_reference)
        payer.stripe_customer_id = customer_reference


def locked_payer(*, payer_id: uuid.UUID) -> Payer:
    """The payer, locked for the caller's transaction.

    :raises PayerNotFound:
    """
    payer = Payer.objects.select_for_update().filter(id=payer_id).first()
    if payer is None:
        raise PayerNotFound(extra={"payer": str(payer_id)})
    return payer


def mark_payer_forgotten(
    payer: Payer, *, now: dt.datetime, actor: str, reason: str
) -> None:
    """Stamp a locked payer forgotten, with its audit row and `payer.forgotten` event,
    in the caller's transaction. The reason goes to the audit trail only: the event
    stream carries no free text about a person."""
    payer.forgotten_at = now
    payer.save(update_fields=["forgotten_at"])
    record_status_change(
        object_type="payer",
        object_id=str(payer.id),
        from_status="KNOWN",
        to_status="FORGOTTEN",
        actor=actor,
        reason=reason,
        at=now,
    )
    record_event(
        type="payer.forgotten",
        occurred_at=now,
        payer=payer,
        payload={"payer_id": str(payer.id), "forgotten_at": now.isoformat()},
    )
