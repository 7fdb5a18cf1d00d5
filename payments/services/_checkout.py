"""Hosted checkout: a session that one payer pays once, through the card widget.

`pay_checkout_session` claims the session with a compare-and-swap before anything
reaches the gateway, so a double-submitted form, a replayed request or a second tab
can never charge twice; the payment it starts pays `checkout:<session id>`, which the
payments' own constraint also keeps to one live payment.
"""

from __future__ import annotations

import datetime as dt
import hmac
import logging
import urllib.parse
import uuid

from django.conf import settings
from django.db import transaction

from billing.errors import Conflict, DomainError, NotFound
from billing.money import Money
from billing.services import ensure_payer, record_status_change
from payments.models import (
    FINAL_CHECKOUT_STATUSES,
    CheckoutSession,
    CheckoutSessionStatus,
    Payment,
    PaymentKind,
    PaymentStatus,
)
from payments.services._charges import (
    CRYPTOGRAM_TTL,
    complete_3ds,
    start_card_payment,
)
from payments.services._lookup import get_payment

logger = logging.getLogger(__name__)

# How long a payer has to open the page and pay; the session cannot be paid after.
CHECKOUT_SESSION_TTL = dt.timedelta(minutes=30)
# A claimed session without a payment row is a pay request in flight; one older than
# this died before any payment was saved (gateway calls time out far sooner).
_CLAIM_IN_FLIGHT = CRYPTOGRAM_TTL

_SESSION_STATUS_OF_PAYMENT = {
    PaymentStatus.SUCCEEDED: CheckoutSessionStatus.COMPLETED,
    PaymentStatus.AUTHORIZED: CheckoutSessionStatus.COMPLETED,
    PaymentStatus.FAILED: CheckoutSessionStatus.FAILED,
    PaymentStatus.CANCELED: CheckoutSessionStatus.FAILED,
}


class CheckoutSessionNotFound(NotFound):
    """No such checkout session."""

    code = "checkout_session_not_found"


class CheckoutSessionExpired(DomainError):
    """This checkout session has expired; ask for a new payment link."""

    code = "checkout_session_expired"
    http_status = 410


class CheckoutSessionUsed(Conflict):
    """This checkout session has already been used."""

    code = "checkout_session_used"


class CheckoutNotAwaiting3ds(Conflict):
    """No 3-D Secure step is pending for this checkout session."""

    code = "checkout_not_awaiting_3ds"


class ThreeDsMismatch(DomainError):
    """The 3-D Secure answer is not for this checkout session's payment."""

    code = "three_ds_mismatch"
    http_status = 400


class InvalidCheckoutSession(DomainError):
    """The checkout session cannot be created as asked."""

    code = "invalid_checkout_session"


def create_checkout_session(
    *,
    payer_id: uuid.UUID,
    amount: Money,
    gateway: str,
    success_url: str,
    failure_url: str,
    created_by: str,
    now: dt.datetime,
    description: str = "",
    expires_in: dt.timedelta = CHECKOUT_SESSION_TTL,
) -> CheckoutSession:
    """Open a checkout session for the payer to pay `amount` through `gateway`.

    :raises InvalidCheckoutSession: for a non-positive amount or expiry, a gateway
        that is not configured, or a success/failure URL that is not http(s).
    """
    _check_new_session(
        amount=amount,
        gateway=gateway,
        urls=(success_url, failure_url),
        expires_in=expires_in,
    )
    payer = ensure_payer(payer_id=payer_id)
    session = CheckoutSession.objects.create(
        payer=payer,
        amount_minor=amount.amount_minor,
        currency=amount.currency,
        description=description,
        gateway=gateway,
        success_url=success_url,
        failure_url=failure_url,
        created_by=created_by,
        created_at=now,
        expires_at=now + expires_in,
    )
    logger.info(
        "payments.checkout_session.created", extra={"checkout_session": str(session.id)}
    )
    return session


