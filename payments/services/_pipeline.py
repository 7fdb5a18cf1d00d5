"""One outcome pipeline for both kinds of card attempt: payments and card setups.

Every attempt goes the same way: its row, with the idempotency key, is committed
before the gateway call (the recovery point); the gateway is asked outside any
transaction (`ask_gateway`); its answer is applied under the row lock
(`apply_answer`), moving the row through its one guarded `transition_to` with the
audit row, the outbox event and the signal in the same transaction (`move`). A
3-D Secure step is finished the same way (`complete_challenge`).

What differs between a payment and a card setup (the model, the gateway calls, the
event types, what an unclear outcome means) is an `AttemptKind`: the payment's in
`_payment_outcomes`, the card setup's in `_setups`.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.conf import settings
from django.db import transaction

from billing import outbox
from billing.errors import DomainError
from billing.events import record_event
from billing.money import Money
from billing.services import record_status_change
from payments.gateways import get_gateway
from payments.gateways.base import (
    CardSetupResult,
    ChargeResult,
    Declined,
    GatewayError,
    PaymentGateway,
    RequiresAction,
    Unavailable,
)
from payments.models import CardSetup, Payment
from payments.services._card_payloads import check_card_payload

logger = logging.getLogger(__name__)

# A cryptogram is single-use; one that no gateway call consumed within this time is
# wiped.
CRYPTOGRAM_TTL = dt.timedelta(minutes=15)

Attempt = TypeVar("Attempt", Payment, CardSetup)
Result = TypeVar("Result", ChargeResult, CardSetupResult)


class InvalidCardAttempt(DomainError):
    """The payment or card check cannot be started as asked."""

    code = "invalid_card_attempt"


class GatewayNotConfigured(InvalidCardAttempt):
    """No gateway of that name is configured."""

    code = "gateway_not_configured"


class CardMissing(InvalidCardAttempt):
    """The card is missing."""

    code = "card_missing"


class AmountNotPositive(InvalidCardAttempt):
    """The amount must be positive."""

    code = "amount_not_positive"


# Not slotted: `GatewayAnswer(...)`, a parameterised alias, sets `__orig_class__`
# on the instance, which a slotted frozen dataclass refuses with a TypeError.
@dataclass(frozen=True)
class Answer(Generic[Result]):
    """A gateway call's result or the typed error it raised."""

    result: Result | None = None
    error: GatewayError | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class AttemptKind(Generic[Attempt, Result]):
    """What differs between a payment and a card setup; the pipeline does the rest."""

    model: type[Attempt]
    # How audit rows, logs and errors name it: "payment", "card_setup".
    subject: str
    requires_action: str
    failed: str
    # The attempt the caller names, or the kind's NotFound error.
    find: Callable[[uuid.UUID], Attempt]
    # The outbox event type of a move from one status to another (None: no event).
    event_type: Callable[[str, str], str | None]
    payload: Callable[[Attempt], dict[str, Any]]
    # Sends the kind's signal once the transaction commits (previous, status, actor).
    announce: Callable[[Attempt, str, str, str], None]
    # Runs after the status is saved and before the event (captured money).
    on_moved: Callable[[Attempt, str, dt.datetime, str], None]
    apply_result: Callable[[Attempt, Result, dt.datetime, str], None]
    # After a decline failed the attempt (a hard decline retires the card).
    on_declined: Callable[[Attempt, Declined, dt.datetime], None]
    # The gateway is down: nothing happened there.
    unavailable_message: str
    # OutcomeUnknown or an unreadable answer: a payment may have moved money.
    apply_unclear: Callable[[Attempt, GatewayError, dt.datetime, str], None]
    # The gateway call that finishes a 3-D Secure step (authentication result).
    complete_3ds: Callable[[PaymentGateway, Attempt, str | None], Result]


def require_gateway(code: str) -> PaymentGateway:
    """The adapter configured for `code`.

    :raises GatewayNotConfigured: when settings name no adapter for `code`.
    """
    if code not in settings.PAYMENT_GATEWAYS:
        raise GatewayNotConfigured(
            f"No gateway {code!r} is configured.", extra={"gateway": code}
        )
    return get_gateway(code)


