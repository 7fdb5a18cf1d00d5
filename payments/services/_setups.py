"""Verifying and saving a card without charging it (a subscription's trial, say).

Like a first payment, a setup commits its row, with the idempotency key, before the
gateway call, calls the gateway outside any transaction, and applies the answer under
the row lock. No money is ever taken (CloudPayments' check is voided at once, Stripe
uses a SetupIntent), so an unclear outcome fails the setup and the payer tries again:
nothing is left for a janitor to settle.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable
from typing import Any, Final

from django.conf import settings
from django.db import transaction

from billing.errors import DomainError, NotFound
from billing.events import record_event
from billing.money import Money
from billing.services import ensure_payer, record_status_change
from payments.gateways import get_gateway
from payments.gateways.base import (
    CardSetupRequest,
    CardSetupResult,
    Declined,
    EnteredCard,
    GatewayError,
    OutcomeUnknown,
    RequiresAction,
    Unavailable,
)
from payments.models import CardSetup, CardSetupStatus
from payments.services._accounts import account_at
from payments.services._charges import CRYPTOGRAM_TTL
from payments.services._methods import save_payment_method
from payments.signals import card_setup_status_changed

logger = logging.getLogger(__name__)

S = CardSetupStatus

# A setup still PENDING or REQUIRES_ACTION this long after its latest change was
# given up by the payer (or interrupted): it fails, and the payer starts again.
ABANDONED_AFTER = dt.timedelta(hours=1)
COULD_NOT_VERIFY = "Could not verify the card; try again."
ABANDONED = "The card verification was not finished; try again."
# What each final status tells the outbox (payload: `_event_payload`).
_EVENT_TYPES: dict[str, str] = {
    S.SUCCEEDED: "payment_method.verified",
    S.FAILED: "payment_method.verification_failed",
}
_FAILURE_CODES: dict[type[GatewayError], str] = {
    Unavailable: "gateway_unavailable",
    OutcomeUnknown: "outcome_unknown",
}

Answer = CardSetupResult | GatewayError


class InvalidCardSetup(DomainError):
    """The card setup cannot be started as asked."""

    code = "invalid_card_setup"


class CardSetupNotFound(NotFound):
    """No such card setup."""

    code = "card_setup_not_found"


# How the gateway knows a setup (InvoiceId, metadata[reference]): `card_setup:<id>`.
CARD_SETUP_REFERENCE_PREFIX: Final = "card_setup:"


def _reference_of(setup: CardSetup) -> str:
    """Our reference as the gateway stores it (InvoiceId, metadata[reference])."""
    return f"{CARD_SETUP_REFERENCE_PREFIX}{setup.id}"


def start_card_setup(
    *,
    payer_id: uuid.UUID,
    gateway: str,
    card_payload: str,
    verification_amount: Money,
    now: dt.datetime,
    actor: str,
    purpose: str = "",
    ip_address: str | None = None,
    return_url: str | None = None,
    cardholder_name: str | None = None,
) -> CardSetup:
    """Verify a card the payer just entered, without charging it, and save it.

    On success the card becomes the payer's default method and
    `payment_method.verified` is emitted. A card that needs 3-D Secure leaves the
    setup in REQUIRES_ACTION with the challenge; finish it with
    `complete_card_setup_3ds`. Any other outcome fails the setup.

    :raises InvalidCardSetup: for a gateway that is not configured, an empty card,
        or a verification amount that is not positive.
    """
    _check_new_setup(
        gateway=gateway, card_payload=card_payload, amount=verification_amount
    )
    adapter = get_gateway(gateway)
    payer = ensure_payer(payer_id=payer_id)
    setup = _create_setup(
        payer_id=payer.id,
        gateway=gateway,
        amount=verification_amount,
        purpose=purpose,
        cryptogram=card_payload,
        now=now,
    )

    def set_up() -> CardSetupResult:
        # Inside the call, so that failing to create the Stripe Customer fails the
        # setup like any other gateway error, and the cryptogram is wiped.
        return adapter.setup_card(
            CardSetupRequest(
                reference=_reference_of(setup),
                idempotency_key=setup.idempotency_key,
                payer=account_at(adapter, payer),
                card=EnteredCard(payload=card_payload, cardholder_name=cardholder_name),
                verification_amount=verification_amount,
                ip_address=ip_address,
                return_url=return_url,
            )
        )

    return _apply_answer(setup.id, _ask(set_up), now=now, actor=actor)


def complete_card_setup_3ds(
    *,
    setup_id: uuid.UUID,
    authentication_result: str | None,
    now: dt.datetime,
    actor: str,
) -> CardSetup:
    """Finish a card setup after the payer's 3-D Secure step.

    Safe to call twice (a double-submitted form): only the first call reaches the
    gateway, the second returns the setup as it stands.

    :raises CardSetupNotFound: for an unknown setup.
    """
    setup = _get_setup(setup_id)
    # Claim the challenge atomically, so that one caller alone asks the gateway.
    claimed = CardSetup.objects.filter(
        id=setup.id, status=S.REQUIRES_ACTION, action__isnull=False
    ).update(action=None, updated_at=now)
    if not claimed:
        setup.refresh_from_db()
        return setup
    adapter = get_gateway(setup.gateway)
    reference = setup.gateway_reference or ""
    answer = _ask(
        lambda: adapter.complete_card_setup(
            gateway_reference=reference,
            authentication_result=authentication_result,
            verification_amount=setup.verification_amount,
        )
    )
    return _apply_answer(setup.id, answer, now=now, actor=actor)


def expire_stale_card_setups(*, now: dt.datetime, actor: str) -> int:
    """Wipe unused cryptograms and fail abandoned setups; return how many were wiped.

    `updated_at` is when the setup was saved, its challenge issued or claimed:
    nothing else saves a setup while it waits.
    """
    wiped = CardSetup.objects.filter(
        cryptogram_expires_at__lte=now, cryptogram__isnull=False
    ).update(cryptogram=None, cryptogram_expires_at=None)
    abandoned = CardSetup.objects.filter(
        status__in=(S.PENDING, S.REQUIRES_ACTION),
        updated_at__lte=now - ABANDONED_AFTER,
    ).values_list("id", flat=True)
    for setup_id in list(abandoned):
        with transaction.atomic():
            setup = CardSetup.objects.select_for_update().get(id=setup_id)
            if setup.is_final or setup.updated_at > now - ABANDONED_AFTER:
                continue
            _wipe(setup, now=now)
            setup.action = None
            setup.failure_code = "verification_abandoned"
            setup.failure_message = ABANDONED
            _move(setup, S.FAILED, at=now, actor=actor, reason="verification abandoned")
    return wiped


def _check_new_setup(*, gateway: str, card_payload: str, amount: Money) -> None:
    if gateway not in settings.PAYMENT_GATEWAYS:
        raise InvalidCardSetup(
            f"No gateway {gateway!r} is configured.", extra={"gateway": gateway}
        )
    if not card_payload:
        raise InvalidCardSetup("The card is missing.")
    if not amount.is_positive:
        raise InvalidCardSetup("The verification amount must be positive.")


def _create_setup(
    *,
    payer_id: uuid.UUID,
    gateway: str,
    amount: Money,
    purpose: str,
    cryptogram: str,
    now: dt.datetime,
) -> CardSetup:
    setup_id = uuid.uuid4()
    return CardSetup.objects.create(
        id=setup_id,
        payer_id=payer_id,
        gateway=gateway,
        purpose=purpose,
        verification_amount_minor=amount.amount_minor,
        currency=amount.currency,
        idempotency_key=f"card_setup:{setup_id}",
        cryptogram=cryptogram,
        cryptogram_expires_at=now + CRYPTOGRAM_TTL,
        created_at=now,
        updated_at=now,
    )


def _get_setup(setup_id: uuid.UUID) -> CardSetup:
    try:
        return CardSetup.objects.get(id=setup_id)
    except CardSetup.DoesNotExist:
        raise CardSetupNotFound(extra={"card_setup": str(setup_id)}) from None


def _ask(call: Callable[[], CardSetupResult]) -> Answer:
    """Run a gateway call, keeping its typed error instead of raising it."""
    try:
        return call()
    except GatewayError as error:
        if type(error) is GatewayError:
            logger.exception("Unable to understand a gateway's answer to a card setup")
        return error


def _apply_answer(
    setup_id: uuid.UUID, answer: Answer, *, now: dt.datetime, actor: str
) -> CardSetup:
    """Record what the gateway said; the cryptogram is wiped whatever it was."""
    with transaction.atomic():
        setup = CardSetup.objects.select_for_update().get(id=setup_id)
        _wipe(setup, now=now)
        if setup.is_final:
            # Failed as abandoned while the payer's answer was on its way.
            logger.warning(
                "payments.card_setup.late_answer",
                extra={"card_setup": str(setup.id), "status": setup.status},
            )
            setup.save()
        elif isinstance(answer, CardSetupResult):
            setup.gateway_reference = answer.gateway_reference
            setup.action = None
            setup.payment_method = save_payment_method(
                payer=setup.payer,
                gateway=setup.gateway,
                token=answer.token,
                card=answer.card,
                now=now,
            )
            _move(setup, S.SUCCEEDED, at=now, actor=actor)
        elif isinstance(answer, RequiresAction):
            setup.gateway_reference = answer.challenge.gateway_reference
            setup.action = {
                "url": answer.challenge.url,
                "form_fields": dict(answer.challenge.form_fields),
            }
            if setup.status == S.REQUIRES_ACTION:
                # Asked again before the payer answered: the challenge stands.
                setup.save()
            else:
                _move(setup, S.REQUIRES_ACTION, at=now, actor=actor)
        elif isinstance(answer, Declined):
            setup.failure_code = answer.reason_code[:40]
            setup.failure_message = answer.message[:255]
            if answer.gateway_reference and not setup.gateway_reference:
                setup.gateway_reference = answer.gateway_reference
            setup.action = None
            _move(setup, S.FAILED, at=now, actor=actor, reason=answer.reason_code)
        else:
            # Unavailable, OutcomeUnknown or an unreadable answer: no money was
            # taken either way, so the payer simply tries again.
            setup.failure_code = _FAILURE_CODES.get(type(answer), "gateway_error")
            setup.failure_message = COULD_NOT_VERIFY
            setup.action = None
            _move(setup, S.FAILED, at=now, actor=actor, reason=str(answer))
        return setup


def _wipe(setup: CardSetup, *, now: dt.datetime) -> None:
    setup.cryptogram = None
    setup.cryptogram_expires_at = None
    setup.updated_at = now


def _move(
    setup: CardSetup, status: str, *, at: dt.datetime, actor: str, reason: str = ""
) -> None:
    """Save a locked setup in `status`: audited, with its event and its signal.

    :raises InvalidStatusTransition: when the state machine does not allow it.
    """
    previous = setup.transition_to(status, at=at)
    setup.save()
    record_status_change(
        object_type="card_setup",
        object_id=str(setup.id),
        from_status=previous,
        to_status=status,
        actor=actor,
        reason=reason,
        at=at,
    )
    if event_type := _EVENT_TYPES.get(status):
        record_event(
            type=event_type,
            occurred_at=at,
            payer=setup.payer,
            payload=_event_payload(setup),
        )
    setup_id, purpose = setup.id, setup.purpose
    transaction.on_commit(
        lambda: card_setup_status_changed.send(
            sender=CardSetup,
            setup_id=setup_id,
            purpose=purpose,
            from_status=previous,
            to_status=status,
        )
    )


def _event_payload(setup: CardSetup) -> dict[str, Any]:
    """Version 1 of the `payment_method.verified` / `.verification_failed` payload."""
    payload: dict[str, Any] = {
        "card_setup_id": str(setup.id),
        "payer_id": str(setup.payer_id),
        "gateway": setup.gateway,
        "purpose": setup.purpose,
    }
    method = setup.payment_method
    if method is not None:
        payload.update(
            payment_method_id=str(method.id), brand=method.brand, last4=method.last4
        )
    else:
        payload.update(
            failure_code=setup.failure_code, failure_message=setup.failure_message
        )
    return payload
