"""The refund desk: refund now, or file a request that a second accounting user
approves (then the refund runs) or rejects.

A refund that brings its payment's refunds to the approval threshold of its currency
(`settings.REFUND_APPROVAL_THRESHOLDS`, minor units) or above waits for a second
approver; so does every refund that support asks for. The refund itself always runs
through `refund_payment`, which reserves the amount under the payment's lock before
the gateway is called: approving a request twice is refused by its state machine,
and no request ever refunds twice.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError

from billing import outbox
from billing.errors import Conflict, DomainError, NotFound
from billing.events import record_event
from billing.money import Money
from billing.services import record_status_change
from kit.actors import user_actor
from kit.api.permissions import has_staff_role, may_move_money, money_roles_text
from payments.models import (
    Payment,
    Refund,
    RefundRequest,
    RefundRequestStatus,
    RefundStatus,
)
from payments.services._lookup import get_payment
from payments.services._refunds import (
    checked_refund_amount,
    refund_payment,
    refundable_minor,
)


class RefundDeskForbidden(DomainError):
    """Only accounting staff may refund or decide on refund requests."""

    code = "permission_denied"
    http_status = 403


class OwnRefundRequest(DomainError):
    """The requester of a refund cannot decide on it: another accounting user must."""

    code = "own_refund_request"
    http_status = 403


class RefundRequestNotFound(NotFound):
    """No such refund request."""

    code = "refund_request_not_found"


class RefundRequestOpen(Conflict):
    """The payment has a refund request waiting already: decide on it first."""

    code = "refund_request_open"


class DecisionNoteRequired(DomainError):
    """Say why the refund request is rejected."""

    code = "decision_note_required"


@dataclass(frozen=True, slots=True)
class RefundDeskOutcome:
    """What the desk did: a refund made now, or a request filed for approval."""

    refund: Refund | None = None
    refund_request: RefundRequest | None = None


def refund_or_request(
    *,
    payment_id: uuid.UUID,
    amount: Money | None,
    reason: str,
    note: str,
    user: Any,
    now: dt.datetime,
) -> RefundDeskOutcome:
    """Refund now (below the threshold), or file a request for a second approver.

    `amount` None refunds what is left of the payment.

    :raises RefundDeskForbidden: for a user outside the money roles.
    :raises PaymentNotFound, InvalidStatusTransition, CurrencyMismatch,
        RefundExceedsCaptured, RefundRequestOpen:
    """
    _require_money_role(user)
    payment = get_payment(payment_id)
    amount = checked_refund_amount(payment, amount)
    if needs_second_approver(payment, amount):
        request = file_refund_request(
            payment_id=payment_id,
            amount=amount,
            reason=reason,
            note=note,
            user=user,
            now=now,
        )
        return RefundDeskOutcome(refund_request=request)
    refund = refund_payment(
        payment_id=payment_id,
        amount=amount,
        reason=reason,
        note=note,
        requested_by=user_actor(user),
        now=now,
    )
    return RefundDeskOutcome(refund=refund)


def needs_second_approver(payment: Payment, amount: Money) -> bool:
    """Whether refunding `amount` brings the payment's refunds (made, running or
    unknown) to its currency's threshold or above; a currency without one always
    needs a second approver."""
    threshold = settings.REFUND_APPROVAL_THRESHOLDS.get(payment.currency)
    if threshold is None:
        return True
    already = payment.captured_minor - refundable_minor(payment)
    return bool(already + amount.amount_minor >= threshold)


def file_refund_request(
    *,
    payment_id: uuid.UUID,
    amount: Money | None,
    reason: str,
    note: str,
    user: Any,
    now: dt.datetime,
) -> RefundRequest:
    """File a request to refund the payment (in full with `amount` None), for an
    accounting user other than `user` to approve.

    :raises RefundDeskForbidden: for a user in no staff role.
    :raises PaymentNotFound, InvalidStatusTransition, CurrencyMismatch,
        RefundExceedsCaptured, RefundRequestOpen:
    """
    if not has_staff_role(user, settings.API_STAFF_ROLES):
        raise RefundDeskForbidden("Only support or accounting staff may do this.")
    get_payment(payment_id)
    try:
        with outbox.atomic():
            payment = Payment.objects.select_for_update().get(id=payment_id)
            checked = checked_refund_amount(payment, amount)
            if payment.refund_requests.filter(
                status__in=(RefundRequestStatus.PENDING, RefundRequestStatus.APPROVED)
            ).exists():
                raise RefundRequestOpen(extra={"payment": str(payment.id)})
            request = RefundRequest.objects.create(
                payment=payment,
                amount_minor=checked.amount_minor,
                currency=checked.currency,
                reason=reason,
                note=note,
                requested_by_id=user.pk,
                requested_at=now,
                updated_at=now,
            )
            _record(request, "", now=now, actor=user_actor(user), why=note or reason)
    except IntegrityError:
        # A request filed at the same moment took the payment's one open slot.
        raise RefundRequestOpen(extra={"payment": str(payment_id)}) from None
    return request


def approve_refund_request(
    *, request_id: uuid.UUID, user: Any, now: dt.datetime, note: str = ""
) -> RefundRequest:
    """Approve a pending request and run its refund through `refund_payment`.

    The request is EXECUTED once the refund is made (or its outcome is unknown, for
    the janitor to settle), FAILED when the gateway declines it or what is left to
    refund no longer covers it.

    :raises RefundDeskForbidden: for a user outside the money roles.
    :raises OwnRefundRequest: for the user who filed the request.
    :raises RefundRequestNotFound:
    :raises InvalidStatusTransition: when the request is no longer pending (it was
        approved or rejected already).
    """
    request = _decide(
        request_id, RefundRequestStatus.APPROVED, user=user, note=note, now=now
    )
    try:
        refund = refund_payment(
            payment_id=request.payment_id,
            amount=request.amount,
            reason=request.reason,
            note=request.note,
            requested_by=user_actor(user),
            now=now,
        )
    except DomainError as error:
        return _execute(request.id, None, failure_code=error.code, now=now)
    return _execute(request.id, refund, failure_code=refund.failure_code, now=now)


def reject_refund_request(
    *, request_id: uuid.UUID, user: Any, note: str, now: dt.datetime
) -> RefundRequest:
    """Reject a pending request, saying why; nothing is refunded.

    :raises DecisionNoteRequired: for a blank note.
    :raises RefundDeskForbidden, OwnRefundRequest, RefundRequestNotFound,
        InvalidStatusTransition: as `approve_refund_request`.
    """
    if not note.strip():
        raise DecisionNoteRequired(
            extra={"fields": {"note": "This field is required."}}
        )
    return _decide(
        request_id, RefundRequestStatus.REJECTED, user=user, note=note, now=now
    )


def _decide(
    request_id: uuid.UUID, status: str, *, user: Any, note: str, now: dt.datetime
) -> RefundRequest:
    _require_money_role(user)
    with outbox.atomic():
        request = (
            RefundRequest.objects.select_for_update().filter(id=request_id).first()
        )
        if request is None:
            raise RefundRequestNotFound(extra={"refund_request": str(request_id)})
        if request.requested_by_id == user.pk:
            raise OwnRefundRequest(extra={"refund_request": str(request.id)})
        previous = request.transition_to(status, at=now)
        request.decided_by_id = user.pk
        request.decision_note = note
        request.save()
        _record(request, previous, now=now, actor=user_actor(user), why=note)
    return request


def _execute(
    request_id: uuid.UUID,
    refund: Refund | None,
    *,
    failure_code: str,
    now: dt.datetime,
) -> RefundRequest:
    made = refund is not None and refund.status != RefundStatus.FAILED
    with outbox.atomic():
        request = RefundRequest.objects.select_for_update().get(id=request_id)
        previous = request.transition_to(
            RefundRequestStatus.EXECUTED if made else RefundRequestStatus.FAILED,
            at=now,
        )
        request.refund = refund
        request.failure_code = "" if made else failure_code[:40]
        request.save()
        actor = user_actor(request.decided_by) if request.decided_by else ""
        _record(request, previous, now=now, actor=actor, why=request.failure_code)
    return request


def _require_money_role(user: Any) -> None:
    if not may_move_money(user):
        raise RefundDeskForbidden(
            money_roles_text(), extra={"roles": list(settings.API_MONEY_ROLES)}
        )


def _record(
    request: RefundRequest, previous: str, *, now: dt.datetime, actor: str, why: str
) -> None:
    """The request's status change in the audit trail, and its event."""
    record_status_change(
        object_type="refund_request",
        object_id=str(request.id),
        from_status=previous,
        to_status=request.status,
        actor=actor,
        reason=why,
        at=now,
    )
    record_event(
        type=f"refund_request.{_EVENT_NAMES[request.status]}",
        occurred_at=now,
        payer_id=request.payment.payer_id,
        payload={
            "refund_request_id": str(request.id),
            "payment_id": str(request.payment_id),
            "amount_minor": request.amount_minor,
            "currency": request.currency,
            "reason": request.reason,
            "status": request.status,
            "refund_id": str(request.refund_id) if request.refund_id else None,
        },
    )


_EVENT_NAMES: dict[str, str] = {
    RefundRequestStatus.PENDING: "filed",
    RefundRequestStatus.APPROVED: "approved",
    RefundRequestStatus.REJECTED: "rejected",
    RefundRequestStatus.EXECUTED: "executed",
    RefundRequestStatus.FAILED: "failed",
}
