"""Processing stored gateway events: forward only, idempotent, whatever the order.

A stored event is re-read under its row lock and dispatched on its type (Saleor).
Payment events settle the payment through `apply_snapshot`, the code that settles
lost replies, so a webhook can only move a payment forward: a repeated or late
event (a Pay after the Confirm, a Fail after the Pay) changes nothing.

Order matters only when two events contradict each other, such as a Fail and a Pay
for the same reference. Before a webhook moves a live payment, the gateway is asked
for its current record of it (dj-stripe re-fetches likewise), and captured money
outranks any other news. An unreachable gateway does not hold the payment back: the
event's own state is applied, forward only, and a contradiction that arrives after
the payment settled is noted for reconciliation.

The record's status afterwards:

| PROCESSED | applied; or compared with ours, with a note in `error` for           |
|           | reconciliation (money this service cannot account for is never       |
|           | recorded: a refund made in the gateway's dashboard is only noted)    |
| IGNORED   | nothing to apply: repeated, older or not final, or a type not acted on |
| ORPHANED  | names no payment of this service: kept and logged                    |
| FAILED    | processing raised; `error` says why; the beat sweep tries again      |
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import urllib.parse
import uuid
from collections.abc import Callable, Mapping
from typing import Final

from django.db import DatabaseError, transaction
from django.db.models import F, Q

from payments.gateways import get_gateway
from payments.gateways.base import GatewayError, GatewayEvent, PaymentSnapshot
from payments.gateways.redaction import redact
from payments.models import GatewayEventRecord, GatewayEventStatus, Payment
from payments.services._charges import gateway_reference_of
from payments.services._webhook_handlers import (
    HANDLERS,
    TARGETS,
    Outcome,
    settle_payment,
)

logger = logging.getLogger(__name__)

E = GatewayEventStatus

# Records in these states are done: a second task for them changes nothing.
SETTLED: Final = frozenset({E.PROCESSED, E.IGNORED})
# After this many tries a failing record stays FAILED for a person to look at.
MAX_PROCESSING_ATTEMPTS: Final = 10
RETRY_AFTER: Final = dt.timedelta(minutes=1)
# A drain claims this many events per short transaction, and holds its claim this
# long: far longer than a batch takes, gateway timeouts included.
DRAIN_BATCH: Final = 50
CLAIM_LEASE: Final = dt.timedelta(minutes=5)
_REFERENCE_PREFIX: Final = "payment:"
_NOT_ACTED_ON: Final[Mapping[str, str]] = {
    "cloudpayments.check": "answered when it was received",
    "cloudpayments.recurrent": "gateway-managed subscriptions are not used",
}


def process_gateway_event(*, record_id: int, now: dt.datetime) -> str:
    """Apply a stored gateway event once; return the record's status afterwards.

    :raises GatewayEventRecord.DoesNotExist: for an unknown record.
    :raises Exception: whatever processing raised, after the record was marked
        FAILED with the error and one more attempt.
    """
    record = GatewayEventRecord.objects.get(id=record_id)
    if record.status in SETTLED:
        return record.status
    try:
        return _process(record, now=now)
    except Exception as error:
        _record_failure(record_id, error)
        raise


def drain_gateway_events(
    *, clock: Callable[[], dt.datetime], batch: int = DRAIN_BATCH
) -> int:
    """Process every RECEIVED event that no other drain has claimed; return how many.

    Claims a batch at a time and goes on until a claim comes back empty, so every
    event committed before the drain started is processed by it or by the drain that
    claimed it. A failing event is marked FAILED for the beat sweep, and the drain
    goes on with the next.
    """
    done = 0
    while records := _claim(batch, now=clock()):
        for record in records:
            try:
                _process(record, now=clock())
            except Exception as error:  # noqa: BLE001 - recorded; the sweep retries
                _record_failure(record.id, error)
        done += len(records)
    return done


def gateway_events_to_retry(*, now: dt.datetime, limit: int = 100) -> list[int]:
    """Events whose processing failed or never ran, received a minute ago or more."""
    return list(
        GatewayEventRecord.objects.filter(
            status__in=(E.RECEIVED, E.FAILED),
            received_at__lte=now - RETRY_AFTER,
            attempts__lt=MAX_PROCESSING_ATTEMPTS,
        )
        .order_by("received_at")
        .values_list("id", flat=True)[:limit]
    )


def _claim(batch: int, *, now: dt.datetime) -> list[GatewayEventRecord]:
    """Up to `batch` unclaimed RECEIVED events, claimed for this drain.

    SKIP LOCKED lets parallel drains claim disjoint batches without waiting for
    each other; `claimed_at` keeps the claim after this short transaction, since
    the gateway is asked outside any transaction. A claim older than the lease
    (a drain that died) is taken over; `_process` re-reads each record under its
    row lock, so even then no event is applied twice.
    """
    with transaction.atomic():
        records = list(
            GatewayEventRecord.objects.select_for_update(skip_locked=True)
            .filter(status=E.RECEIVED)
            .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - CLAIM_LEASE))
            .order_by("received_at", "id")[:batch]
        )
        GatewayEventRecord.objects.filter(id__in=[r.id for r in records]).update(
            claimed_at=now
        )
    return records


def payment_named_by(
    *,
    gateway: str,
    reference: str | None,
    gateway_reference: str | None = None,
    lock: bool = False,
) -> Payment | None:
    """The payment an event names: by our reference, else by the gateway's."""
    payments = Payment.objects.filter(gateway=gateway)
    if lock:
        payments = payments.select_for_update()
    payment_id = _payment_id(reference)
    if payment_id is not None:
        found = payments.filter(id=payment_id).first()
        if found is not None:
            return found
    if gateway_reference:
        return payments.filter(gateway_reference=gateway_reference).first()
    return None


