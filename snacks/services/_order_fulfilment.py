"""The order's Celery work: taking or releasing the hold, the member's e-mails and
the invoice PDF. Each function is one task's body, done once per `OrderTask`:
a run that finds its work finished does nothing.

Billing calls answer UNAVAILABLE when nothing was done: the task retries under the
same idempotency key. A refusal is no use retrying: the order is flagged for an
admin (`needs_attention`).
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string

from kit.currencies import format_minor
from snacks.billing_calls import BillingRefused, billing_calls
from snacks.errors import OrderNotFound
from snacks.models import HoldStatus, Order, OrderTask
from snacks.order_invoice import render_order_invoice

logger = logging.getLogger(__name__)


def capture_order_hold(*, task_id: uuid.UUID, now: dt.datetime) -> bool:
    """Take the held amount of the payment the work names; whether it was asked.

    :raises BillingUnavailable: to be retried.
    """
    return _call_billing(
        task_id,
        now=now,
        call=lambda calls, payment_id: calls.capture(
            payment_id=payment_id, idempotency_key=f"order-capture:{payment_id}"
        ),
    )


def void_order_hold(*, task_id: uuid.UUID, now: dt.datetime) -> bool:
    """Release the hold of the payment the work names; whether it was asked.

    :raises BillingUnavailable: to be retried.
    """
    return _call_billing(
        task_id,
        now=now,
        call=lambda calls, payment_id: calls.void(
            payment_id=payment_id, idempotency_key=f"order-void:{payment_id}"
        ),
    )


def send_order_confirmation(*, task_id: uuid.UUID, now: dt.datetime) -> bool:
    """E-mail the member that the order's amount is held; whether it was sent."""
    return _send_mail(task_id, "order_confirmed", now=now)


def send_shipping_notice(*, task_id: uuid.UUID, now: dt.datetime) -> bool:
    """E-mail the member that the order is on its way; whether it was sent."""
    return _send_mail(task_id, "order_shipped", now=now)


def make_order_invoice(*, task_id: uuid.UUID, now: dt.datetime) -> bool:
    """Render the captured order's invoice PDF and keep it for the member."""
    work = open_work(task_id)
    if work is None:
        return False
    order = work.order
    document = render_order_invoice(order, purchases=_purchases(order))
    with transaction.atomic():
        order.invoice_pdf.save(
            f"order-{order.id}.pdf", ContentFile(document), save=False
        )
        Order.objects.filter(id=order.id).update(invoice_pdf=order.invoice_pdf.name)
        finish_work(work, now=now)
    return True


def _call_billing(
    task_id: uuid.UUID,
    *,
    now: dt.datetime,
    call: Callable[..., None],
) -> bool:
    work = open_work(task_id)
    if work is None:
        return False
    payment_id = uuid.UUID(work.subject)
    try:
        call(billing_calls(), payment_id)
    except BillingRefused as refused:
        logger.warning(
            "snacks.order_work.refused",
            extra={"order": str(work.order_id), "kind": work.kind},
        )
        flag_order(work.order, f"Billing refused the {work.kind}: {refused.message}")
    finish_work(work, now=now)
    return True


def _send_mail(task_id: uuid.UUID, template: str, *, now: dt.datetime) -> bool:
    work = open_work(task_id)
    if work is None:
        return False
    order = work.order
    member = order.member
    context = {
        "name": getattr(member, "name", "") or member.email,
        "order": order,
        "purchases": _purchases(order),
        "amount": format_minor(order.amount_minor, order.currency),
        "held": order.hold_status == HoldStatus.AUTHORIZED,
    }
    subject = render_to_string(f"snacks/email/{template}_subject.txt", context)
    EmailMessage(
        subject=" ".join(subject.split()),
        body=render_to_string(f"snacks/email/{template}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[member.email],
    ).send()
    finish_work(work, now=now)
    return True


def open_work(task_id: uuid.UUID) -> OrderTask | None:
    """The work of `task_id`, or None when it is finished already."""
    work = OrderTask.objects.select_related("order", "order__member").filter(
        task_id=task_id
    )
    found = work.first()
    if found is None:
        raise OrderNotFound(extra={"task": str(task_id)})
    return None if found.finished_at is not None else found


def finish_work(work: OrderTask, *, now: dt.datetime) -> None:
    OrderTask.objects.filter(id=work.id, finished_at__isnull=True).update(
        finished_at=now
    )


def flag_order(order: Order, reason: str) -> None:
    Order.objects.filter(id=order.id).update(needs_attention=reason)


def _purchases(order: Order) -> list[tuple[str, int, str]]:
    """Each purchase as (snack name, quantity, amount) for the member's eyes."""
    return [
        (
            purchase.snack.name,
            purchase.quantity,
            format_minor(purchase.amount_minor, order.currency),
        )
        for purchase in order.purchases.select_related("snack").order_by("snack__name")
    ]