def pay_checkout_session(
    *,
    session_id: uuid.UUID,
    card_payload: str,
    ip_address: str | None,
    return_url: str,
    now: dt.datetime,
) -> CheckoutSession:
    """Claim the session and charge the card the payer entered in the widget.

    `return_url` is where 3-D Secure sends the payer back (the session's 3-DS page).
    The returned session holds its payment: COMPLETED or FAILED when the gateway
    answered, still OPEN (claimed) while 3-D Secure or an unknown outcome is pending.

    :raises CheckoutSessionNotFound, CheckoutSessionExpired, CheckoutSessionUsed:
    """
    session = _claim(session_id, now=now)
    try:
        payment = start_card_payment(
            payer_id=session.payer_id,
            gateway=session.gateway,
            amount=session.amount,
            card_payload=card_payload,
            now=now,
            actor=_actor(session),
            pays=_pays(session),
            kind=PaymentKind.INITIAL,
            description=session.description,
            ip_address=ip_address,
            return_url=return_url,
        )
    except Exception:
        _release_unless_charged(session)
        raise
    return _settle(session.id, payment=payment, now=now)


def finish_checkout_after_3ds(
    *,
    session_id: uuid.UUID,
    gateway_reference: str,
    authentication_result: str | None,
    now: dt.datetime,
) -> CheckoutSession:
    """Finish the session's payment after the payer's 3-D Secure step.

    `gateway_reference` is what the gateway sent the payer back with (CloudPayments
    MD, Stripe payment_intent) and must name the session's payment. Safe to repeat:
    a finished session is returned as it stands.

    :raises CheckoutSessionNotFound, CheckoutNotAwaiting3ds, ThreeDsMismatch:
    """
    session = _get(session_id)
    payment = session.payment
    if payment is None:
        raise CheckoutNotAwaiting3ds(extra={"checkout_session": str(session.id)})
    if not hmac.compare_digest(
        gateway_reference.encode(), (payment.gateway_reference or "").encode()
    ):
        raise ThreeDsMismatch(extra={"checkout_session": str(session.id)})
    if session.status in FINAL_CHECKOUT_STATUSES:
        return session
    payment = complete_3ds(
        payment_id=payment.id,
        authentication_result=authentication_result,
        now=now,
        actor=_actor(session),
    )
    return _settle(session.id, payment=payment, now=now)


def sync_checkout_session(
    *, payment_id: uuid.UUID, now: dt.datetime
) -> CheckoutSession | None:
    """Move the session a payment pays to the final status its payment implies.

    For payments settled after the payer's request (janitor, webhook). Safe to
    repeat; a payment still open leaves the session OPEN. None for a payment that
    pays no checkout session.

    :raises PaymentNotFound:
    """
    payment = get_payment(payment_id)
    prefix, _, rest = payment.pays.partition(":")
    try:
        session_id = uuid.UUID(rest)
    except ValueError:
        return None
    session = (
        CheckoutSession.objects.filter(id=session_id).first()
        if prefix == "checkout"
        else None
    )
    # A session is paid by one payment: another one's news is not its own.
    if session is None or session.payment_id not in (None, payment.id):
        return None
    return _settle(session.id, payment=payment, now=now)


def expire_checkout_sessions(*, now: dt.datetime) -> int:
    """Mark OPEN sessions past their expiry EXPIRED when nothing was paid through them.

    Only sessions without a payment, or whose payment failed, expire: one whose
    payment is open or paid follows that payment instead. Return how many expired.
    """
    expired = 0
    overdue = CheckoutSession.objects.filter(
        status=CheckoutSessionStatus.OPEN, expires_at__lte=now
    )
    for session in list(overdue):
        payment_status = (
            Payment.objects.filter(pays=_pays(session))
            .order_by("created_at")
            .values_list("status", flat=True)
            .last()
        )
        if payment_status is None:
            claimed_at = session.claimed_at
            if claimed_at is not None and claimed_at > now - _CLAIM_IN_FLIGHT:
                continue
        elif payment_status != PaymentStatus.FAILED:
            continue
        if _expire(session, now=now):
            expired += 1
    return expired


