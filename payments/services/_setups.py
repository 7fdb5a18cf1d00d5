"""The card-setup kind of the outcome pipeline: verifying and saving a card without
charging it (a subscription's trial, say).

A setup goes through the same pipeline as a first payment (`_pipeline`). No money is
ever taken (CloudPayments' check is voided at once, Stripe uses a SetupIntent), so
an unclear outcome fails the setup and the payer tries again: nothing is left for a
janitor to settle.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Final

from django.db import transaction

from billing.errors import NotFound
from billing.money import Money
from billing.services import ensure_payer
from payments.gateways.base import (
    CardSetupRequest,
    CardSetupResult,
    EnteredCard,
    GatewayError,
    OutcomeUnknown,
    PaymentGateway,
)
from payments.models import CardSetup, CardSetupStatus
from payments.services._accounts import account_at
from payments.services._methods import save_payment_method
from payments.services._pipeline import (
    CRYPTOGRAM_TTL,
    AttemptKind,
    InvalidCardAttempt,
    apply_answer,
    ask_gateway,
    check_new_attempt,
    complete_challenge,
    fail,
    move,
    sweep_stale,
    wipe_expired_cryptograms,
)
from payments.signals import card_setup_status_changed

# A setup still PENDING or REQUIRES_ACTION this long after its latest change was
# given up by the payer (or interrupted): it fails, and the payer starts again.
ABANDONED_AFTER = dt.timedelta(hours=1)
COULD_NOT_VERIFY = "Could not verify the card; try again."
ABANDONED = "The card verification was not finished; try again."
# What each final status tells the outbox (payload: `_event_payload`).
_EVENT_TYPES: dict[str, str] = {
    CardSetupStatus.SUCCEEDED: "payment_method.verified",
    CardSetupStatus.FAILED: "payment_method.verification_failed",
}

# The name callers of card setups know; payments raise the same errors.
InvalidCardSetup = InvalidCardAttempt


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

    :raises GatewayNotConfigured, CardMissing, AmountNotPositive: before anything is
        saved, for a gateway that is not configured, an empty card or a
        verification amount that is not positive.
    """
    adapter = check_new_attempt(
        gateway=gateway, card_payload=card_payload, amount=verification_amount
    )
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

    return apply_answer(
        CARD_SETUPS,
        attempt_id=setup.id,
        answer=ask_gateway(set_up),
        now=now,
        actor=actor,
    )


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
    :raises GatewayNotConfigured: when the setup's gateway is no longer set up.
    """
    return complete_challenge(
        CARD_SETUPS,
        attempt_id=setup_id,
        authentication_result=authentication_result,
        now=now,
        actor=actor,
    )


def expire_stale_card_setups(*, now: dt.datetime, actor: str) -> int:
    """Wipe unused cryptograms and fail abandoned setups; return how many were wiped.

    `updated_at` is when the setup was saved, its challenge issued or claimed:
    nothing else saves a setup while it waits.
    """
    wiped = wipe_expired_cryptograms(CardSetup, now=now)

    def fail_abandoned(setup: CardSetup) -> None:
        fail(
            CARD_SETUPS,
            setup,
            code="verification_abandoned",
            message=ABANDONED,
            at=now,
            actor=actor,
            reason="verification abandoned",
        )

    sweep_stale(
        CardSetup,
        statuses=(CardSetupStatus.PENDING, CardSetupStatus.REQUIRES_ACTION),
        since="updated_at",
        before=now - ABANDONED_AFTER,
        give_up=fail_abandoned,
    )
    return wiped


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


def _apply_result(
    setup: CardSetup, result: CardSetupResult, now: dt.datetime, actor: str
) -> None:
    setup.gateway_reference = result.gateway_reference
    setup.action = None
    setup.payment_method = save_payment_method(
        payer=setup.payer,
        gateway=setup.gateway,
        token=result.token,
        card=result.card,
        now=now,
    )
    move(CARD_SETUPS, setup, CardSetupStatus.SUCCEEDED, at=now, actor=actor)


def _apply_unclear(
    setup: CardSetup, error: GatewayError, now: dt.datetime, actor: str
) -> None:
    # No money was taken either way, so the payer simply tries again.
    is_unknown = isinstance(error, OutcomeUnknown)
    fail(
        CARD_SETUPS,
        setup,
        code="outcome_unknown" if is_unknown else "gateway_error",
        message=COULD_NOT_VERIFY,
        at=now,
        actor=actor,
        reason=str(error),
    )


def _event_type(previous: str, status: str) -> str | None:
    return _EVENT_TYPES.get(status)


def _announce(setup: CardSetup, previous: str, status: str, actor: str) -> None:
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


def _complete_3ds(
    adapter: PaymentGateway, setup: CardSetup, authentication_result: str | None
) -> CardSetupResult:
    return adapter.complete_card_setup(
        gateway_reference=setup.gateway_reference or "",
        authentication_result=authentication_result,
        verification_amount=setup.verification_amount,
    )


def _nothing_more(setup: CardSetup, *args: object) -> None:
    """A setup moves no money: nothing to book, no card to retire."""


CARD_SETUPS: AttemptKind[CardSetup, CardSetupResult] = AttemptKind(
    model=CardSetup,
    subject="card_setup",
    requires_action=CardSetupStatus.REQUIRES_ACTION,
    failed=CardSetupStatus.FAILED,
    find=_get_setup,
    event_type=_event_type,
    payload=_event_payload,
    announce=_announce,
    on_moved=_nothing_more,
    apply_result=_apply_result,
    on_declined=_nothing_more,
    unavailable_message=COULD_NOT_VERIFY,
    apply_unclear=_apply_unclear,
    complete_3ds=_complete_3ds,
)
