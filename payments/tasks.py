"""Celery entry points of the payments app: thin, one service call each."""

from __future__ import annotations

import datetime as dt
import uuid

from celery import shared_task
from django.db import InterfaceError, OperationalError

from billing.services import NOTICE_TASK_RETRIES


def _now() -> dt.datetime:
    from billing.clock import billing_now

    return billing_now()


@shared_task(name="payments.settle_unknown_payments", acks_late=True)
def settle_unknown_payments() -> int:
    """Ask the gateways about payments whose outcome is unknown (idempotent)."""
    from payments.services import settle_unknown_payments as settle

    return settle(now=_now())


@shared_task(name="payments.expire_stale_payments", acks_late=True)
def expire_stale_payments() -> int:
    """Wipe unused cryptograms and hand interrupted payments to the janitor."""
    from payments.services import expire_stale_payments as expire

    return expire(now=_now())


@shared_task(name="payments.settle_unknown_refunds", acks_late=True)
def settle_unknown_refunds() -> int:
    """Ask the gateways about refunds whose outcome is unknown (idempotent)."""
    from payments.services import settle_unknown_refunds as settle

    return settle(now=_now())


@shared_task(name="payments.sync_checkout_session", acks_late=True)
def sync_checkout_session(*, payment_id: str, **kwargs: object) -> str | None:
    """Move a checkout session to the status its payment implies (idempotent)."""
    from payments.services import sync_checkout_session as sync

    session = sync(payment_id=uuid.UUID(payment_id), now=_now())
    return session.status if session is not None else None


@shared_task(name="payments.sync_checkout_session_card_setup", acks_late=True)
def sync_checkout_session_card_setup(*, setup_id: str, **kwargs: object) -> str | None:
    """Move a checkout session to the status its card setup implies (idempotent)."""
    from payments.services import sync_checkout_session_card_setup as sync

    session = sync(setup_id=uuid.UUID(setup_id), now=_now())
    return session.status if session is not None else None


@shared_task(name="payments.expire_checkout_sessions", acks_late=True)
def expire_checkout_sessions() -> int:
    """Mark unpaid checkout sessions past their expiry EXPIRED (idempotent)."""
    from payments.services import expire_checkout_sessions as expire

    return expire(now=_now())


@shared_task(
    name="payments.process_gateway_event",
    acks_late=True,
    # The outcome is recorded on the event's row; a result row per notification
    # (and a STARTED row before it) would double the worker's writes.
    ignore_result=True,
    # A lock timeout or a lost connection is worth an early retry; any other error
    # leaves the record FAILED for the beat sweep (`retry_gateway_events`).
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=5,
)
def process_gateway_event(*, record_id: int, **kwargs: object) -> str:
    """Apply a stored webhook event to its payment (idempotent)."""
    from payments.services import process_gateway_event as process

    return process(record_id=record_id, now=_now())


@shared_task(
    name="payments.drain_gateway_events",
    acks_late=True,
    ignore_result=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=5,
)
def drain_gateway_events(**kwargs: object) -> int:
    """Process the webhook events stored and not yet claimed (idempotent)."""
    from payments.services import drain_gateway_events as drain

    return drain(clock=_now)


@shared_task(name="payments.retry_gateway_events", acks_late=True)
def retry_gateway_events() -> int:
    """Enqueue webhook events whose processing failed or never ran (idempotent)."""
    from payments.services import gateway_events_to_retry

    record_ids = gateway_events_to_retry(now=_now())
    for record_id in record_ids:
        process_gateway_event.delay(record_id=record_id)
    return len(record_ids)


# A mail waits for the directory or the mail server to come back (five retries).
@shared_task(
    name="payments.send_payment_receipt",
    acks_late=True,
    **NOTICE_TASK_RETRIES,
)
def send_payment_receipt(*, payment_id: str, **kwargs: object) -> str | None:
    """Mail the receipt of a succeeded payment (once per payment)."""
    from payments.services import send_payment_receipt as send

    notice = send(payment_id=uuid.UUID(payment_id), now=_now())
    return notice.status if notice is not None else None


@shared_task(
    name="payments.send_card_expired_notice",
    acks_late=True,
    **NOTICE_TASK_RETRIES,
)
def send_card_expired_notice(*, payment_method_id: str, **kwargs: object) -> str | None:
    """Ask the payer to replace a card that can no longer pay (once per card)."""
    from payments.services import send_card_expired_notice as send

    notice = send(payment_method_id=uuid.UUID(payment_method_id), now=_now())
    return notice.status if notice is not None else None


@shared_task(name="payments.reconcile_gateway_day", acks_late=True)
def reconcile_gateway_day(
    *, gateway: str, day: str | None = None, actor: str = "system:beat"
) -> dict[str, object]:
    """Reconcile a gateway's day (ISO date; yesterday by default); idempotent."""
    from payments.services import reconcile

    run_day = dt.date.fromisoformat(day) if day else _now().date() - dt.timedelta(1)
    run = reconcile(gateway=gateway, day=run_day, actor=actor, now=_now())
    return {"status": run.status, "operations": run.operations, **run.report}
