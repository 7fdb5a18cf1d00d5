"""Stripe's error objects (GATEWAYS.md C2) and the one function that renders them.

The SDK picks the exception class from the HTTP status and reads `type`, `code`,
`param` and `decline_code` from the body, so those are exact; messages follow what
Stripe commonly says and only need to be close.
"""

from __future__ import annotations

from typing import Any, Literal

from aiohttp import web

from gateway_sandbox.stripe.wire import JsonObject, json_reply

ErrorType = Literal[
    "api_error", "card_error", "idempotency_error", "invalid_request_error"
]

_DOCS = "https://stripe.com/docs/error-codes"


class StripeApiError(Exception):
    """A Stripe error reply: HTTP status plus the `error` object of the body.

    `before_execution` marks failures found while reading the parameters, before the
    endpoint touched any state: Stripe does not save those under an idempotency key
    (C3), so a corrected retry with the same key runs afresh.
    """

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: ErrorType = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        decline_code: str | None = None,
        before_execution: bool = False,
        embedded: JsonObject | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.code = code
        self.param = param
        self.decline_code = decline_code
        self.before_execution = before_execution
        # Objects Stripe embeds in the error: payment_intent, payment_method and
        # setup_intent as full objects (the SDK types them by `object`), charge as id.
        self.embedded = dict(embedded or {})

    def as_json(self, request_id: str | None) -> JsonObject:
        error: dict[str, Any] = {"type": self.type, "message": self.message}
        if self.code is not None:
            error["code"] = self.code
            error["doc_url"] = f"{_DOCS}#{self.code.replace('_', '-')}"
        for name in ("param", "decline_code"):
            value = getattr(self, name)
            if value is not None:
                error[name] = value
        error.update(self.embedded)
        if request_id is not None:
            error["request_log_url"] = (
                f"https://dashboard.stripe.com/test/logs/{request_id}"
            )
        return {"error": error}


def render_error(
    error: StripeApiError,
    *,
    request_id: str | None,
    headers: dict[str, str] | None = None,
) -> web.Response:
    """The HTTP reply for `error`: every Stripe error answer goes through here."""
    return json_reply(error.as_json(request_id), status=error.status, headers=headers)


def parameter_missing(param: str) -> StripeApiError:
    return StripeApiError(
        400,
        f"Missing required param: {param}.",
        code="parameter_missing",
        param=param,
        before_execution=True,
    )


def parameter_unknown(param: str) -> StripeApiError:
    return StripeApiError(
        400,
        f"Received unknown parameter: {param}",
        code="parameter_unknown",
        param=param,
        before_execution=True,
    )


def parameter_invalid_integer(param: str, value: object) -> StripeApiError:
    return StripeApiError(
        400,
        f"Invalid integer: {value}",
        code="parameter_invalid_integer",
        param=param,
        before_execution=True,
    )


def invalid_parameter(
    param: str | None, message: str, *, code: str | None = None
) -> StripeApiError:
    """A parameter that is present but wrong; found before anything is executed."""
    return StripeApiError(400, message, code=code, param=param, before_execution=True)


def resource_missing(kind: str, object_id: str, *, param: str) -> StripeApiError:
    """An unknown id: 404 for the path's object, 400 when a body param names it."""
    return StripeApiError(
        404 if param == "id" else 400,
        f"No such {kind}: '{object_id}'",
        code="resource_missing",
        param=param,
    )


def unexpected_state(
    message: str, *, code: str, param: str | None = None
) -> StripeApiError:
    return StripeApiError(400, message, code=code, param=param)


def api_error() -> StripeApiError:
    return StripeApiError(500, "An unknown error occurred", type="api_error")


def rate_limited() -> StripeApiError:
    return StripeApiError(
        429,
        "Too many requests hit the API too quickly. We recommend an exponential "
        "backoff of your requests.",
        code="rate_limit",
    )


def api_key_missing() -> StripeApiError:
    return StripeApiError(
        401,
        "You did not provide an API key. You need to provide your API key in the "
        "Authorization header, using Bearer auth (e.g. 'Authorization: Bearer "
        "YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for "
        "details, or we can help at https://support.stripe.com/.",
    )


def api_key_invalid(key: str) -> StripeApiError:
    return StripeApiError(401, f"Invalid API Key provided: {mask_key(key)}")


def publishable_key_refused() -> StripeApiError:
    return StripeApiError(
        401,
        "This API call cannot be made with a publishable API key. Please use a "
        "secret API key. You can find a list of your API keys at "
        "https://dashboard.stripe.com/account/apikeys.",
    )


def mask_key(key: str) -> str:
    """`sk_test_abcd1234` → `sk_test_****1234`: enough to recognise, not to reuse."""
    parts = key.split("_")
    prefix = f"{parts[0]}_{parts[1]}_" if len(parts) >= 3 else ""
    return f"{prefix}****{key[-4:]}"


def unrecognized_url(method: str, path: str) -> StripeApiError:
    return StripeApiError(
        404,
        f"Unrecognized request URL ({method}: {path}). Please see "
        "https://stripe.com/docs or we can help at https://support.stripe.com/.",
    )
