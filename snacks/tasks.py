"""Celery entry points of the snack shop: persisting reactions, and the order work.

Each order task runs the work of one `OrderTask` (its `task_id` is the Celery
task's id, so the task-status endpoint finds its state) and reports its step as
PROGRESS meta while it runs.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from typing import Any

from celery import Task, shared_task
from django.conf import settings
from django.utils import timezone

from snacks.billing_calls import BillingUnavailable
from snacks.models import OrderTaskKind
from snacks.shipping import ShippingUnavailable, retry_delay


@shared_task(name="snacks.persist_reactions", acks_late=True)
def persist_reactions(**kwargs: object) -> int:
    """Write the reactions toggled since the last run to the database (beat runs
    it every `REACTIONS_PERSIST_SECONDS`); idempotent."""
    from snacks.services import persist_reactions as persist

    return persist(now=timezone.now())


@shared_task(name="snacks.resend_lost_order_work", acks_late=True)
def resend_lost_order_work(**kwargs: object) -> int:
    """Send the order work again whose message never reached a worker (beat)."""
    from snacks.services import resend_lost_work

    return resend_lost_work(
        now=timezone.now(), older_than=dt.timedelta(minutes=_LOST_AFTER_MINUTES)
    )


# Work no worker took for this long is taken for lost: far beyond a busy queue.
_LOST_AFTER_MINUTES = 10
# Billing calls that could not reach billing retry with back-off: nothing was done,
# and the idempotency key makes a retry after a lost reply harmless.
_BILLING_RETRIES: dict[str, Any] = {
    "autoretry_for": (BillingUnavailable,),
    "retry_backoff": 2,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 12,
}


# Jitter spreads the retries of many orders (SystemRandom: nothing to seed).
_jitter = random.SystemRandom()


def _task_id(task: Task) -> uuid.UUID:
    return uuid.UUID(str(task.request.id))


def _progress(task: Task, step: str) -> None:
    if task.request.id and not task.request.is_eager:
        task.update_state(state="PROGRESS", meta={"step": step})


@shared_task(
    name="snacks.orders.capture_hold", bind=True, acks_late=True, **_BILLING_RETRIES
)
def capture_hold(self: Task, *, order_id: str, subject: str) -> bool:
    from snacks.services import capture_order_hold

    _progress(self, "capturing the hold")
    return capture_order_hold(task_id=_task_id(self), now=timezone.now())


@shared_task(
    name="snacks.orders.void_hold", bind=True, acks_late=True, **_BILLING_RETRIES
)
def void_hold(self: Task, *, order_id: str, subject: str) -> bool:
    from snacks.services import void_order_hold

    _progress(self, "releasing the hold")
    return void_order_hold(task_id=_task_id(self), now=timezone.now())


@shared_task(name="snacks.orders.confirmation_email", bind=True, acks_late=True)
def confirmation_email(self: Task, *, order_id: str, subject: str) -> bool:
    from snacks.services import send_order_confirmation

    _progress(self, "sending the confirmation")
    return send_order_confirmation(task_id=_task_id(self), now=timezone.now())


@shared_task(name="snacks.orders.invoice_pdf", bind=True, acks_late=True)
def invoice_pdf(self: Task, *, order_id: str, subject: str) -> bool:
    from snacks.services import make_order_invoice

    _progress(self, "rendering the invoice")
    return make_order_invoice(task_id=_task_id(self), now=timezone.now())


@shared_task(name="snacks.orders.shipping_notice", bind=True, acks_late=True)
def shipping_notice(self: Task, *, order_id: str, subject: str) -> bool:
    from snacks.services import send_shipping_notice

    _progress(self, "sending the shipping notice")
    return send_shipping_notice(task_id=_task_id(self), now=timezone.now())


# Attempts are counted here (SHOP_SHIPPING_MAX_ATTEMPTS), not by Celery's limit.
@shared_task(
    name="snacks.orders.shipping_registration",
    bind=True,
    acks_late=True,
    max_retries=None,
)
def shipping_registration(self: Task, *, order_id: str, subject: str) -> bool:
    """Register the shipped order with the partner: retried with exponential
    back-off and full jitter, at most SHOP_SHIPPING_MAX_ATTEMPTS attempts, then the
    order is flagged for an admin (and the task fails, saying so)."""
    from snacks.services import give_up_shipment, register_order_shipment

    attempt = self.request.retries + 1
    _progress(self, f"registering with the shipping partner (attempt {attempt})")
    try:
        return register_order_shipment(task_id=_task_id(self), now=timezone.now())
    except ShippingUnavailable as unavailable:
        if attempt >= settings.SHOP_SHIPPING_MAX_ATTEMPTS:
            give_up_shipment(
                task_id=_task_id(self), attempts=attempt, now=timezone.now()
            )
            raise
        raise self.retry(
            exc=unavailable,
            countdown=retry_delay(
                attempt,
                base=settings.SHOP_SHIPPING_RETRY_BASE_SECONDS,
                cap=settings.SHOP_SHIPPING_RETRY_CAP_SECONDS,
                rng=_jitter,
            ),
        ) from unavailable


# The order work's tasks by `OrderTaskKind`: `snacks.services.start_order_work`
# sends them under their `OrderTask`'s id.
ORDER_TASKS: dict[str, Task] = {
    OrderTaskKind.CAPTURE_HOLD: capture_hold,
    OrderTaskKind.VOID_HOLD: void_hold,
    OrderTaskKind.CONFIRMATION_EMAIL: confirmation_email,
    OrderTaskKind.INVOICE_PDF: invoice_pdf,
    OrderTaskKind.SHIPPING_REGISTRATION: shipping_registration,
    OrderTaskKind.SHIPPING_NOTICE: shipping_notice,
}
