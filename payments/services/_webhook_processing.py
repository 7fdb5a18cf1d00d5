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
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final

from django.db import DatabaseError, connection, transaction
from django.db.models import F, Q

from billing import outbox
from payments.gateways import get_gateway
from payments.gateways.base import GatewayError, GatewayEvent, PaymentSnapshot
from payments.gateways.redaction import redact
from payments.models import GatewayEventRecord, GatewayEventStatus, Payment
from payments.services._lookup import PaymentsNamed, payment_named_by
from payments.services._payment_outcomes import gateway_reference_of
from payments.services._setups import CARD_SETUP_REFERENCE_PREFIX
from payments.services._webhook_handlers import (
    HANDLERS,
    TARGETS,
    Outcome,
    settle_payment,
)

logger = logging.getLogger(__name__)


# Records in these states are done: a second task for them changes nothing.
SETTLED: Final = frozenset({GatewayEventStatus.PROCESSED, GatewayEventStatus.IGNORED})
# After this many tries a failing record stays FAILED for a person to look at.
MAX_PROCESSING_ATTEMPTS: Final = 10
RETRY_AFTER: Final = dt.timedelta(minutes=1)
# A drain claims this many events per short transaction, and holds its claim this
# long: far longer than a batch takes, gateway timeouts included.
DRAIN_BATCH: Final = 50
CLAIM_LEASE: Final = dt.timedelta(minutes=5)
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
    claimed it. A claimed batch is applied in one transaction; when anything in it
    fails, that transaction is undone and the batch applied one event at a time, so
    that a failing event is marked FAILED for the beat sweep and the rest go through.
    """
    done = 0
    while records := _claim(batch, now=clock()):
        _process_claimed(records, now=clock())
        done += len(records)
    return done


def gateway_events_to_retry(*, now: dt.datetime, limit: int = 100) -> list[int]:
    """Events whose processing failed or never ran, received a minute ago or more."""
    return list(
        GatewayEventRecord.objects.filter(
            status__in=(GatewayEventStatus.RECEIVED, GatewayEventStatus.FAILED),
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
    (a drain that died) is taken over; each record is re-read under its row lock
    before it is applied (`_apply_batch`, `_apply`), so even then no event is
    applied twice.

    Oldest first, in the order of the (status, received_at) index: a tie-breaker
    column would make PostgreSQL sort every waiting event on each claim, so a
    backlog would slow its own processing down.
    """
    with transaction.atomic():
        records = list(
            GatewayEventRecord.objects.select_for_update(skip_locked=True)
            .filter(status=GatewayEventStatus.RECEIVED)
            .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - CLAIM_LEASE))
            .order_by("received_at")[:batch]
        )
        GatewayEventRecord.objects.filter(id__in=[r.id for r in records]).update(
            claimed_at=now
        )
    return records


@dataclass(frozen=True, slots=True)
class _Work:
    """A record to apply: its event, and the gateway's current record of its payment."""

    record: GatewayEventRecord
    event: GatewayEvent
    current: PaymentSnapshot | None


def _process(record: GatewayEventRecord, *, now: dt.datetime) -> str:
    event = _event_of(record)
    payment = None
    if _asks_gateway(event):
        payment = payment_named_by(
            gateway=record.gateway,
            reference=event.reference,
            gateway_reference=event.gateway_reference,
        )
    # Asked before the transaction: no row stays locked during a network call.
    current = _gateway_record(record.gateway, event, payment)
    return _apply(_Work(record, event, current), now=now)


def _process_claimed(records: list[GatewayEventRecord], *, now: dt.datetime) -> None:
    """Apply claimed records in one transaction; one by one if that fails.

    One transaction for the batch saves, per event, a BEGIN and a COMMIT, the
    record's and the payment's look-ups and the outbox's INSERTs. The records are
    re-read under their row locks there, as `_apply` does for one.
    """
    parsed: list[tuple[GatewayEventRecord, GatewayEvent]] = []
    for record in records:
        try:
            parsed.append((record, _event_of(record)))
        except Exception as error:  # noqa: BLE001 - recorded; the sweep retries
            _record_failure(record.id, error)
    # Read without locks, to know whose gateway record to ask for.
    named = PaymentsNamed.of([(r.gateway, e) for r, e in parsed if _asks_gateway(e)])
    work: list[_Work] = []
    for record, event in parsed:
        try:
            payment = named.find(record.gateway, event)
            current = _gateway_record(record.gateway, event, payment)
        except Exception as error:  # noqa: BLE001 - recorded; the sweep retries
            _record_failure(record.id, error)
        else:
            work.append(_Work(record, event, current))
    try:
        with outbox.atomic():
            _apply_batch(work, now=now)
    except Exception as batch_error:  # noqa: BLE001 - each is applied alone below
        logger.info(
            "payments.webhook.batch_undone",
            extra={"records": len(work), "error": type(batch_error).__name__},
        )
        for item in work:
            try:
                _apply(item, now=now)
            except Exception as error:  # noqa: BLE001 - recorded; the sweep retries
                _record_failure(item.record.id, error)


