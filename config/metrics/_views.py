"""`GET /metrics`: the Prometheus text exposition of the web process."""

from __future__ import annotations

import logging

from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET
from prometheus_client.exposition import choose_encoder

from config.metrics._access import may_read_metrics
from config.metrics._registry import metrics_registry
from kit.api.errors import json_not_found

logger = logging.getLogger(__name__)


@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """Every metric of the web, for a caller `may_read_metrics` admits.

    Anyone else gets the 404 of a path that does not exist: a refused caller learns
    nothing, not even that metrics are served here.
    """
    if not may_read_metrics(request):
        logger.info(
            "metrics refused to %s",
            request.META.get("REMOTE_ADDR", "?"),
            extra={"peer": request.META.get("REMOTE_ADDR", "")},
        )
        return json_not_found(request, Http404())
    encoder, content_type = choose_encoder(request.headers.get("Accept", ""))
    return HttpResponse(encoder(metrics_registry()), content_type=content_type)
