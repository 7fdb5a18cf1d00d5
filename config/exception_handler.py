"""One JSON error shape for the whole HTTP API: `{"code", "message", "extra"}`."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from billing.errors import DomainError

logger = logging.getLogger(__name__)


def error_body(
    code: str, message: str, extra: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {"code": code, "message": message, "extra": extra or {}}


def handle_api_exception(exc: Exception, context: dict[str, Any]) -> Response:
    """Map anticipated errors to 4xx and everything else to a logged 500."""
    set_rollback()
    if isinstance(exc, DomainError):
        return Response(
            error_body(exc.code, exc.message, exc.extra), status=exc.http_status
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    if isinstance(exc, exceptions.ValidationError):
        return Response(
            error_body(
                "validation_error",
                "The request is not valid; see extra.fields.",
                {"fields": _as_field_errors(exc.detail)},
            ),
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, exceptions.APIException):
        return _api_exception_response(exc)
    logger.exception("Unable to complete an API request")
    return Response(
        error_body("internal_error", "An unexpected error occurred."),
        status=status.HTTP_500_INTERNAL_SERVER_ERROR,
    )


def _api_exception_response(exc: exceptions.APIException) -> Response:
    codes = exc.get_codes()
    code = codes if isinstance(codes, str) else str(exc.default_code)
    message = exc.detail if isinstance(exc.detail, str) else exc.default_detail
    response = Response(error_body(code, str(message)), status=exc.status_code)
    if auth_header := getattr(exc, "auth_header", None):
        response["WWW-Authenticate"] = auth_header
    if wait := getattr(exc, "wait", None):
        response["Retry-After"] = str(int(wait))
    return response


def json_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Django's 404 for paths no view matched, in the API's error shape."""
    return JsonResponse(
        error_body("not_found", f"Nothing is found at {request.path}."), status=404
    )


def json_server_error(request: HttpRequest) -> HttpResponse:
    return JsonResponse(
        error_body("internal_error", "An unexpected error occurred."), status=500
    )


def _as_field_errors(detail: Any) -> Any:
    if isinstance(detail, dict):
        return {key: _as_field_errors(value) for key, value in detail.items()}
    if isinstance(detail, list):
        return [_as_field_errors(item) for item in detail]
    return str(detail)
