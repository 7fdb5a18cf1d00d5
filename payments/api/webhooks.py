"""Gateway webhooks: CloudPayments notifications and Stripe events (SPEC §6).

Plain Django views, not DRF: the signature covers the exact bytes received, so
nothing may parse, decode or re-encode the body before it is verified. In order:
refuse bodies over 1 MiB (413), verify the signature over the raw body (401, and
nothing stored), parse (400 for a verified body that is not a gateway message),
store once and enqueue processing, answer at once. A repeated delivery gets the
same success answer, so the gateway stops sending it.

Errors use the API's one shape, `{"code", "message", "extra"}`; it is built here
because the domain apps do not import `config`.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, Final, TypeVar, cast

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from billing.clock import billing_now
from billing.errors import DomainError
from payments.services import (
    CheckAnswer,
    InvalidWebhookSignature,
    MalformedWebhook,
    answer_cloudpayments_check,
    receive_gateway_event,
)

logger = logging.getLogger(__name__)
View = TypeVar("View", bound=Callable[..., HttpResponse])

MAX_BODY_BYTES: Final = 1024 * 1024
# The notification types CloudPayments sends, each to its own URL (GATEWAYS.md B1).
CLOUDPAYMENTS_KINDS: Final = frozenset(
    {"check", "pay", "fail", "confirm", "refund", "recurrent", "cancel"}
)
# The refusals before a body is read, as code and message (the ASGI edge's too).
NOT_POST: Final = ("method_not_allowed", "Gateways POST their notifications here.")
TOO_LARGE: Final = (
    "payload_too_large",
    f"A webhook body may hold {MAX_BODY_BYTES} bytes.",
)


def _post_only(view: View) -> View:
    """Refuse other methods with 405 in the API's error shape."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method != "POST":
            response = _error(405, *NOT_POST)
            response["Allow"] = "POST"
            return response
        return view(request, *args, **kwargs)

    return cast(View, wrapper)


@csrf_exempt
@_post_only
def cloudpayments_notification(request: HttpRequest, kind: str) -> HttpResponse:
    """Answer `{"code": 0}`, or for Check the code that accepts or refuses."""
    if kind not in CLOUDPAYMENTS_KINDS:
        return _error(404, "not_found", f"Nothing is found at {request.path}.")
    body = _bounded_body(request)
    if body is None:
        return _too_large()
    try:
        received = receive_gateway_event(
            gateway="cloudpayments",
            kind=kind,
            body=body,
            headers=request.headers,
            now=billing_now(),
        )
    except (InvalidWebhookSignature, MalformedWebhook) as error:
        return _domain_error(error)
    code = CheckAnswer.ACCEPT
    if kind == "check":
        code = answer_cloudpayments_check(event=received.event)
        logger.info(
            "payments.webhook.check_answered",
            extra={"record": received.record_id, "code": int(code)},
        )
    return JsonResponse({"code": int(code)})


@csrf_exempt
@_post_only
def stripe_webhook(request: HttpRequest) -> HttpResponse:
    """Answer 200 `{"received": true}` to every verified Event, acted on or not."""
    body = _bounded_body(request)
    if body is None:
        return _too_large()
    try:
        receive_gateway_event(
            gateway="stripe",
            kind="",
            body=body,
            headers=request.headers,
            now=billing_now(),
        )
    except (InvalidWebhookSignature, MalformedWebhook) as error:
        return _domain_error(error)
    return JsonResponse({"received": True})


def _bounded_body(request: HttpRequest) -> bytes | None:
    """The raw body, or None when it is over the limit.

    The declared length is checked first, so a large body is refused unread; the
    read stops one byte past the limit, whatever the header said.
    """
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > MAX_BODY_BYTES:
        return None
    body = request.read(MAX_BODY_BYTES + 1)
    return None if len(body) > MAX_BODY_BYTES else body


def _too_large() -> JsonResponse:
    return _error(413, *TOO_LARGE)


def _domain_error(error: DomainError) -> JsonResponse:
    return _error(error.http_status, error.code, error.message, error.extra)


def _error(
    status: int, code: str, message: str, extra: dict[str, object] | None = None
) -> JsonResponse:
    return JsonResponse(
        {"code": code, "message": message, "extra": extra or {}}, status=status
    )
