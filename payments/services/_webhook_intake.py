"""Receiving gateway webhooks: verified, stored once, processed after commit (SPEC §6).

Nothing is parsed or stored before the adapter has checked the signature over the
exact bytes received. A verified message is stored once per (gateway, external id,
type): a repeated delivery finds the unique constraint, and its sender gets the
same success answer while nothing else happens. Processing runs in the `webhooks`
queue after commit, so the gateway is answered at once (dj-stripe's
`WebhookEventTrigger`).
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from django.db import transaction

from billing.errors import DomainError
from billing.money import Money
from kit.redaction import stored_payload
from payments.gateways import get_gateway
from payments.gateways.base import GatewayError, GatewayEvent, InvalidSignature
from payments.models import CardSetup, GatewayEventRecord, PaymentStatus
from payments.services._lookup import payment_named_by
from payments.services._setups import CARD_SETUP_REFERENCE_PREFIX
from payments.services._webhook_intake_store import insert_once
from payments.signals import gateway_events_stored

logger = logging.getLogger(__name__)

# Column widths of GatewayEventRecord; a verified body that overflows them is not a
# message the gateway sends.
_MAX_EXTERNAL_ID: Final = 100
_MAX_KIND: Final = 64
_MAX_GATEWAY_REFERENCE: Final = 64
# Only these states may still take the payer's money (CloudPayments code 13).
_ACCEPTING_STATUSES: Final = frozenset(
    {PaymentStatus.PENDING, PaymentStatus.REQUIRES_ACTION}
)


class InvalidWebhookSignature(DomainError):
    """The webhook signature is missing or does not match the body."""

    code = "invalid_signature"
    http_status = 401


class MalformedWebhook(DomainError):
    """The webhook is not a message that this gateway sends."""

    code = "malformed_webhook"
    http_status = 400


class CheckAnswer(enum.IntEnum):
    """Reply codes of CloudPayments' Check notification (GATEWAYS.md B1)."""

    ACCEPT = 0
    UNKNOWN_INVOICE = 10
    WRONG_ACCOUNT = 11
    WRONG_AMOUNT = 12
    NOT_ACCEPTED = 13


@dataclass(frozen=True, slots=True)
class VerifiedEvent:
    """A webhook whose signature held and whose body is a message of its gateway."""

    gateway: str
    event: GatewayEvent
    # What is stored of the message: the keys its adapter names, no secret.
    payload: Any


@dataclass(frozen=True, slots=True)
class ReceivedEvent:
    record_id: int
    event: GatewayEvent
    # False for a repeated delivery of a message stored before.
    is_new: bool


def receive_gateway_event(
    *,
    gateway: str,
    kind: str,
    body: bytes,
    headers: Mapping[str, str],
    now: dt.datetime,
) -> ReceivedEvent:
    """Verify, parse and store a webhook once; enqueue its processing on commit.

    `kind` is CloudPayments' notification type from the URL, or "" for Stripe.

    :raises InvalidWebhookSignature: when the signature is missing or wrong.
    :raises MalformedWebhook: when a verified body is not a gateway message.
    :raises UnknownGateway: when `gateway` is not configured.
    """
    verified = verify_gateway_event(
        gateway=gateway, kind=kind, body=body, headers=headers
    )
    return store_verified_event(verified, now=now)


def verify_gateway_event(
    *, gateway: str, kind: str, body: bytes, headers: Mapping[str, str]
) -> VerifiedEvent:
    """Check a webhook's signature over the raw body, then parse it: what is stored.

    Reads nothing but settings, so that the WSGI views and the ASGI edge share it.

    :raises InvalidWebhookSignature: when the signature is missing or wrong.
    :raises MalformedWebhook: when a verified body is not a gateway message.
    :raises UnknownGateway: when `gateway` is not configured.
    """
    adapter = get_gateway(gateway)
    try:
        adapter.verify_webhook(body=body, headers=headers)
    except InvalidSignature as error:
        # The adapters' messages say what was wrong, never what the secret is.
        logger.warning(
            "payments.webhook.invalid_signature",
            extra={"gateway": gateway, "kind": kind, "reason": str(error)},
        )
        raise InvalidWebhookSignature() from None
    try:
        event = adapter.parse_webhook(kind=kind, body=body)
    except GatewayError as error:
        logger.warning(
            "payments.webhook.malformed",
            extra={"gateway": gateway, "kind": kind, "reason": str(error)},
        )
        raise MalformedWebhook() from None
    _require_fits(event)
    # The one point where a gateway's message enters storage: only the keys its
    # adapter names are kept (personal data never is), and no secret.
    payload = stored_payload(event.safe_payload, kept=adapter.stored_payload_keys)
    return VerifiedEvent(gateway=gateway, event=event, payload=payload)


