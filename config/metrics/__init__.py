"""Prometheus metrics of the web: who may read them and what they hold
(docs/operations.md#metrics)."""

from config.metrics._access import may_read_metrics
from config.metrics._billing import BillingCollector
from config.metrics._queues import QueueDepthCollector
from config.metrics._registry import metrics_registry
from config.metrics._requests import ViewMetricsMiddleware
from config.metrics._views import metrics

__all__ = [
    "BillingCollector",
    "QueueDepthCollector",
    "ViewMetricsMiddleware",
    "may_read_metrics",
    "metrics",
    "metrics_registry",
]