def check_new_attempt(
    *, gateway: str, card_payload: str | None, amount: Money
) -> PaymentGateway:
    """The gateway's adapter, once what no gateway could act on is refused.

    Called before anything is saved; `card_payload` is None for a saved card.

    :raises GatewayNotConfigured, CardMissing, CardPayloadRefused, AmountNotPositive:
    """
    adapter = require_gateway(gateway)
    if card_payload is not None and not card_payload:
        raise CardMissing()
    if card_payload is not None:
        check_card_payload(
            card_payload, gateway=gateway, sandbox=settings.CHECKOUT_SANDBOX_PAYLOADS
        )
    if not amount.is_positive:
        raise AmountNotPositive(extra={"amount_minor": amount.amount_minor})
    return adapter


def ask_gateway(call: Callable[[], Result]) -> Answer[Result]:
    """Run a gateway call, keeping its typed error instead of raising it."""
    try:
        return Answer(result=call())
    except GatewayError as error:
        if type(error) is GatewayError:
            logger.exception("Unable to understand a gateway's answer")
        return Answer(error=error)


def apply_answer(
    kind: AttemptKind[Attempt, Result],
    *,
    attempt_id: uuid.UUID,
    answer: Answer[Result],
    now: dt.datetime,
    actor: str,
    keep_pending_when_unavailable: bool = False,
) -> Attempt:
    """Record a gateway's answer: result, 3-D Secure, decline, outage or unclear.

    The card cryptogram is wiped whatever happened: the call has consumed it. Joins
    the caller's transaction when there is one (no savepoint), so that what the
    caller does with the outcome commits with it.
    """
    with outbox.atomic(savepoint=False):
        attempt = kind.model.objects.select_for_update().get(id=attempt_id)
        attempt.cryptogram = None
        attempt.cryptogram_expires_at = None
        attempt.updated_at = now
        error = answer.error
        if attempt.is_final:
            # Settled elsewhere (webhook, janitor) while this answer was on its way.
            logger.warning(
                "payments.%s.late_answer",
                kind.subject,
                extra={kind.subject: str(attempt.id), "status": attempt.status},
            )
            attempt.save()
        elif answer.result is not None:
            kind.apply_result(attempt, answer.result, now, actor)
        elif isinstance(error, RequiresAction):
            attempt.gateway_reference = error.challenge.gateway_reference
            attempt.action = {
                "url": error.challenge.url,
                "form_fields": dict(error.challenge.form_fields),
            }
            move(kind, attempt, kind.requires_action, at=now, actor=actor)
        elif isinstance(error, Declined):
            fail_declined(kind, attempt, error, now=now, actor=actor)
        elif isinstance(error, Unavailable) and keep_pending_when_unavailable:
            attempt.save()
        elif isinstance(error, Unavailable):
            fail(
                kind,
                attempt,
                code="gateway_unavailable",
                message=kind.unavailable_message,
                at=now,
                actor=actor,
                reason=str(error),
            )
        else:
            kind.apply_unclear(attempt, error or GatewayError(), now, actor)
        return attempt


def fail_declined(
    kind: AttemptKind[Attempt, Result],
    attempt: Attempt,
    decline: Declined,
    *,
    now: dt.datetime,
    actor: str,
) -> None:
    """Fail a locked attempt the gateway declined, keeping the gateway's reason."""
    if decline.gateway_reference and not attempt.gateway_reference:
        attempt.gateway_reference = decline.gateway_reference
    failed = fail(
        kind,
        attempt,
        code=decline.reason_code,
        message=decline.message,
        at=now,
        actor=actor,
        reason=decline.reason_code,
    )
    if failed:
        kind.on_declined(attempt, decline, now)


