"""The registry `/metrics` exposes."""

from __future__ import annotations

import functools

from django.conf import settings
from prometheus_client import REGISTRY, CollectorRegistry, multiprocess

from config.celery import app as celery_app
from config.metrics._billing import BillingCollector
from config.metrics._queues import QueueDepthCollector


@functools.cache
def metrics_registry() -> CollectorRegistry:
    """What the web counts, and what it asks the broker, at each scrape.

    Each gunicorn worker counts the requests it serves; a scrape reaches one of
    them. In multiprocess mode every worker writes its values to files in
    PROMETHEUS_MULTIPROC_DIR, and a registry of its own reads them all at each
    scrape (counters and histograms summed, a dead worker's included). The
    collectors that ask at scrape time are registered once per process, on the
    registry that is exposed.
    """
    if settings.PROMETHEUS_MULTIPROC_DIR:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(
            registry, path=settings.PROMETHEUS_MULTIPROC_DIR
        )
    else:
        registry = REGISTRY
    registry.register(_queue_depths())
    registry.register(BillingCollector())
    return registry


def _queue_depths() -> QueueDepthCollector:
    return QueueDepthCollector(
        app=celery_app,
        queues=[queue.name for queue in settings.CELERY_TASK_QUEUES],
        timeout=settings.METRICS_BROKER_TIMEOUT_SECONDS,
    )
