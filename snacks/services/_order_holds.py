"""An order's hold on the member's card: asked of billing after the order commits.

The hold is asked for outside any transaction (a gRPC call that reaches the
gateway), under a key per order and attempt, so a retry after a lost reply is
answered by billing with the first result. Billing's answer only records which
payment holds the order, or the page to pay on; whether the hold stands is
learnt from the event stream (`snacks.services.apply_billing_event`).
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid

from django.conf import settings
from django.db import transaction

from snacks.billing_calls import (
    BillingRefused,
    BillingUnavailable,
    Hold,
    HoldAnswer,
    NoSavedCard,
    billing_calls,
)
from snacks.errors import OrderNotFound
from snacks.models import HoldStatus, Order, OrderStatus

logger = logging.getLogger(__name__)

# A hold is (re)asked for only while the order may still be approved and ordered.
_HOLDABLE_ORDER_STATUSES = (OrderStatus.CREATED, OrderStatus.APPROVED)
# With these the order has no live hold: asking again starts a new attempt.
_NO_LIVE_HOLD = (HoldStatus.NONE, HoldStatus.FAILED, HoldStatus.VOIDED)


def request_hold(order_id: uuid.UUID, *, now: dt.datetime) -> Order:
    """Ask billing to hold the order's amount; return the order as it then stands.

    With a live hold already asked for, nothing new is asked (a hold still
    REQUESTED without a payment is asked again under the same key). A member
    without a saved card gets the hosted checkout page (`checkout_url`). When
    billing cannot be reached the order keeps no hold (NONE): asking again later
    is safe.

    :raises OrderNotFound:
    :raises BillingRefused: when billing refuses the hold (the reason in extra);
        the order's hold is then FAILED with the message.
    """
    order, attempt = _claim_attempt(order_id, now=now)
    if attempt is None:
        return order
    hold = Hold(
        payer_id=order.member_id,
        amount_minor=order.amount_minor,
        currency=order.currency,
        reference=order.reference,
        description=f"Snack order {order.id}",
        idempotency_key=f"order-hold:{order.id}:{attempt}",
    )
    calls = billing_calls()
    try:
        try:
            answer = calls.authorize(hold)
        except NoSavedCard:
            answer = calls.open_checkout(
                hold,
                success_url=_return_url(order),
                failure_url=_return_url(order),
            )
    except BillingUnavailable:
        logger.warning("snacks.hold.unavailable", extra={"order": str(order.id)})
        _record(order.id, attempt, hold_status=HoldStatus.NONE, now=now)
        return Order.objects.get(id=order.id)
    except BillingRefused as refused:
        _record(
            order.id,
            attempt,
            hold_status=HoldStatus.FAILED,
            now=now,
            failure=refused.message,
        )
        raise
    _record_answer(order.id, attempt, answer, now=now)
    return Order.objects.get(id=order.id)


def _claim_attempt(
    order_id: uuid.UUID, *, now: dt.datetime
) -> tuple[Order, int | None]:
    """The order, and the attempt to ask under (None: nothing to ask)."""
    with transaction.atomic():
        order = Order.objects.select_for_update().filter(id=order_id).first()
        if order is None:
            raise OrderNotFound(extra={"order": str(order_id)})
        if order.status not in _HOLDABLE_ORDER_STATUSES or order.amount_minor <= 0:
            return order, None
        if order.hold_status == HoldStatus.REQUESTED and order.payment_id is None:
            return order, order.hold_attempt
        if order.hold_status not in _NO_LIVE_HOLD:
            return order, None
        order.hold_attempt += 1
        order.hold_status = HoldStatus.REQUESTED
        order.payment_id = None
        order.checkout_url = ""
        order.hold_failure = ""
        order.updated_at = now
        order.save(
            update_fields=[
                "hold_attempt",
                "hold_status",
                "payment_id",
                "checkout_url",
                "hold_failure",
                "updated_at",
            ]
        )
        return order, order.hold_attempt


def _record_answer(
    order_id: uuid.UUID, attempt: int, answer: HoldAnswer, *, now: dt.datetime
) -> None:
    """Keep which payment holds the order, or the page to pay on. The event stream
    may have told more already: only a hold still REQUESTED under this attempt
    takes the answer."""
    needs_member = bool(answer.checkout_url) or answer.status == "REQUIRES_ACTION"
    _record(
        order_id,
        attempt,
        hold_status=HoldStatus.REQUIRES_ACTION if needs_member else None,
        payment_id=answer.payment_id,
        checkout_url=answer.checkout_url,
        now=now,
    )


def _record(
    order_id: uuid.UUID,
    attempt: int,
    *,
    hold_status: str | None,
    now: dt.datetime,
    payment_id: uuid.UUID | None = None,
    checkout_url: str = "",
    failure: str = "",
) -> None:
    changes: dict[str, object] = {"updated_at": now}
    if failure:
        changes["hold_failure"] = failure
    if hold_status is not None:
        changes["hold_status"] = hold_status
    if checkout_url:
        changes["checkout_url"] = checkout_url
    pending = Order.objects.filter(
        id=order_id, hold_attempt=attempt, hold_status=HoldStatus.REQUESTED
    )
    if payment_id is not None:
        pending.filter(payment_id__isnull=True).update(payment_id=payment_id)
    pending.update(**changes)


def _return_url(order: Order) -> str:
    return str(settings.SHOP_CHECKOUT_RETURN_URL).format(order_id=order.id)
