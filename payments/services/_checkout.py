"""Hosted checkout: a session that one payer uses once, through the card widget.

A session either pays an amount (PAYMENT) or verifies and saves the card without
charging it (CARD_SETUP, as a subscription's trial needs). `pay_checkout_session`
claims the session with a compare-and-swap before anything reaches the gateway, so
a double-submitted form, a replayed request or a second tab can never charge or
verify twice. Its payment pays `checkout:<session id>`, or what the session was
opened for (`pays`, such as `invoice:<id>`); its card setup is for
`checkout:<session id>` or the session's `setup_purpose`. The payments' own
constraints also keep either to one live payment.

A session follows its payment or card setup: COMPLETED once the money is taken or
the card is saved, FAILED when they fail, OPEN while 3-D Secure or an unknown
outcome is pending; a later settlement reaches it through
`sync_checkout_session` and `sync_checkout_session_card_setup` (`_checkout_sync`).
"""

from __future__ import annotations

import datetime as dt
import hmac
import logging
import urllib.parse
import uuid

from django.conf import settings
from django.db import IntegrityError, transaction

from billing.errors import Conflict, DomainError, NotFound
from billing.money import Money
from billing.services import ensure_payer, record_status_change
from payments.models import (
    FINAL_CHECKOUT_STATUSES,
    CardSetup,
    CardSetupStatus,
    CheckoutSession,
    CheckoutSessionMode,
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
from payments.services._janitor import ABANDONED_CHALLENGE_AFTER
from payments.services._setups import (
    ABANDONED_AFTER,
    complete_card_setup_3ds,
    start_card_setup,
)

logger = logging.getLogger(__name__)

Mode = CheckoutSessionMode

# How long a payer has to open the page and pay; the session cannot be paid after.
CHECKOUT_SESSION_TTL = dt.timedelta(minutes=30)
# A claimed session without a payment row is a pay request in flight; one older than
# this died before any payment was saved (gateway calls time out far sooner).
_CLAIM_IN_FLIGHT = CRYPTOGRAM_TTL
# By this long after a session's expiry, whatever its payer started on the page has
# an outcome or is with the janitor: a claim made just before the expiry saved its
# payment or card setup within `_CLAIM_IN_FLIGHT`, and a 3-D Secure step left
# unfinished is given up an hour after it was asked.
CHECKOUT_SESSION_SETTLES_WITHIN = _CLAIM_IN_FLIGHT + max(
    ABANDONED_CHALLENGE_AFTER, ABANDONED_AFTER
)

_SESSION_STATUS_OF_PAYMENT = {
    PaymentStatus.SUCCEEDED: CheckoutSessionStatus.COMPLETED,
    PaymentStatus.AUTHORIZED: CheckoutSessionStatus.COMPLETED,
    PaymentStatus.FAILED: CheckoutSessionStatus.FAILED,
    PaymentStatus.CANCELED: CheckoutSessionStatus.FAILED,
}
_SESSION_STATUS_OF_SETUP = {
    CardSetupStatus.SUCCEEDED: CheckoutSessionStatus.COMPLETED,
    CardSetupStatus.FAILED: CheckoutSessionStatus.FAILED,
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
    mode: str = Mode.PAYMENT,
    pays: str = "",
    setup_purpose: str = "",
) -> CheckoutSession:
    """Open a checkout session for the payer to pay `amount` through `gateway`.

    In CARD_SETUP mode nothing is charged: the card is verified (`amount` is what
    CloudPayments authorizes and voids at once) and saved. `pays` is what the
    payment pays and `setup_purpose` what the card is verified for, each in its
    own mode; empty, the session itself.

    :raises InvalidCheckoutSession: for a non-positive amount or expiry, a gateway
        that is not configured, a success/failure URL that is not http(s), a
        reference of the other mode, or one that another session has already.
    """
    _check_new_session(
        amount=amount,
        gateway=gateway,
        urls=(success_url, failure_url),
        expires_in=expires_in,
        mode=mode,
        pays=pays,
        setup_purpose=setup_purpose,
    )
    payer = ensure_payer(payer_id=payer_id)
    try:
        with transaction.atomic():
            session = CheckoutSession.objects.create(
                payer=payer,
                mode=mode,
                amount_minor=amount.amount_minor,
                currency=amount.currency,
                description=description,
                pays=pays,
                setup_purpose=setup_purpose,
                gateway=gateway,
                success_url=success_url,
                failure_url=failure_url,
                created_by=created_by,
                created_at=now,
                expires_at=now + expires_in,
            )
    except IntegrityError as exc:
        raise InvalidCheckoutSession(
            "Another checkout session is open for this already.",
            extra={"pays": pays, "setup_purpose": setup_purpose},
        ) from exc
    logger.info(
        "payments.checkout_session.created",
        extra={"checkout_session": str(session.id), "mode": mode},
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
    """Claim the session and charge (or verify) the card entered in the widget.

    `return_url` is where 3-D Secure sends the payer back (the session's 3-DS page).
    The returned session holds its payment or card setup: COMPLETED or FAILED when
    the gateway answered, still OPEN (claimed) while 3-D Secure or an unknown
    outcome is pending.

    :raises CheckoutSessionNotFound, CheckoutSessionExpired, CheckoutSessionUsed:
    """
    session = _claim(session_id, now=now)
    attempt: Payment | CardSetup
    try:
        if session.mode == Mode.CARD_SETUP:
            attempt = start_card_setup(
                payer_id=session.payer_id,
                gateway=session.gateway,
                card_payload=card_payload,
                verification_amount=session.amount,
                now=now,
                actor=_actor(session),
                purpose=setup_purpose_of(session),
                ip_address=ip_address,
                return_url=return_url,
            )
        else:
            attempt = start_card_payment(
                payer_id=session.payer_id,
                gateway=session.gateway,
                amount=session.amount,
                card_payload=card_payload,
                now=now,
                actor=_actor(session),
                pays=pays_of(session),
                kind=PaymentKind.INITIAL,
                description=session.description,
                ip_address=ip_address,
                return_url=return_url,
            )
    except Exception:
        _release_unless_started(session)
        raise
    return settle_session(session.id, attempt, now=now)


def finish_checkout_after_3ds(
    *,
    session_id: uuid.UUID,
    gateway_reference: str,
    authentication_result: str | None,
    now: dt.datetime,
) -> CheckoutSession:
    """Finish the session's payment or card check after the payer's 3-D Secure step.

    `gateway_reference` is what the gateway sent the payer back with (CloudPayments
    MD, Stripe payment_intent or setup_intent) and must name the session's payment
    or card setup. Safe to repeat: a finished session is returned as it stands.

    :raises CheckoutSessionNotFound, CheckoutNotAwaiting3ds, ThreeDsMismatch:
    """
    session = _get(session_id)
    attempt = session.attempt
    if attempt is None:
        raise CheckoutNotAwaiting3ds(extra={"checkout_session": str(session.id)})
    if not hmac.compare_digest(
        gateway_reference.encode(), (attempt.gateway_reference or "").encode()
    ):
        raise ThreeDsMismatch(extra={"checkout_session": str(session.id)})
    if session.status in FINAL_CHECKOUT_STATUSES:
        return session
    completed: Payment | CardSetup
    if isinstance(attempt, CardSetup):
        completed = complete_card_setup_3ds(
            setup_id=attempt.id,
            authentication_result=authentication_result,
            now=now,
            actor=_actor(session),
        )
    else:
        completed = complete_3ds(
            payment_id=attempt.id,
            authentication_result=authentication_result,
            now=now,
            actor=_actor(session),
        )
    return settle_session(session.id, completed, now=now)


def settle_session(
    session_id: uuid.UUID, attempt: Payment | CardSetup, *, now: dt.datetime
) -> CheckoutSession:
    """Link the attempt and move the session to the status the attempt implies."""
    with transaction.atomic():
        session = CheckoutSession.objects.select_for_update().get(id=session_id)
        if isinstance(attempt, CardSetup):
            session.card_setup = attempt
            status = _SESSION_STATUS_OF_SETUP.get(CardSetupStatus(attempt.status))
        else:
            session.payment = attempt
            status = _SESSION_STATUS_OF_PAYMENT.get(PaymentStatus(attempt.status))
        if status is not None and session.status == CheckoutSessionStatus.OPEN:
            audit_session(session, status, now=now)
            session.status = status
            session.completed_at = now
        session.save(update_fields=["payment", "card_setup", "status", "completed_at"])
    logger.info(
        "payments.checkout_session.settled",
        extra={
            "checkout_session": str(session.id),
            "status": session.status,
            "attempt_status": attempt.status,
        },
    )
    return session


def expire_session(session: CheckoutSession, *, now: dt.datetime) -> bool:
    """Expire the session unless it was claimed or moved since it was read."""
    with transaction.atomic():
        expired = CheckoutSession.objects.filter(
            id=session.id,
            status=CheckoutSessionStatus.OPEN,
            claimed_at=session.claimed_at,
        ).update(status=CheckoutSessionStatus.EXPIRED)
        if expired:
            audit_session(session, CheckoutSessionStatus.EXPIRED, now=now)
    return bool(expired)


def audit_session(session: CheckoutSession, status: str, *, now: dt.datetime) -> None:
    record_status_change(
        object_type="checkout_session",
        object_id=str(session.id),
        from_status=session.status,
        to_status=status,
        actor=_actor(session),
        reason="",
        at=now,
    )


def pays_of(session: CheckoutSession) -> str:
    """What the session's payment pays (`Payment.pays`)."""
    return session.pays or f"checkout:{session.id}"


def setup_purpose_of(session: CheckoutSession) -> str:
    """What the session's card setup is for (`CardSetup.purpose`)."""
    return session.setup_purpose or f"checkout:{session.id}"


def latest_attempt(session: CheckoutSession) -> Payment | CardSetup | None:
    """The newest payment or card setup made for the session, linked or not yet."""
    if session.mode == Mode.CARD_SETUP:
        return (
            CardSetup.objects.filter(purpose=setup_purpose_of(session))
            .order_by("created_at")
            .last()
        )
    return Payment.objects.filter(pays=pays_of(session)).order_by("created_at").last()


def _check_new_session(
    *,
    amount: Money,
    gateway: str,
    urls: tuple[str, ...],
    expires_in: dt.timedelta,
    mode: str,
    pays: str,
    setup_purpose: str,
) -> None:
    if not amount.is_positive:
        raise InvalidCheckoutSession("The amount must be positive.")
    if gateway not in settings.PAYMENT_GATEWAYS:
        raise InvalidCheckoutSession(
            f"No gateway {gateway!r} is configured.", extra={"gateway": gateway}
        )
    if expires_in <= dt.timedelta(0):
        raise InvalidCheckoutSession("A checkout session must expire in the future.")
    if mode not in Mode.values:
        raise InvalidCheckoutSession(f"No checkout mode {mode!r}.")
    if (mode == Mode.PAYMENT and setup_purpose) or (mode == Mode.CARD_SETUP and pays):
        raise InvalidCheckoutSession(
            "A payment session pays something; a card check session verifies a "
            "card for something.",
            extra={"mode": mode},
        )
    for url in urls:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise InvalidCheckoutSession(
                "Success and failure URLs must be http(s) addresses."
            )


def _get(session_id: uuid.UUID) -> CheckoutSession:
    session = (
        CheckoutSession.objects.select_related("payment", "card_setup")
        .filter(id=session_id)
        .first()
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
        expire_session(session, now=now)
        raise CheckoutSessionExpired(extra=extra)
    raise CheckoutSessionUsed(extra=extra)


def _release_unless_started(session: CheckoutSession) -> None:
    """Give the session back when the attempt failed before any row was written."""
    attempt = latest_attempt(session)
    unlinked = CheckoutSession.objects.filter(
        id=session.id, payment__isnull=True, card_setup__isnull=True
    )
    if attempt is None:
        unlinked.filter(claimed_at=session.claimed_at).update(claimed_at=None)
    elif isinstance(attempt, CardSetup):
        unlinked.update(card_setup=attempt)
    else:
        unlinked.update(payment=attempt)


def _actor(session: CheckoutSession) -> str:
    return f"checkout:{session.id}"
