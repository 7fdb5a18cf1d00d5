"""The registry `/metrics` exposes."""

from __future__ import annotations

import functools

from django.conf import settings
from prometheus_client import REGISTRY, CollectorRegistry, multiprocess


@functools.cache
def metrics_registry() -> CollectorRegistry:
    """The process's own registry, or under gunicorn every worker's metrics added up.

    Each gunicorn worker counts the requests it serves; a scrape reaches one of
    them. In multiprocess mode every worker writes its values to files in
    PROMETHEUS_MULTIPROC_DIR and the collector reads them all at each scrape
    (counters and histograms summed, a dead worker's included).
    """
    if not settings.PROMETHEUS_MULTIPROC_DIR:
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=settings.PROMETHEUS_MULTIPROC_DIR)
    return registry
