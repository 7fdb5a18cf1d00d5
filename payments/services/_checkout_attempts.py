"""Paying a checkout session: the payment or card check entered on its page.

`pay_checkout_session` claims the session with a compare-and-swap before anything
reaches the gateway, so a double-submitted form, a replayed request or a second
tab can never charge or verify twice; the payments' own constraints also keep
either to one live payment.

A session follows its payment or card setup: COMPLETED once the money is taken (or,
for a hold, held) or the card is saved, FAILED when they fail, OPEN while 3-D
Secure or an unknown outcome is pending. A card refused as it is entered gives a
session that pays for itself back for another card, up to
`REFUSED_CARDS_PER_SESSION` refusals. A later settlement reaches it through
`sync_checkout_session` and `sync_checkout_session_card_setup` (`_checkout_sync`).
"""

from __future__ import annotations

import datetime as dt
import hmac
import logging
import uuid

from django.db import transaction
from django.db.models import QuerySet

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
    PaymentInProgress,
    complete_3ds,
    start_card_payment,
)
from payments.services._checkout_sessions import (
    CheckoutNotAwaiting3ds,
    ThreeDsMismatch,
    audit_session,
    claim_session,
    get_session,
    latest_attempt,
    pays_of,
    session_actor,
    setup_purpose_of,
)
from payments.services._setups import complete_card_setup_3ds, start_card_setup

logger = logging.getLogger(__name__)

# How many refused cards a session takes before it fails: the payer may retry a
# typo or another card, but a page that tries any number of cards is a tool for
# testing stolen ones.
REFUSED_CARDS_PER_SESSION = 3

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


def pay_checkout_session(
    *,
    session_id: uuid.UUID,
    card_payload: str,
    ip_address: str | None,
    return_url: str,
    now: dt.datetime,
) -> CheckoutSession:
    """Claim the session and charge (hold, or verify) the card entered on the page.

    `return_url` is where 3-D Secure sends the payer back (the session's 3-DS page).
    The returned session holds its payment or card setup: COMPLETED or FAILED when
    the gateway answered, still OPEN (claimed) while 3-D Secure or an unknown
    outcome is pending.

    :raises CheckoutSessionNotFound, CheckoutSessionExpired, CheckoutSessionUsed:
    :raises PaymentInProgress: when what the session pays already has a live
        payment of its own; the session is given back, unused.
    """
    session = claim_session(session_id, now=now)
    attempt: Payment | CardSetup
    try:
        if session.mode == CheckoutSessionMode.CARD_SETUP:
            attempt = start_card_setup(
                payer_id=session.payer_id,
                gateway=session.gateway,
                card_payload=card_payload,
                verification_amount=session.amount,
                now=now,
                actor=session_actor(session),
                purpose=setup_purpose_of(session),
                ip_address=ip_address,
                return_url=return_url,
            )
        else:
            # A hold is an order's: authorized now, captured or voided by its caller.
            hold = session.mode == CheckoutSessionMode.AUTHORIZE
            attempt = start_card_payment(
                payer_id=session.payer_id,
                gateway=session.gateway,
                amount=session.amount,
                card_payload=card_payload,
                now=now,
                actor=session_actor(session),
                pays=pays_of(session),
                kind=PaymentKind.ORDER if hold else PaymentKind.INITIAL,
                description=session.description,
                capture=not hold,
                ip_address=ip_address,
                return_url=return_url,
            )
    except PaymentInProgress:
        # What the session pays is paid (or held) already, not by this page: no
        # row was written, and the other payment is not the session's to link.
        _release(session)
        raise
    except Exception:
        _release_unless_started(session)
        raise
    return _settle(session.id, attempt, now=now, entered=True)


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
    session = get_session(session_id)
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
            actor=session_actor(session),
        )
    else:
        completed = complete_3ds(
            payment_id=attempt.id,
            authentication_result=authentication_result,
            now=now,
            actor=session_actor(session),
        )
    return settle_session(session.id, completed, now=now)


