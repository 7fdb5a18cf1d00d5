"""Hosted checkout: a session that one payer uses once, through the card widget.

A session either pays an amount (PAYMENT), holds it on the card for its caller to
capture or void later (AUTHORIZE, as a shop order needs), or verifies and saves the
card without charging it (CARD_SETUP, as a subscription's trial needs). Its payment
pays `checkout:<session id>`, or what the session was opened for (`pays`, such as
`invoice:<id>`, or a caller's `order:<uuid>` for a hold); its card setup is for
`checkout:<session id>` or the session's `setup_purpose`. This module opens, claims
and expires sessions; paying one is `_checkout_attempts`, following an attempt
settled later is `_checkout_sync`.

A PAYMENT page is the only one ever opened for what it pays. A hold's reference has
at most one OPEN page and at most one live payment: a page that expired unused or
failed may be followed by another for the same reference.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid

from django.conf import settings
from django.db import IntegrityError, transaction

from billing.errors import Conflict, DomainError, NotFound
from billing.money import Money
from billing.services import (
    RequestKey,
    ensure_payer,
    record_status_change,
    remember_request,
)
from kit.redirects import is_allowed_redirect
from payments.models import (
    LIVE_STATUSES,
    CardSetup,
    CheckoutSession,
    CheckoutSessionMode,
    CheckoutSessionStatus,
    Payment,
)
from payments.services._charges import PaymentInProgress
from payments.services._janitor import ABANDONED_CHALLENGE_AFTER
from payments.services._one_off_payments import (
    MAX_DESCRIPTION_LENGTH,
    check_client_reference,
)
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
# As long as `CheckoutSession.success_url` and `failure_url` may be.
MAX_URL_LENGTH = 2000


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


class CheckoutReferenceTaken(Conflict):
    """Another checkout session is open for this already."""

    code = "checkout_reference_taken"


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
    request: RequestKey | None = None,
) -> CheckoutSession:
    """Open a checkout session for the payer to pay `amount` through `gateway`.

    In AUTHORIZE mode the amount is held, not taken, for `pays` (a caller's
    reference such as `order:<uuid>`, required); the card is saved as for a
    payment. In CARD_SETUP mode nothing is charged: the card is verified (`amount`
    is what CloudPayments authorizes and voids at once) and saved. `pays` is what
    the payment pays and `setup_purpose` what the card is verified for, each in its
    own mode; empty, the session itself. A `request` key is stored with the
    session, in its transaction.

    :raises InvalidCheckoutSession: for a non-positive amount or expiry, a gateway
        that is not configured, a success/failure URL that is not http(s) on a
        host of `CHECKOUT_REDIRECT_ALLOWED_HOSTS` (named in `extra.fields`), a
        description too long, or a reference of the other mode.
    :raises InvalidOneOffPayment: for a hold's reference that is not a caller's
        `<kind>:<id>` (`check_client_reference`).
    :raises CheckoutReferenceTaken: when another session has the reference (an
        open one, for a hold).
    :raises PaymentInProgress: when a hold's reference has a live payment.
    :raises KeyTaken: when a concurrent request stored the same key first.
    """
    _check_new_session(
        amount=amount,
        gateway=gateway,
        urls={"success_url": success_url, "failure_url": failure_url},
        expires_in=expires_in,
        mode=mode,
        pays=pays,
        setup_purpose=setup_purpose,
        description=description,
    )
    if mode == CheckoutSessionMode.AUTHORIZE:
        _make_way_for_hold(pays, now=now)
    payer = ensure_payer(payer_id=payer_id)
    session_id = uuid.uuid4()
    try:
        with transaction.atomic():
            if request is not None:
                remember_request(request, result=f"checkout:{session_id}", now=now)
            session = CheckoutSession.objects.create(
                id=session_id,
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
        raise CheckoutReferenceTaken(
            extra={"pays": pays, "setup_purpose": setup_purpose}
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
    payments = Payment.objects.filter(pays=pays_of(session))
    if session.mode == CheckoutSessionMode.AUTHORIZE:
        # A caller's reference may have had payments before its page: older holds
        # voided, or pages that expired or failed.
        payments = payments.filter(created_at__gte=session.created_at)
    return payments.order_by("created_at").last()


def _make_way_for_hold(reference: str, *, now: dt.datetime) -> None:
    """Refuse a hold page for a reference already held; expire its open page if
    that page is past its expiry unused, so that a new one may take its place.

    :raises PaymentInProgress: when the reference has a live payment.
    """
    if Payment.objects.filter(pays=reference, status__in=LIVE_STATUSES).exists():
        raise PaymentInProgress(extra={"pays": reference})
    stale = CheckoutSession.objects.filter(
        mode=CheckoutSessionMode.AUTHORIZE,
        pays=reference,
        status=CheckoutSessionStatus.OPEN,
    ).first()
    if stale is not None and stale.is_expired_at(now):
        expire_session(stale, now=now)


def _check_new_session(
    *,
    amount: Money,
    gateway: str,
    urls: dict[str, str],
    expires_in: dt.timedelta,
    mode: str,
    pays: str,
    setup_purpose: str,
    description: str,
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
    if (mode != CheckoutSessionMode.CARD_SETUP and setup_purpose) or (
        mode == CheckoutSessionMode.CARD_SETUP and pays
    ):
        raise InvalidCheckoutSession(
            "A payment session pays something; a card check session verifies a "
            "card for something.",
            extra={"mode": mode},
        )
    if mode == CheckoutSessionMode.AUTHORIZE:
        check_client_reference(pays)
    if len(description) > MAX_DESCRIPTION_LENGTH:
        raise InvalidCheckoutSession(
            f"The description is longer than {MAX_DESCRIPTION_LENGTH} characters.",
            extra={"fields": {"description": ["Too long."]}},
        )
    refused: dict[str, list[str]] = {}
    for name, url in urls.items():
        if len(url) > MAX_URL_LENGTH:
            refused[name] = [f"At most {MAX_URL_LENGTH} characters."]
        elif not is_allowed_redirect(url, settings.CHECKOUT_REDIRECT_ALLOWED_HOSTS):
            refused[name] = [
                "Must be an http(s) URL on a host in CHECKOUT_REDIRECT_ALLOWED_HOSTS."
            ]
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