def fail(
    kind: AttemptKind[Attempt, Result],
    attempt: Attempt,
    *,
    code: str,
    message: str,
    at: dt.datetime,
    actor: str,
    reason: str = "",
) -> bool:
    """Fail a locked attempt with a failure code and a message the payer may see;
    False when it is already final (see `move`).
    """
    attempt.failure_code = code[:40]
    attempt.failure_message = message[:255]
    attempt.action = None
    return move(kind, attempt, kind.failed, at=at, actor=actor, reason=reason)


def complete_challenge(
    kind: AttemptKind[Attempt, Result],
    *,
    attempt_id: uuid.UUID,
    authentication_result: str | None,
    now: dt.datetime,
    actor: str,
) -> Attempt:
    """Finish an attempt after the payer's 3-D Secure step.

    Safe to call twice (a double-submitted form): only the first call reaches the
    gateway, the second returns the attempt as it stands.

    :raises NotFound: the kind's, for an unknown attempt.
    :raises GatewayNotConfigured: when the attempt's gateway is no longer set up.
    """
    attempt = kind.find(attempt_id)
    adapter = require_gateway(attempt.gateway)
    # Claim the challenge atomically, so that one caller alone asks the gateway.
    claimed = kind.model.objects.filter(
        id=attempt.id, status=kind.requires_action, action__isnull=False
    ).update(action=None, updated_at=now)
    if not claimed:
        attempt.refresh_from_db()
        return attempt
    answer = ask_gateway(
        lambda: kind.complete_3ds(adapter, attempt, authentication_result)
    )
    return apply_answer(
        kind, attempt_id=attempt.id, answer=answer, now=now, actor=actor
    )


def move(
    kind: AttemptKind[Attempt, Result],
    attempt: Attempt,
    status: str,
    *,
    at: dt.datetime,
    actor: str,
    reason: str = "",
) -> bool:
    """Save a locked attempt and move it forward; False when already there or past.

    Gateways repeat and reorder their news (replies, webhooks, janitor checks), so
    anything that is not a forward transition is ignored, never an error. What the
    kind does on a move (`on_moved`: captured money on the books) comes before the
    attempt's own event, so that every row lock is taken before the event lock.
    """
    if attempt.status == status:
        attempt.save()
        return False
    if not attempt.can_transition_to(status):
        logger.warning(
            "%s.transition.ignored",
            kind.subject,
            extra={kind.subject: str(attempt.id), "from": attempt.status, "to": status},
        )
        return False
    previous = attempt.transition_to(status, at=at)
    attempt.save()
    kind.on_moved(attempt, status, at, actor)
    record_status_change(
        object_type=kind.subject,
        object_id=str(attempt.id),
        from_status=previous,
        to_status=status,
        actor=actor,
        reason=reason,
        at=at,
    )
    if event_type := kind.event_type(previous, status):
        record_event(
            type=event_type,
            occurred_at=at,
            payer_id=attempt.payer_id,
            payload=kind.payload(attempt),
        )
    kind.announce(attempt, previous, status, actor)
    return True


def wipe_expired_cryptograms(model: type[Attempt], *, now: dt.datetime) -> int:
    """Forget the cryptograms no gateway call consumed in time; return how many."""
    return model.objects.filter(
        cryptogram_expires_at__lte=now, cryptogram__isnull=False
    ).update(cryptogram=None, cryptogram_expires_at=None)


def sweep_stale(
    model: type[Attempt],
    *,
    statuses: tuple[str, ...],
    since: str,
    before: dt.datetime,
    give_up: Callable[[Attempt], None],
) -> None:
    """Give up each attempt still in `statuses` whose `since` field is not after
    `before`, rechecked under its row lock; its cryptogram is wiped.
    """
    stale = model.objects.filter(
        status__in=statuses, **{f"{since}__lte": before}
    ).values_list("id", flat=True)
    for attempt_id in list(stale):
        with transaction.atomic():
            attempt = model.objects.select_for_update().get(id=attempt_id)
            if attempt.status not in statuses or getattr(attempt, since) > before:
                continue
            attempt.cryptogram = None
            attempt.cryptogram_expires_at = None
            give_up(attempt)
