"""Hosted checkout: a session that one payer uses once, through the card widget.

A session either pays an amount (PAYMENT) or verifies and saves the card without
charging it (CARD_SETUP, as a subscription's trial needs). Its payment pays
`checkout:<session id>`, or what the session was opened for (`pays`, such as
`invoice:<id>`); its card setup is for `checkout:<session id>` or the session's
`setup_purpose`. This module opens, claims and expires sessions; paying one is
`_checkout_attempts`, following an attempt settled later is `_checkout_sync`.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid

from django.conf import settings
from django.db import IntegrityError, transaction

from billing.errors import Conflict, DomainError, NotFound
from billing.money import Money
from billing.services import ensure_payer, record_status_change
from kit.redirects import is_allowed_redirect
from payments.models import (
    CardSetup,
    CheckoutSession,
    CheckoutSessionMode,
    CheckoutSessionStatus,
    Payment,
)
from payments.services._janitor import ABANDONED_CHALLENGE_AFTER
from payments.services._pipeline import CRYPTOGRAM_TTL
from payments.services._setups import ABANDONED_AFTER

logger = logging.getLogger(__name__)

# How long a payer has to open the page and pay; the session cannot be paid after.
CHECKOUT_SESSION_TTL = dt.timedelta(minutes=30)
# A claimed session without a payment row is a pay request in flight; one older than
# this died before any payment was saved (gateway calls time out far sooner).
CLAIM_IN_FLIGHT = CRYPTOGRAM_TTL
# By this long after a session's expiry, whatever its payer started on the page has
# an outcome or is with the janitor: a claim made just before the expiry saved its
# payment or card setup within `CLAIM_IN_FLIGHT`, and a 3-D Secure step left
# unfinished is given up an hour after it was asked.
CHECKOUT_SESSION_SETTLES_WITHIN = CLAIM_IN_FLIGHT + max(
    ABANDONED_CHALLENGE_AFTER, ABANDONED_AFTER
)


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
    mode: str = CheckoutSessionMode.PAYMENT,
    pays: str = "",
    setup_purpose: str = "",
) -> CheckoutSession:
    """Open a checkout session for the payer to pay `amount` through `gateway`.

    In CARD_SETUP mode nothing is charged: the card is verified (`amount` is what
    CloudPayments authorizes and voids at once) and saved. `pays` is what the
    payment pays and `setup_purpose` what the card is verified for, each in its
    own mode; empty, the session itself.

    :raises InvalidCheckoutSession: for a non-positive amount or expiry, a gateway
        that is not configured, a success/failure URL that is not http(s) on a
        host of `CHECKOUT_REDIRECT_ALLOWED_HOSTS` (named in `extra.fields`), a
        reference of the other mode, or one that another session has already.
    """
    _check_new_session(
        amount=amount,
        gateway=gateway,
        urls={"success_url": success_url, "failure_url": failure_url},
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
        actor=session_actor(session),
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
    if session.mode == CheckoutSessionMode.CARD_SETUP:
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
    urls: dict[str, str],
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
    if mode not in CheckoutSessionMode.values:
        raise InvalidCheckoutSession(f"No checkout mode {mode!r}.")
    if (mode == CheckoutSessionMode.PAYMENT and setup_purpose) or (
        mode == CheckoutSessionMode.CARD_SETUP and pays
    ):
        raise InvalidCheckoutSession(
            "A payment session pays something; a card check session verifies a "
            "card for something.",
            extra={"mode": mode},
        )
    refused = {
        name: ["Must be an http(s) URL on a host in CHECKOUT_REDIRECT_ALLOWED_HOSTS."]
        for name, url in urls.items()
        if not is_allowed_redirect(url, settings.CHECKOUT_REDIRECT_ALLOWED_HOSTS)
    }
    if refused:
        raise InvalidCheckoutSession(
            "Success and failure URLs must be http(s) addresses on an allowed host.",
            extra={"fields": refused},
        )


def get_session(session_id: uuid.UUID) -> CheckoutSession:
    """:raises CheckoutSessionNotFound:"""
    session = (
        CheckoutSession.objects.select_related("payment", "card_setup")
        .filter(id=session_id)
        .first()
    )
    if session is None:
        raise CheckoutSessionNotFound(extra={"checkout_session": str(session_id)})
    return session


def claim_session(session_id: uuid.UUID, *, now: dt.datetime) -> CheckoutSession:
    """Take the session's single use, or say why it cannot be taken."""
    claimed = CheckoutSession.objects.filter(
        id=session_id,
        status=CheckoutSessionStatus.OPEN,
        claimed_at__isnull=True,
        expires_at__gt=now,
    ).update(claimed_at=now)
    session = get_session(session_id)
    if claimed:
        return session
    extra = {"checkout_session": str(session_id)}
    if session.is_expired_at(now):
        expire_session(session, now=now)
        raise CheckoutSessionExpired(extra=extra)
    raise CheckoutSessionUsed(extra=extra)


def session_actor(session: CheckoutSession) -> str:
    return f"checkout:{session.id}"
