"""What billing's event stream tells the shop about its orders' holds.

The consumer (`manage.py consume_billing_events`) hands every event to
`apply_billing_event` inside the transaction that saves its cursor
(`BillingEventCursors`), so each event takes effect exactly once, also after a
crash. Only `payment.*` events that pay an `order:<uuid>` concern the shop; an
event about a payment that no longer holds the order (one an edit replaced) is
ignored.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Mapping
from typing import Any, Final

from snacks.decline_reasons import decline_reason
from snacks.models import (
    BillingEventCursor,
    HoldStatus,
    Order,
    OrderStatus,
    OrderTask,
    OrderTaskKind,
)
from snacks.services._order_moves import cancel_order_for_failed_hold
from snacks.services._order_work import start_order_work

logger = logging.getLogger(__name__)

# The event types the shop subscribes to, and the hold status each one means.
HOLD_STATUS_OF_EVENT: Final = {
    "payment.requires_action": HoldStatus.REQUIRES_ACTION,
    "payment.authorized": HoldStatus.AUTHORIZED,
    "payment.captured": HoldStatus.CAPTURED,
    "payment.succeeded": HoldStatus.CAPTURED,
    "payment.voided": HoldStatus.VOIDED,
    "payment.canceled": HoldStatus.VOIDED,
    "payment.failed": HoldStatus.FAILED,
}
SHOP_EVENT_TYPES: Final = tuple(HOLD_STATUS_OF_EVENT)
_REFERENCE_PREFIX = "order:"
# A hold's news is never taken back: a captured or voided hold stays so, whatever
# late or replayed event about it comes next.
_FINAL_HOLDS: Final = frozenset({HoldStatus.CAPTURED, HoldStatus.VOIDED})
# The work each hold news starts.
_WORK_OF_HOLD: Final = {
    HoldStatus.AUTHORIZED: OrderTaskKind.CONFIRMATION_EMAIL,
    HoldStatus.CAPTURED: OrderTaskKind.INVOICE_PDF,
}


class BillingEventCursors:
    """A consumer's cursor in the shop's database: saved in the transaction that
    applies the event (`grpc_api.client.EventConsumer`'s `atomic`)."""

    def __init__(self, consumer: str, *, clock: Any) -> None:
        self.consumer = consumer
        self._clock = clock

    def load(self) -> int:
        row = BillingEventCursor.objects.filter(consumer=self.consumer).first()
        return 0 if row is None else row.cursor

    def save(self, cursor: int) -> None:
        BillingEventCursor.objects.update_or_create(
            consumer=self.consumer,
            defaults={"cursor": cursor, "updated_at": self._clock()},
        )


def apply_billing_event(
    event_type: str, payload: Mapping[str, Any], *, now: dt.datetime
) -> Order | None:
    """Apply one billing event to the order its payment holds; the order changed,
    or None when the event is not the shop's or changes nothing.

    Call it in a transaction; it locks the order.
    """
    hold_status = HOLD_STATUS_OF_EVENT.get(event_type)
    order_id = _order_of(payload.get("pays", ""))
    if hold_status is None or order_id is None:
        return None
    order = Order.objects.select_for_update().filter(id=order_id).first()
    payment_id = _uuid(payload.get("payment_id"))
    if order is None or payment_id is None:
        logger.info(
            "snacks.billing_event.ignored",
            extra={"event_type": event_type, "order": str(order_id)},
        )
        return None
    if not _is_its_hold(order, payment_id):
        _release_stray_hold(order, payment_id, hold_status, now=now)
        return None
    if order.hold_status in _FINAL_HOLDS or order.hold_status == hold_status:
        return None
    order.payment_id = payment_id
    order.hold_status = hold_status
    if hold_status == HoldStatus.FAILED:
        order.hold_failure = decline_reason(
            payload.get("failure_code"), payload.get("failure_message")
        )
    order.updated_at = now
    order.save(
        update_fields=["payment_id", "hold_status", "hold_failure", "updated_at"]
    )
    if order.status == OrderStatus.CANCELED and hold_status == HoldStatus.AUTHORIZED:
        # Paid on the checkout page after the order was canceled: let it go.
        start_order_work(
            order, OrderTaskKind.VOID_HOLD, now=now, subject=str(payment_id)
        )
    elif work := _WORK_OF_HOLD.get(hold_status):
        start_order_work(order, work, now=now)
    if hold_status == HoldStatus.FAILED:
        _after_failed_hold(order, now=now)
    return Order.objects.get(id=order.id)


def _is_its_hold(order: Order, payment_id: uuid.UUID) -> bool:
    """Whether the payment holds the order: its own, or the first news of a hold
    asked for and not yet named (the checkout page's) - never one an edit voided."""
    if order.payment_id is not None:
        return order.payment_id == payment_id
    replaced = OrderTask.objects.filter(
        order=order, kind=OrderTaskKind.VOID_HOLD, subject=str(payment_id)
    ).exists()
    return not replaced and order.hold_status in (
        HoldStatus.REQUESTED,
        HoldStatus.REQUIRES_ACTION,
    )


def _release_stray_hold(
    order: Order, payment_id: uuid.UUID, hold_status: str, *, now: dt.datetime
) -> None:
    """A hold on the order's reference that is not the order's (a checkout page
    paid after an edit replaced its hold) is voided, once; other news of it is
    ignored."""
    logger.info(
        "snacks.billing_event.stray_hold",
        extra={"order": str(order.id), "payment": str(payment_id)},
    )
    if hold_status == HoldStatus.AUTHORIZED:
        start_order_work(
            order, OrderTaskKind.VOID_HOLD, now=now, subject=str(payment_id)
        )


def _after_failed_hold(order: Order, *, now: dt.datetime) -> None:
    """A declined hold cancels an order that was not ordered yet, with the reason;
    an ordered one (its capture failed) waits for an admin."""
    reason = f"The card was not authorized: {order.hold_failure}"
    if not cancel_order_for_failed_hold(order_id=order.id, reason=reason, now=now):
        order.needs_attention = f"The payment failed: {order.hold_failure}"
        order.save(update_fields=["needs_attention"])


def _order_of(reference: object) -> uuid.UUID | None:
    if not isinstance(reference, str) or not reference.startswith(_REFERENCE_PREFIX):
        return None
    return _uuid(reference.removeprefix(_REFERENCE_PREFIX))


def _uuid(value: object) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None
