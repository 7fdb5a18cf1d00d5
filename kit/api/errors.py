"""The one JSON error shape of the HTTP API: `{"code", "message", "extra"}`.

The shape is built here; `config/exception_handler.py` wires it into DRF and maps
the project's anticipated errors onto it.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from django.core.exceptions import (
    BadRequest,
    DisallowedHost,
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response

INTERNAL_ERROR_MESSAGE = "An unexpected error occurred."
# Requests that Django refuses as it reads them (a 400 where Django answers itself),
# by the most specific class first: code and message.
_REFUSED_REQUESTS: tuple[tuple[type[Exception], str, str], ...] = (
    (
        TooManyFieldsSent,
        "too_many_fields",
        "The request has more fields than the service accepts.",
    ),
    (
        TooManyFilesSent,
        "too_many_files",
        "The request has more files than the service accepts.",
    ),
    (
        RequestDataTooBig,
        "request_too_large",
        "The request body is larger than the service accepts.",
    ),
    (
        DisallowedHost,
        "disallowed_host",
        "The request names a host that this service does not serve.",
    ),
)
_MALFORMED_REQUEST = ("bad_request", "The request is malformed.")


class ErrorOutput(serializers.Serializer[Any]):
    """The one error shape of the HTTP API."""

    code = serializers.CharField()
    message = serializers.CharField()
    extra = serializers.DictField()


def error_responses(*status_codes: int) -> dict[int, type[ErrorOutput]]:
    """The OpenAPI responses of a view's errors: each in the one error shape."""
    return {status_code: ErrorOutput for status_code in status_codes}


def error_body(
    code: str, message: str, extra: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {"code": code, "message": message, "extra": extra or {}}


def error_response(
    code: str, message: str, extra: dict[str, Any] | None, *, status_code: int
) -> Response:
    return Response(error_body(code, message, extra), status=status_code)


def internal_error_response() -> Response:
    return Response(
        error_body("internal_error", INTERNAL_ERROR_MESSAGE),
        status=status.HTTP_500_INTERNAL_SERVER_ERROR,
    )


def framework_error_response(exc: Exception) -> Response | None:
    """The response to an error of Django or DRF, or None for any other error."""
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
    if isinstance(exc, SuspiciousOperation | BadRequest):
        # Django answers these with a 400 (and logs the suspicious ones) when it
        # meets them itself; met while a DRF view reads the request (too many
        # fields, a body over DATA_UPLOAD_MAX_MEMORY_SIZE) they come here instead.
        if isinstance(exc, SuspiciousOperation):
            logging.getLogger(f"django.security.{type(exc).__name__}").error("%s", exc)
        return Response(refused_request_body(exc), status=status.HTTP_400_BAD_REQUEST)
    return None


def refused_request_body(exc: Exception) -> dict[str, Any]:
    """The error body of a request that Django refused as it read it."""
    code, message = next(
        (
            (code, message)
            for kind, code, message in _REFUSED_REQUESTS
            if isinstance(exc, kind)
        ),
        _MALFORMED_REQUEST,
    )
    return error_body(code, message)


def _api_exception_response(exc: exceptions.APIException) -> Response:
    codes = exc.get_codes()
    code = codes if isinstance(codes, str) else str(exc.default_code)
    message = exc.detail if isinstance(exc.detail, str) else exc.default_detail
    extra = getattr(exc, "extra", None)
    response = Response(
        error_body(code, str(message), extra if isinstance(extra, dict) else None),
        status=exc.status_code,
    )
    if auth_header := getattr(exc, "auth_header", None):
        response["WWW-Authenticate"] = auth_header
    wait = getattr(exc, "wait", None)
    if wait is not None:
        # Never "0": a client that retries at once would only be throttled again.
        response["Retry-After"] = str(max(1, math.ceil(wait)))
    return response


def json_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Django's 404 for paths no view matched, in the API's error shape."""
    return JsonResponse(
        error_body("not_found", f"Nothing is found at {request.path}."), status=404
    )


def json_bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Django's 400 (a request it refused before any view, such as one for a host
    not in ALLOWED_HOSTS), in the API's error shape."""
    return JsonResponse(refused_request_body(exception), status=400)


def json_server_error(request: HttpRequest) -> HttpResponse:
    return JsonResponse(
        error_body("internal_error", INTERNAL_ERROR_MESSAGE), status=500
    )


def _as_field_errors(detail: Any) -> Any:
    if isinstance(detail, dict):
        return {key: _as_field_errors(value) for key, value in detail.items()}
    if isinstance(detail, list):
        return [_as_field_errors(item) for item in detail]
    return str(detail)