def store_verified_event(verified: VerifiedEvent, *, now: dt.datetime) -> ReceivedEvent:
    """Store a verified webhook once, through Django's connection; enqueue its
    processing on commit (the WSGI views' store, and the edge's off PostgreSQL)."""
    event = verified.event
    record = GatewayEventRecord(
        gateway=verified.gateway,
        kind=event.type,
        external_id=event.external_id,
        gateway_reference=event.gateway_reference or "",
        payload=verified.payload,
        received_at=now,
    )
    record_id, is_new, resent = insert_once(record)
    if is_new or resent:
        # Outside a transaction the INSERT has committed by now and this runs at
        # once. Robust: the row is safe once committed, so a broker outage must not
        # turn into an error reply and a redelivery; the beat sweep
        # (`payments.retry_gateway_events`) picks up what was never enqueued. After
        # a resend the first attempt may have stored the row and lost the reply, so
        # processing is asked for in any case (a drain of nothing is harmless).
        transaction.on_commit(announce_stored_events, robust=True)
    else:
        log_duplicate(verified.gateway, event.type, record_id)
    return ReceivedEvent(record_id=record_id, event=event, is_new=is_new)


def announce_stored_events() -> None:
    """Tell the receivers that stored events wait for processing (after commit)."""
    gateway_events_stored.send(sender=GatewayEventRecord)


def log_duplicate(gateway: str, kind: str, record_id: int) -> None:
    logger.info(
        "payments.webhook.duplicate",
        extra={"gateway": gateway, "kind": kind, "record": record_id},
    )


def answer_cloudpayments_check(*, event: GatewayEvent) -> CheckAnswer:
    """Whether CloudPayments may take the money a Check notification describes.

    The InvoiceId names a payment of ours, or a card setup (a card check, whose
    authorization is voided at once). Read-only: the payment's or the setup's own
    flow records the outcome when it arrives.
    """
    attempt = _attempt_named_by(event.reference)
    if attempt is None:
        return CheckAnswer.UNKNOWN_INVOICE
    payer_id, amount, status = attempt
    if _uuid_or_none(event.safe_payload.get("AccountId")) != payer_id:
        return CheckAnswer.WRONG_ACCOUNT
    if event.amount != amount:
        return CheckAnswer.WRONG_AMOUNT
    if status not in _ACCEPTING_STATUSES:
        return CheckAnswer.NOT_ACCEPTED
    return CheckAnswer.ACCEPT


def _attempt_named_by(reference: str | None) -> tuple[uuid.UUID, Money, str] | None:
    """The payer, amount and status of the payment or card setup `reference` names."""
    if reference and reference.startswith(CARD_SETUP_REFERENCE_PREFIX):
        setup_id = _uuid_or_none(reference.removeprefix(CARD_SETUP_REFERENCE_PREFIX))
        setup = (
            CardSetup.objects.filter(id=setup_id, gateway="cloudpayments").first()
            if setup_id
            else None
        )
        if setup is None:
            return None
        return setup.payer_id, setup.verification_amount, setup.status
    payment = payment_named_by(gateway="cloudpayments", reference=reference)
    if payment is None:
        return None
    return payment.payer_id, payment.amount, payment.status


def _require_fits(event: GatewayEvent) -> None:
    if (
        len(event.external_id) > _MAX_EXTERNAL_ID
        or len(event.type) > _MAX_KIND
        or len(event.gateway_reference or "") > _MAX_GATEWAY_REFERENCE
    ):
        raise MalformedWebhook(extra={"reason": "an identifier is too long"})


def _uuid_or_none(value: object) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None