def _apply_batch(work: list[_Work], *, now: dt.datetime) -> None:
    """Apply records in the caller's transaction, each re-read under its row lock.

    Rows are locked in one order, the records first and then their payments by id,
    so that two drains never wait for each other in a circle.
    """
    locked = {
        record.id: record
        for record in GatewayEventRecord.objects.select_for_update()
        .filter(id__in=[item.record.id for item in work])
        .order_by("id")
    }
    pending = [
        (locked[item.record.id], item)
        for item in work
        if item.record.id in locked and locked[item.record.id].status not in SETTLED
    ]
    payments = PaymentsNamed.of(
        [(r.gateway, item.event) for r, item in pending if item.event.type in HANDLERS],
        lock=True,
    )
    for record, item in pending:
        payment = payments.find(record.gateway, item.event)
        outcome = _outcome(record, item.event, item.current, payment, now=now)
        _settle(record, outcome, now=now)
    _save_outcomes([record for record, _ in pending])


def _save_outcomes(records: list[GatewayEventRecord]) -> None:
    """Write what `_settle` set on `records`: one UPDATE each, sent together.

    psycopg sends an `executemany` in one round trip (pipeline mode); Django's
    `bulk_update` would build a CASE per field and record, which costs more than the
    statements themselves.
    """
    if not records:
        return
    meta = GatewayEventRecord._meta
    fields = [field for field in meta.concrete_fields if field.name in _OUTCOME_FIELDS]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(str(field.column))} = %s" for field in fields)
    # Names come from the model, values are parameters.
    sql = (
        f"UPDATE {quote(meta.db_table)} SET {assignments} "  # noqa: S608
        f"WHERE {quote(str(meta.pk.column))} = %s"
    )
    rows = [
        [
            *(
                field.get_db_prep_save(getattr(record, field.attname), connection)
                for field in fields
            ),
            record.pk,
        ]
        for record in records
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _apply(work: _Work, *, now: dt.datetime) -> str:
    """Apply one record in a transaction of its own, re-read under its row lock."""
    with outbox.atomic():
        record = GatewayEventRecord.objects.select_for_update().get(id=work.record.id)
        if record.status in SETTLED:
            return record.status
        payment = None
        if work.event.type in HANDLERS:
            payment = payment_named_by(
                gateway=record.gateway,
                reference=work.event.reference,
                gateway_reference=work.event.gateway_reference,
                lock=True,
            )
        outcome = _outcome(record, work.event, work.current, payment, now=now)
        _settle(record, outcome, now=now)
        record.save()
    return outcome.status


# The fields `_settle` sets.
_OUTCOME_FIELDS: Final = ("status", "payment", "error", "attempts", "processed_at")


def _settle(record: GatewayEventRecord, outcome: Outcome, *, now: dt.datetime) -> None:
    record.status = outcome.status
    record.payment = outcome.payment
    record.error = outcome.note
    record.attempts += 1
    record.processed_at = now


def _event_of(record: GatewayEventRecord) -> GatewayEvent:
    """The stored event, parsed again by its adapter from the stored payload."""
    payload = record.payload
    if record.gateway == "cloudpayments":
        body = urllib.parse.urlencode(payload).encode("utf-8")
    else:
        body = json.dumps(payload).encode("utf-8")
    kind = record.kind.removeprefix(f"{record.gateway}.")
    return get_gateway(record.gateway).parse_webhook(kind=kind, body=body)


def _outcome(
    record: GatewayEventRecord,
    event: GatewayEvent,
    current: PaymentSnapshot | None,
    payment: Payment | None,
    *,
    now: dt.datetime,
) -> Outcome:
    """What `event` does to the locked `payment` it names (None if it names none)."""
    handler = HANDLERS.get(event.type)
    if handler is None:
        return Outcome(
            GatewayEventStatus.IGNORED, note=_NOT_ACTED_ON.get(event.type, "")
        )
    if payment is None and (event.reference or "").startswith(
        CARD_SETUP_REFERENCE_PREFIX
    ):
        # A card check's authorization and its void: the setup's own flow has the
        # answer, and no money stays with the gateway.
        return Outcome(
            GatewayEventStatus.IGNORED, note="a card check, settled by its own flow"
        )
    if payment is None:
        logger.warning(
            "payments.webhook.orphaned",
            extra={"gateway": record.gateway, "kind": event.type, "record": record.id},
        )
        return Outcome(
            GatewayEventStatus.ORPHANED, note="names no payment of this service"
        )
    return handler(payment, event, current, now, f"webhook:{record.gateway}")


def _asks_gateway(event: GatewayEvent) -> bool:
    """Whether the gateway is asked about the payment before `event` moves it."""
    target = TARGETS.get(event.state) if event.state else None
    return HANDLERS.get(event.type) is settle_payment and target is not None


def _gateway_record(
    gateway: str, event: GatewayEvent, payment: Payment | None
) -> PaymentSnapshot | None:
    """The gateway's record of the `payment` that `event` would move, or None: when
    the event moves nothing, the payment cannot move, or the gateway is unreachable.
    """
    if not _asks_gateway(event) or payment is None or event.state is None:
        return None
    if not payment.can_transition_to(TARGETS[event.state]):
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
        ).update(
            status=GatewayEventStatus.FAILED, error=text, attempts=F("attempts") + 1
        )
    except DatabaseError:
        logger.exception("Unable to record a webhook processing failure")
