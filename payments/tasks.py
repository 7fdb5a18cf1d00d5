"""Celery entry points of the payments app: thin, one service call each."""

from __future__ import annotations

import datetime as dt

from celery import shared_task


def _now() -> dt.datetime:
    from billing.clock import billing_now

    return billing_now()


@shared_task(name="payments.settle_unknown_payments", queue="payments", acks_late=True)
def settle_unknown_payments() -> int:
    """Ask the gateways about payments whose outcome is unknown (idempotent)."""
    from payments.services import settle_unknown_payments as settle

    return settle(now=_now())


@shared_task(name="payments.expire_stale_payments", queue="payments", acks_late=True)
def expire_stale_payments() -> int:
    """Wipe unused cryptograms and hand interrupted payments to the janitor."""
    from payments.services import expire_stale_payments as expire

    return expire(now=_now())