def settle_session(
    session_id: uuid.UUID, attempt: Payment | CardSetup, *, now: dt.datetime
) -> CheckoutSession:
    """Link the attempt and move the session to the status the attempt implies.

    A failure fails the session only when it is news of the session's linked
    attempt since the session was last claimed: a card refused as it was entered
    is for the request that entered it to settle (`pay_checkout_session`), and one
    refused before the session was given back for another card is old news.
    """
    return _settle(session_id, attempt, now=now, entered=False)


def _settle(
    session_id: uuid.UUID,
    attempt: Payment | CardSetup,
    *,
    now: dt.datetime,
    entered: bool,
) -> CheckoutSession:
    with transaction.atomic():
        session = CheckoutSession.objects.select_for_update().get(id=session_id)
        if isinstance(attempt, CardSetup):
            status = _SESSION_STATUS_OF_SETUP.get(CardSetupStatus(attempt.status))
        else:
            status = _SESSION_STATUS_OF_PAYMENT.get(PaymentStatus(attempt.status))
        if status == CheckoutSessionStatus.FAILED:
            if not entered and not _failure_is_news(session, attempt):
                return session
            if entered and _may_try_another_card(session, attempt):
                # Given back: the payer may enter another card on the page.
                session.claimed_at = None
                status = None
        if isinstance(attempt, CardSetup):
            session.card_setup = attempt
        else:
            session.payment = attempt
        if status is not None and session.status == CheckoutSessionStatus.OPEN:
            audit_session(session, status, now=now)
            session.status = status
            session.completed_at = now
        session.save(
            update_fields=[
                "payment",
                "card_setup",
                "status",
                "completed_at",
                "claimed_at",
            ]
        )
    logger.info(
        "payments.checkout_session.settled",
        extra={
            "checkout_session": str(session.id),
            "status": session.status,
            "attempt_status": attempt.status,
            "may_try_another_card": not session.is_claimed,
        },
    )
    return session


def _failure_is_news(session: CheckoutSession, attempt: Payment | CardSetup) -> bool:
    """Whether a failed attempt settled outside its pay request ends its session."""
    linked = (
        session.card_setup_id if isinstance(attempt, CardSetup) else session.payment_id
    )
    if session.claimed_at is None or linked != attempt.id:
        return False
    return attempt.failed_at is None or attempt.failed_at >= session.claimed_at


def _may_try_another_card(
    session: CheckoutSession, attempt: Payment | CardSetup
) -> bool:
    """Whether the session may take another card after the attempt was refused.

    Only a session that pays for itself: one opened for an invoice or a
    subscription's card check ends with the refusal, as what it was opened for
    already did (a plan's subscription expires and its invoice is voided).
    """
    if session.pays or session.setup_purpose:
        return False
    attempts: QuerySet[Payment] | QuerySet[CardSetup]
    if isinstance(attempt, CardSetup):
        attempts = CardSetup.objects.filter(purpose=setup_purpose_of(session))
    else:
        attempts = Payment.objects.filter(pays=pays_of(session))
    refused = attempts.filter(
        status=PaymentStatus.FAILED, created_at__gte=session.created_at
    ).count()
    return refused < REFUSED_CARDS_PER_SESSION


def _release(session: CheckoutSession) -> None:
    """Give the session back: this claim wrote no payment or card setup."""
    CheckoutSession.objects.filter(
        id=session.id,
        payment__isnull=True,
        card_setup__isnull=True,
        claimed_at=session.claimed_at,
    ).update(claimed_at=None)


def _release_unless_started(session: CheckoutSession) -> None:
    """Give the session back when the attempt failed before any row was written."""
    attempt = latest_attempt(session)
    unlinked = CheckoutSession.objects.filter(
        id=session.id, payment__isnull=True, card_setup__isnull=True
    )
    if attempt is None:
        _release(session)
    elif isinstance(attempt, CardSetup):
        unlinked.update(card_setup=attempt)
    else:
        unlinked.update(payment=attempt)
