"""Celery entry points of the billing app."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.conf import settings
from django.core.cache import cache

HEARTBEAT_CACHE_KEY = "billing:heartbeat"


@shared_task(name="billing.heartbeat")
def heartbeat() -> str:
    """Record that beat scheduled and a worker ran a task; `/readyz` can show when."""
    beat_at = dt.datetime.now(dt.UTC).isoformat()
    cache.set(HEARTBEAT_CACHE_KEY, beat_at, timeout=None)
    return beat_at


@shared_task(name="billing.echo")
def echo(*, value: str) -> str:
    """Return `value`; a round trip through the broker and a worker proves both work."""
    return value


@shared_task(name="billing.purge_client_requests")
def purge_client_requests() -> int:
    """Forget idempotency keys past their retention (`IDEMPOTENCY_KEY_RETENTION`)."""
    from billing.services import purge_client_requests as purge

    now = dt.datetime.now(dt.UTC)
    return purge(older_than=now - settings.IDEMPOTENCY_KEY_RETENTION)
