"""Registering a shipped order with the shipping partner, and telling the member.

The partner's endpoint fails now and then and sometimes answers too late; the
task retries with back-off under one idempotency key per order, so the partner
registers the order once however many attempts it took. After the last attempt
the order is flagged for an admin (`needs_attention`).
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.db import transaction

from snacks.models import Order, OrderTaskKind
from snacks.services._order_fulfilment import finish_work, flag_order, open_work
from snacks.services._order_work import start_order_work
from snacks.shipping import (
    Recipient,
    ShipmentItem,
    ShippingRefused,
    register_shipment,
)


def register_order_shipment(*, task_id: uuid.UUID, now: dt.datetime) -> bool:
    """Register the order of the work `task_id` with the partner; whether it was
    registered now (False: done before, or refused and flagged).

    :raises ShippingUnavailable: when the partner could not be reached: retry.
    """
    work = open_work(task_id)
    if work is None:
        return False
    order = work.order
    try:
        shipment = register_shipment(
            reference=order.reference,
            recipient=Recipient(
                name=order.member.name or order.member.email, email=order.member.email
            ),
            items=_items(order),
            expected_arrival=_arrival(order),
            idempotency_key=f"order-shipment:{order.id}",
        )
    except ShippingRefused as refused:
        with transaction.atomic():
            flag_order(order, f"The shipping partner refused it: {refused.message}")
            finish_work(work, now=now)
        return False
    with transaction.atomic():
        Order.objects.filter(id=order.id).update(
            shipment_id=shipment.shipment_id,
            tracking_number=shipment.tracking_number,
            updated_at=now,
        )
        finish_work(work, now=now)
        start_order_work(order, OrderTaskKind.SHIPPING_NOTICE, now=now)
    return True


def give_up_shipment(*, task_id: uuid.UUID, attempts: int, now: dt.datetime) -> None:
    """After the last attempt: flag the order for an admin to register by hand."""
    work = open_work(task_id)
    if work is None:
        return
    with transaction.atomic():
        flag_order(
            work.order,
            f"The shipping partner could not be reached in {attempts} attempts.",
        )
        finish_work(work, now=now)


def _items(order: Order) -> list[ShipmentItem]:
    return [
        ShipmentItem(name=purchase.snack.name, quantity=purchase.quantity)
        for purchase in order.purchases.select_related("snack").order_by("snack__name")
    ]


def _arrival(order: Order) -> dt.date:
    # A shipping order has one: a database constraint requires it.
    assert order.expected_arrival is not None
    return order.expected_arrival
