"""The DRF wiring of the API's one error shape: `{"code", "message", "extra"}`.

The shape is built by `kit.api.errors`; here the project's anticipated errors
(`DomainError`) are mapped onto it, and anything unanticipated is logged.
"""

from __future__ import annotations

import logging
from typing import Any

from rest_framework.response import Response
from rest_framework.views import set_rollback

from billing.errors import DomainError
from kit.api.errors import (
    error_response,
    framework_error_response,
    internal_error_response,
)
from snacks.errors import ShopError

logger = logging.getLogger(__name__)


def handle_api_exception(exc: Exception, context: dict[str, Any]) -> Response:
    """Map anticipated errors to 4xx and everything else to a logged 500."""
    set_rollback()
    if isinstance(exc, DomainError | ShopError):
        return error_response(
            exc.code, exc.message, exc.extra, status_code=exc.http_status
        )
    response = framework_error_response(exc)
    if response is None:
        logger.exception("Unable to complete an API request")
        return internal_error_response()
    return response