def _check_new_session(
    *,
    amount: Money,
    gateway: str,
    urls: tuple[str, ...],
    expires_in: dt.timedelta,
) -> None:
    if not amount.is_positive:
        raise InvalidCheckoutSession("The amount must be positive.")
    if gateway not in settings.PAYMENT_GATEWAYS:
        raise InvalidCheckoutSession(
            f"No gateway {gateway!r} is configured.", extra={"gateway": gateway}
        )
    if expires_in <= dt.timedelta(0):
        raise InvalidCheckoutSession("A checkout session must expire in the future.")
    for url in urls:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise InvalidCheckoutSession(
                "Success and failure URLs must be http(s) addresses."
            )


def _get(session_id: uuid.UUID) -> CheckoutSession:
    session = (
        CheckoutSession.objects.select_related("payment").filter(id=session_id).first()
    )
    if session is None:
        raise CheckoutSessionNotFound(extra={"checkout_session": str(session_id)})
    return session


def _claim(session_id: uuid.UUID, *, now: dt.datetime) -> CheckoutSession:
    """Take the session's single use, or say why it cannot be taken."""
    claimed = CheckoutSession.objects.filter(
        id=session_id,
        status=CheckoutSessionStatus.OPEN,
        claimed_at__isnull=True,
        expires_at__gt=now,
    ).update(claimed_at=now)
    session = _get(session_id)
    if claimed:
        return session
    extra = {"checkout_session": str(session_id)}
    if session.is_expired_at(now):
        _expire(session, now=now)
        raise CheckoutSessionExpired(extra=extra)
    raise CheckoutSessionUsed(extra=extra)


def _release_unless_charged(session: CheckoutSession) -> None:
    """Give the session back when the payment failed before any row was written."""
    payment = Payment.objects.filter(pays=_pays(session)).order_by("created_at").last()
    if payment is None:
        CheckoutSession.objects.filter(
            id=session.id, payment__isnull=True, claimed_at=session.claimed_at
        ).update(claimed_at=None)
    else:
        CheckoutSession.objects.filter(id=session.id, payment__isnull=True).update(
            payment=payment
        )


def _expire(session: CheckoutSession, *, now: dt.datetime) -> bool:
    """Expire the session unless it was claimed or moved since it was read."""
    with transaction.atomic():
        expired = CheckoutSession.objects.filter(
            id=session.id,
            status=CheckoutSessionStatus.OPEN,
            claimed_at=session.claimed_at,
        ).update(status=CheckoutSessionStatus.EXPIRED)
        if expired:
            _audit(session, CheckoutSessionStatus.EXPIRED, now=now)
    return bool(expired)


def _settle(
    session_id: uuid.UUID, *, payment: Payment, now: dt.datetime
) -> CheckoutSession:
    """Link the payment and move the session to the status its payment implies."""
    with transaction.atomic():
        session = CheckoutSession.objects.select_for_update().get(id=session_id)
        session.payment = payment
        status = _SESSION_STATUS_OF_PAYMENT.get(PaymentStatus(payment.status))
        if status is not None and session.status == CheckoutSessionStatus.OPEN:
            _audit(session, status, now=now)
            session.status = status
            session.completed_at = now
        session.save(update_fields=["payment", "status", "completed_at"])
    logger.info(
        "payments.checkout_session.settled",
        extra={
            "checkout_session": str(session.id),
            "status": session.status,
            "payment_status": payment.status,
        },
    )
    return session


def _audit(session: CheckoutSession, status: str, *, now: dt.datetime) -> None:
    record_status_change(
        object_type="checkout_session",
        object_id=str(session.id),
        from_status=session.status,
        to_status=status,
        actor=_actor(session),
        reason="",
        at=now,
    )


def _pays(session: CheckoutSession) -> str:
    return f"checkout:{session.id}"


def _actor(session: CheckoutSession) -> str:
    return f"checkout:{session.id}"