def _process(record: GatewayEventRecord, *, now: dt.datetime) -> str:
    event = _event_of(record)
    # Asked before the transaction: no row stays locked during a network call.
    current = _gateway_record(record.gateway, event)
    with transaction.atomic():
        locked = GatewayEventRecord.objects.select_for_update().get(id=record.id)
        if locked.status in SETTLED:
            return locked.status
        outcome = _dispatch(locked, event, current, now=now)
        locked.status = outcome.status
        locked.payment = outcome.payment
        locked.error = outcome.note
        locked.attempts += 1
        locked.processed_at = now
        locked.save()
    return outcome.status


def _event_of(record: GatewayEventRecord) -> GatewayEvent:
    """The stored event, parsed again by its adapter from the stored payload."""
    payload = record.payload
    if record.gateway == "cloudpayments":
        body = urllib.parse.urlencode(payload).encode("utf-8")
    else:
        body = json.dumps(payload).encode("utf-8")
    kind = record.kind.removeprefix(f"{record.gateway}.")
    return get_gateway(record.gateway).parse_webhook(kind=kind, body=body)


def _dispatch(
    record: GatewayEventRecord,
    event: GatewayEvent,
    current: PaymentSnapshot | None,
    *,
    now: dt.datetime,
) -> Outcome:
    handler = HANDLERS.get(event.type)
    if handler is None:
        return Outcome(E.IGNORED, note=_NOT_ACTED_ON.get(event.type, ""))
    payment = payment_named_by(
        gateway=record.gateway,
        reference=event.reference,
        gateway_reference=event.gateway_reference,
        lock=True,
    )
    if payment is None:
        logger.warning(
            "payments.webhook.orphaned",
            extra={"gateway": record.gateway, "kind": event.type, "record": record.id},
        )
        return Outcome(E.ORPHANED, note="names no payment of this service")
    return handler(payment, event, current, now, f"webhook:{record.gateway}")


def _gateway_record(gateway: str, event: GatewayEvent) -> PaymentSnapshot | None:
    """The gateway's record of the payment `event` would move; None if unreachable."""
    target = TARGETS.get(event.state) if event.state else None
    if HANDLERS.get(event.type) is not settle_payment or target is None:
        return None
    payment = payment_named_by(
        gateway=gateway,
        reference=event.reference,
        gateway_reference=event.gateway_reference,
    )
    if payment is None or not payment.can_transition_to(target):
        return None
    try:
        return get_gateway(gateway).find_payment(
            reference=gateway_reference_of(payment)
        )
    except GatewayError as error:
        logger.warning(
            "payments.webhook.gateway_unreachable",
            extra={"payment": str(payment.id), "error": type(error).__name__},
        )
        return None


def _record_failure(record_id: int, error: Exception) -> None:
    text = redact(f"{type(error).__name__}: {error}")
    logger.warning(
        "payments.webhook.processing_failed",
        extra={"record": record_id, "error": text},
    )
    try:
        GatewayEventRecord.objects.filter(id=record_id).exclude(
            status__in=SETTLED
        ).update(status=E.FAILED, error=text, attempts=F("attempts") + 1)
    except DatabaseError:
        logger.exception("Unable to record a webhook processing failure")


def _payment_id(reference: str | None) -> uuid.UUID | None:
    """The payment id in our reference (the inverse of `gateway_reference_of`)."""
    if not reference or not reference.startswith(_REFERENCE_PREFIX):
        return None
    try:
        return uuid.UUID(reference.removeprefix(_REFERENCE_PREFIX))
    except ValueError:
        return None
