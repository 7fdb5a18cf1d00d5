"""The registry `/metrics` exposes."""

from __future__ import annotations

import functools

from prometheus_client import REGISTRY, CollectorRegistry


@functools.cache
def metrics_registry() -> CollectorRegistry:
    """The process's registry: the request, database and process metrics."""
    return REGISTRY
