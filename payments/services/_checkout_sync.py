"""Checkout sessions that follow their payment or card setup after the payer left.

The janitor settles a payment whose answer was lost, a webhook reports one, an
abandoned 3-D Secure step fails a card setup: `payments.receivers` then has the
session follow in a task, a hold (AUTHORIZE) as a payment. Sessions nobody used
expire.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.db.models import Q

from payments.models import (
    PAYMENT_MODES,
    CardSetup,
    CardSetupStatus,
    CheckoutSession,
    CheckoutSessionMode,
    CheckoutSessionStatus,
    Payment,
    PaymentStatus,
)
from payments.services._checkout_attempts import settle_session
from payments.services._checkout_sessions import (
    CLAIM_IN_FLIGHT,
    expire_session,
    latest_attempt,
)
from payments.services._lookup import get_payment
from payments.services._setups import CardSetupNotFound

_OWN_PREFIX = "checkout:"


def sync_checkout_session(
    *, payment_id: uuid.UUID, now: dt.datetime
) -> CheckoutSession | None:
    """Move the session a payment was made for to the status its payment implies.

    For payments settled after the payer's request (janitor, webhook). Safe to
    repeat; a payment still open leaves the session OPEN. None for a payment that
    no checkout session made.

    :raises PaymentNotFound:
    """
    payment = get_payment(payment_id)
    return _follow(payment, payment.pays, mode=CheckoutSessionMode.PAYMENT, now=now)


def sync_checkout_session_card_setup(
    *, setup_id: uuid.UUID, now: dt.datetime
) -> CheckoutSession | None:
    """Move the session a card setup was made for to the status its setup implies.

    For setups that finished after the payer's request (an abandoned 3-D Secure
    step). Safe to repeat. None for a setup that no checkout session made.

    :raises CardSetupNotFound:
    """
    setup = CardSetup.objects.defer("cryptogram").filter(id=setup_id).first()
    if setup is None:
        raise CardSetupNotFound(extra={"card_setup": str(setup_id)})
    return _follow(setup, setup.purpose, mode=CheckoutSessionMode.CARD_SETUP, now=now)


def _follow(
    attempt: Payment | CardSetup, reference: str, *, mode: str, now: dt.datetime
) -> CheckoutSession | None:
    """Settle the session of `mode` for `reference` from its attempt, if it is its."""
    session = _session_for(reference, mode=mode, attempt_id=attempt.id)
    if session is None:
        return None
    linked = (
        session.card_setup_id
        if mode == CheckoutSessionMode.CARD_SETUP
        else session.payment_id
    )
    # A session is paid, or its card checked, by one attempt: another one's news is
    # not its own.
    if linked not in (None, attempt.id):
        return None
    if linked is None and not _made_on_page(session, attempt):
        return None
    return settle_session(session.id, attempt, now=now)


def _made_on_page(session: CheckoutSession, attempt: Payment | CardSetup) -> bool:
    """Whether an attempt not linked yet may be the one the session's claim made.

    A hold's reference is the caller's, who may hold it on a saved card too
    (AuthorizePayment): only a payment made since the page was claimed is the
    page's.
    """
    if session.mode != CheckoutSessionMode.AUTHORIZE:
        return True
    return session.claimed_at is not None and attempt.created_at >= session.claimed_at


def expire_checkout_sessions(*, now: dt.datetime) -> int:
    """Mark OPEN sessions past their expiry EXPIRED when nothing was done with them.

    Only sessions without a payment or card setup, or whose one failed, expire:
    one whose attempt is open or succeeded follows it instead. Return how many
    expired.
    """
    expired = 0
    overdue = CheckoutSession.objects.filter(
        status=CheckoutSessionStatus.OPEN, expires_at__lte=now
    )
    for session in list(overdue):
        attempt = latest_attempt(session)
        if attempt is None:
            claimed_at = session.claimed_at
            if claimed_at is not None and claimed_at > now - CLAIM_IN_FLIGHT:
                continue
        elif attempt.status != (
            CardSetupStatus.FAILED
            if isinstance(attempt, CardSetup)
            else PaymentStatus.FAILED
        ):
            continue
        if expire_session(session, now=now):
            expired += 1
    return expired


def expire_unused_checkout_session(
    *, reference: str, mode: str, now: dt.datetime
) -> bool:
    """Expire the OPEN session for `reference` (what its payment pays, or what its
    card is verified for) if nobody has started on it; True when it expired.

    So that a new page can take the place of one the payer left unused. Opening the
    page's payment or card check claims the session in one conditional UPDATE
    (`claim_session`), and this expires it in another that requires it unclaimed, so
    exactly one of them wins.
    """
    session = _session_for(reference, mode=mode)
    if (
        session is None
        or session.status != CheckoutSessionStatus.OPEN
        or session.claimed_at is not None
        or latest_attempt(session) is not None
    ):
        return False
    return expire_session(session, now=now)


def _session_for(
    reference: str, *, mode: str, attempt_id: uuid.UUID | None = None
) -> CheckoutSession | None:
    """The session whose payment pays, or whose card is verified for, `reference`.

    `mode` PAYMENT stands for both modes that make a payment (PAYMENT and
    AUTHORIZE). A hold's reference may have had other pages before (expired or
    failed): the one the attempt `attempt_id` is linked to, else the open one.
    """
    if not reference:
        return None
    modes = PAYMENT_MODES if mode in PAYMENT_MODES else (mode,)
    own = reference.removeprefix(_OWN_PREFIX)
    if own != reference:
        try:
            session_id = uuid.UUID(own)
        except ValueError:
            return None
        found = CheckoutSession.objects.filter(
            id=session_id, mode__in=modes, pays="", setup_purpose=""
        )
    elif mode == CheckoutSessionMode.CARD_SETUP:
        found = CheckoutSession.objects.filter(mode=mode, setup_purpose=reference)
    else:
        found = CheckoutSession.objects.filter(mode__in=modes, pays=reference)
        linked = found.filter(payment_id=attempt_id).first() if attempt_id else None
        if linked is not None:
            return linked
        # A PAYMENT page is the only one for what it pays; of a hold's pages, only
        # the open one may take a payment not linked yet.
        found = found.filter(
            Q(mode=CheckoutSessionMode.PAYMENT) | Q(status=CheckoutSessionStatus.OPEN)
        )
    return found.first()
