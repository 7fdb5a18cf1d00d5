"""Discrepancies: recorded once, announced, and resolved by a person with a note."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction

from billing.errors import Conflict, DomainError, NotFound
from billing.events import record_event
from billing.services import record_status_change
from payments.models import Discrepancy, ReconciliationRun
from payments.services._payment_records import payment_payload
from payments.services._reconciliation_checks import Finding

OPEN, RESOLVED = "OPEN", "RESOLVED"


class DiscrepancyNotFound(NotFound):
    """No such discrepancy."""

    code = "discrepancy_not_found"


class DiscrepancyAlreadyResolved(Conflict):
    """This discrepancy is already resolved."""

    code = "discrepancy_already_resolved"


class ResolutionNoteRequired(DomainError):
    """Say in a note how the discrepancy was resolved."""

    code = "resolution_note_required"


def record_discrepancy(
    run: ReconciliationRun, finding: Finding, *, now: dt.datetime
) -> bool:
    """Record `finding` unless this kind about this subject is recorded: True if new.

    Inside the caller's transaction; a savepoint keeps the caller's work when a
    concurrent pass recorded it first.
    """
    if Discrepancy.objects.filter(
        gateway=run.gateway, kind=finding.kind, subject=finding.subject
    ).exists():
        return False
    payment = finding.payment
    try:
        with transaction.atomic():
            discrepancy = Discrepancy.objects.create(
                run=run,
                gateway=run.gateway,
                day=run.day,
                kind=finding.kind,
                subject=finding.subject,
                payment=payment,
                refund=finding.refund,
                gateway_reference=finding.gateway_reference,
                amount_minor=finding.amount.amount_minor,
                currency=finding.amount.currency,
                reason=finding.reason,
                ours=payment_payload(payment) if payment is not None else {},
                theirs=finding.theirs,
                detected_at=now,
            )
    except IntegrityError:
        return False
    record_event(
        type="reconciliation.discrepancy",
        occurred_at=now,
        payer_id=payment.payer_id if payment is not None else None,
        payload=discrepancy_payload(discrepancy),
    )
    return True


def resolve_discrepancy(
    discrepancy_id: int, *, note: str, actor: str, now: dt.datetime
) -> Discrepancy:
    """Close a discrepancy with the note that says what was done (audited).

    :raises ResolutionNoteRequired, DiscrepancyNotFound, DiscrepancyAlreadyResolved:
    """
    note = note.strip()
    if not note:
        raise ResolutionNoteRequired
    with transaction.atomic():
        discrepancy = (
            Discrepancy.objects.select_for_update().filter(id=discrepancy_id).first()
        )
        if discrepancy is None:
            raise DiscrepancyNotFound(extra={"discrepancy": discrepancy_id})
        if discrepancy.resolved_at is not None:
            raise DiscrepancyAlreadyResolved(extra={"discrepancy": discrepancy.id})
        discrepancy.resolved_at = now
        discrepancy.resolved_by = actor
        discrepancy.resolution_note = note
        discrepancy.save(
            update_fields=["resolved_at", "resolved_by", "resolution_note"]
        )
        record_status_change(
            object_type="discrepancy",
            object_id=str(discrepancy.id),
            from_status=OPEN,
            to_status=RESOLVED,
            actor=actor,
            reason=note,
            at=now,
        )
    return discrepancy


def discrepancy_payload(discrepancy: Discrepancy) -> dict[str, Any]:
    """Version 1 of the `reconciliation.discrepancy` event payload."""
    return {
        "discrepancy_id": discrepancy.id,
        "gateway": discrepancy.gateway,
        "day": discrepancy.day.isoformat(),
        "kind": discrepancy.kind,
        "subject": discrepancy.subject,
        "payment_id": str(discrepancy.payment_id) if discrepancy.payment_id else None,
        "refund_id": str(discrepancy.refund_id) if discrepancy.refund_id else None,
        "gateway_reference": discrepancy.gateway_reference,
        "amount_minor": discrepancy.amount_minor,
        "currency": discrepancy.currency,
        "reason": discrepancy.reason,
    }
