"""Celery entry points of the subscriptions app: thin, one service call each."""

from __future__ import annotations

import datetime as dt
import logging
import uuid

from celery import shared_task
from django.conf import settings
from kombu.exceptions import OperationalError

from billing.services import NOTICE_TASK_RETRIES

logger = logging.getLogger(__name__)


def _now() -> dt.datetime:
    from billing.clock import billing_now

    return billing_now()


@shared_task(name="subscriptions.renew_due_subscriptions")
def renew_due_subscriptions() -> list[str]:
    """Start a renewal run for each gateway (beat, every minute); they run apart."""
    gateways = list(settings.RENEWAL_GATEWAYS)
    for gateway in gateways:
        run_renewals.delay(gateway=gateway)
    return gateways


@shared_task(name="subscriptions.run_renewals", acks_late=True)
def run_renewals(*, gateway: str, **kwargs: object) -> dict[str, object]:
    """Renew what is due on `gateway` (idempotent); hand over to a fresh task when
    the time budget is spent with more due."""
    from billing.clock import billing_now, payer_offsets
    from subscriptions.services import renew_due_subscriptions as renew

    report = renew(
        gateway=gateway,
        clock=billing_now,
        concurrency=settings.RENEWAL_CONCURRENCY.get(gateway, 1),
        per_second=settings.RENEWAL_REQUESTS_PER_SECOND.get(gateway),
        batch_size=settings.RENEWAL_BATCH_SIZE,
        payer_offsets=payer_offsets(),
        time_budget=dt.timedelta(seconds=settings.RENEWAL_TIME_BUDGET_SECONDS),
    )
    if report.more_due:
        try:
            run_renewals.delay(gateway=gateway)
        except OperationalError:
            # The broker is away: the next sweep (beat) carries on where this ended.
            logger.warning(
                "subscription.renewal.handover_failed", extra={"gateway": gateway}
            )
    return {
        name: getattr(report, name)
        for name in (
            "gateway",
            "skipped",
            "claimed",
            "charged",
            "paid",
            "failed",
            "waiting",
            "ended",
            "canceled",
            "errors",
            "more_due",
        )
    }


@shared_task(name="subscriptions.settle_subscription_payment", acks_late=True)
def settle_subscription_payment(*, payment_id: str, **kwargs: object) -> str | None:
    """Bring a subscription in line with its invoice's settled payment (idempotent)."""
    from subscriptions.services import settle_subscription_payment as settle

    return settle(payment_id=uuid.UUID(payment_id), now=_now(), actor="system:payments")


@shared_task(name="subscriptions.settle_subscription_card_setup", acks_late=True)
def settle_subscription_card_setup(*, setup_id: str, **kwargs: object) -> str | None:
    """Start or expire a trial once its card check finished (idempotent)."""
    from subscriptions.services import settle_subscription_card_setup as settle

    return settle(setup_id=uuid.UUID(setup_id), now=_now(), actor="system:payments")


@shared_task(
    name="subscriptions.send_dunning_reminder",
    acks_late=True,
    **NOTICE_TASK_RETRIES,
)
def send_dunning_reminder(
    *,
    subscription_id: str,
    invoice_id: int,
    payment_id: str | None,
    attempt: int,
    **kwargs: object,
) -> str | None:
    """Remind the payer of a failed renewal (once per failed charge)."""
    from subscriptions.services import send_dunning_reminder as send

    notice = send(
        subscription_id=uuid.UUID(subscription_id),
        invoice_id=invoice_id,
        payment_id=uuid.UUID(payment_id) if payment_id else None,
        attempt=attempt,
        now=_now(),
    )
    return notice.status if notice is not None else None
