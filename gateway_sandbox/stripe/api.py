"""The `/v1/` API: routing, authentication, parameters, idempotency and replies.

One aiohttp route takes every `/v1/` request so that unknown URLs, wrong methods and
bad keys all get Stripe's JSON errors, never aiohttp's HTML pages. Handlers are plain
functions of a `Call`; they return the object to send or raise `StripeApiError`.
Nothing awaits while a handler runs, so each request's state change is atomic.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aiohttp import web

from gateway_sandbox.stripe import (
    charges,
    customers,
    events,
    payment_intents,
    payment_methods,
    refunds,
    search,
    setup_intents,
)
from gateway_sandbox.stripe.calls import Call
from gateway_sandbox.stripe.encoding import FormTree, Params, decode_form
from gateway_sandbox.stripe.errors import (
    StripeApiError,
    api_error,
    api_key_invalid,
    api_key_missing,
    invalid_parameter,
    publishable_key_refused,
    render_error,
    unrecognized_url,
)
from gateway_sandbox.stripe.idempotency import CacheKey, fingerprint
from gateway_sandbox.stripe.ids import new_request_id
from gateway_sandbox.stripe.wire import DEFAULT_API_VERSION, JsonObject, json_bytes

if TYPE_CHECKING:
    from gateway_sandbox.stripe.gateway import SimulatedStripe

logger = logging.getLogger(__name__)

Handler = Callable[[Call], JsonObject]

# Stripe.js calls the API from the merchant's page with the publishable key.
_CORS_HEADERS = {"Access-Control-Allow-Origin": "*"}
_PREFLIGHT_HEADERS = {
    **_CORS_HEADERS,
    "Access-Control-Allow-Methods": "GET, POST",
    "Access-Control-Allow-Headers": "Authorization, Content-Type, Stripe-Version",
    "Access-Control-Max-Age": "600",
}


@dataclass(frozen=True, slots=True)
class Route:
    method: str
    template: str
    pattern: re.Pattern[str]
    handler: Handler
    # The card form in the browser may create PaymentMethods with the publishable key.
    publishable: bool = False
    # Stripe.js may also read and confirm an intent with the publishable key and the
    # intent's client secret (confirmCardPayment, confirmCardSetup, handleNextAction).
    with_client_secret: bool = False


def _route(
    method: str,
    template: str,
    handler: Handler,
    *,
    publishable: bool = False,
    with_client_secret: bool = False,
) -> Route:
    regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template)
    return Route(
        method,
        template,
        re.compile(f"^{regex}$"),
        handler,
        publishable,
        with_client_secret,
    )


ROUTES = (
    _route("GET", "/v1/customers", customers.list_customers),
    _route("POST", "/v1/customers", customers.create_customer),
    _route("GET", "/v1/customers/{id}", customers.retrieve_customer),
    _route("POST", "/v1/customers/{id}", customers.update_customer),
    _route("DELETE", "/v1/customers/{id}", customers.delete_customer),
    _route(
        "GET",
        "/v1/customers/{id}/payment_methods",
        payment_methods.list_customer_payment_methods,
    ),
    _route(
        "GET",
        "/v1/customers/{id}/payment_methods/{pm}",
        payment_methods.retrieve_customer_payment_method,
    ),
    _route("GET", "/v1/payment_methods", payment_methods.list_payment_methods),
    _route(
        "POST",
        "/v1/payment_methods",
        payment_methods.create_payment_method,
        publishable=True,
    ),
    _route("GET", "/v1/payment_methods/{id}", payment_methods.retrieve_payment_method),
    _route("POST", "/v1/payment_methods/{id}", payment_methods.update_payment_method),
    _route(
        "POST", "/v1/payment_methods/{id}/attach", payment_methods.attach_payment_method
    ),
    _route(
        "POST", "/v1/payment_methods/{id}/detach", payment_methods.detach_payment_method
    ),
    _route("GET", "/v1/setup_intents", setup_intents.list_setup_intents),
    _route("POST", "/v1/setup_intents", setup_intents.create_setup_intent),
    _route(
        "GET",
        "/v1/setup_intents/{id}",
        setup_intents.retrieve_setup_intent,
        with_client_secret=True,
    ),
    _route(
        "POST",
        "/v1/setup_intents/{id}/confirm",
        setup_intents.confirm_setup_intent,
        with_client_secret=True,
    ),
    _route("POST", "/v1/setup_intents/{id}/cancel", setup_intents.cancel_setup_intent),
    _route("GET", "/v1/payment_intents", payment_intents.list_payment_intents),
    _route("POST", "/v1/payment_intents", payment_intents.create_payment_intent),
    # Before `{id}`, which would take "search" for an id.
    _route("GET", "/v1/payment_intents/search", search.search_payment_intents),
    _route(
        "GET",
        "/v1/payment_intents/{id}",
        payment_intents.retrieve_payment_intent,
        with_client_secret=True,
    ),
    _route("POST", "/v1/payment_intents/{id}", payment_intents.update_payment_intent),
    _route(
        "POST",
        "/v1/payment_intents/{id}/confirm",
        payment_intents.confirm_payment_intent,
        with_client_secret=True,
    ),
    _route(
        "POST",
        "/v1/payment_intents/{id}/capture",
        payment_intents.capture_payment_intent,
    ),
    _route(
        "POST", "/v1/payment_intents/{id}/cancel", payment_intents.cancel_payment_intent
    ),
    _route("GET", "/v1/charges", charges.list_charges),
    _route("GET", "/v1/charges/{id}", charges.retrieve_charge),
    _route("GET", "/v1/refunds", refunds.list_refunds),
    _route("POST", "/v1/refunds", refunds.create_refund),
    _route("GET", "/v1/refunds/{id}", refunds.retrieve_refund),
    _route("GET", "/v1/events", events.list_events),
    _route("GET", "/v1/events/{id}", events.retrieve_event),
)


def match_route(method: str, path: str) -> tuple[Route, dict[str, str]] | None:
    for route in ROUTES:
        if route.method != method:
            continue
        found = route.pattern.match(path)
        if found is not None:
            return route, found.groupdict()
    return None


def presented_key(request: web.Request) -> str | None:
    """The API key of `Authorization: Bearer <key>` or Basic `<key>:` (C1)."""
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    credentials = credentials.strip()
    if scheme.lower() == "bearer":
        return credentials or None
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(credentials, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return credentials or None
        return decoded.partition(":")[0] or None
    return None


class StripeApi:
    def __init__(self, gateway: SimulatedStripe) -> None:
        self._gateway = gateway
        # Unexpected exceptions by request line, for tests to assert there were none.
        self.internal_errors: list[str] = []

    async def handle(self, request: web.Request) -> web.Response:
        if request.method == "OPTIONS":
            return web.Response(status=204, headers=_PREFLIGHT_HEADERS)
        request_id = new_request_id()
        headers = {
            **_CORS_HEADERS,
            "Request-Id": request_id,
            "Stripe-Version": request.headers.get("Stripe-Version")
            or DEFAULT_API_VERSION,
        }
        idempotency_key = (
            request.headers.get("Idempotency-Key") if request.method == "POST" else None
        )
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        try:
            return await self._answer(request, request_id, idempotency_key, headers)
        except StripeApiError as error:
            return render_error(error, request_id=request_id, headers=headers)
        except Exception:
            logger.exception(
                "Unable to answer a Stripe API request",
                extra={"method": request.method, "path": request.path},
            )
            self.internal_errors.append(f"{request.method} {request.path}")
            return render_error(
                api_error(),
                request_id=request_id,
                headers={**headers, "Stripe-Should-Retry": "false"},
            )

    async def _answer(
        self,
        request: web.Request,
        request_id: str,
        idempotency_key: str | None,
        headers: dict[str, str],
    ) -> web.Response:
        matched = match_route(request.method, request.path)
        api_key = self._authenticate(
            request,
            publishable=bool(
                matched and (matched[0].publishable or matched[0].with_client_secret)
            ),
        )
        if matched is None:
            raise unrecognized_url(request.method, request.path)
        route, path_args = matched
        tree = await _read_parameters(request)
        if route.with_client_secret and not route.publishable:
            self._check_client_secret(api_key, route, path_args, tree)
        call = self._gateway.new_call(
            request,
            request_id=request_id,
            idempotency_key=idempotency_key,
            params=Params(tree),
            path_args=path_args,
        )
        if not idempotency_key:
            status, body, _ = self._execute(route, call)
            return _reply(status, body, headers)

        key: CacheKey = (api_key, idempotency_key)
        request_fingerprint = fingerprint(request.method, request.path, tree)
        keys = self._gateway.idempotency
        stored = keys.stored_reply(key, request_fingerprint)
        if stored is not None:
            return _reply(
                stored.status,
                stored.body,
                {
                    **headers,
                    "Idempotent-Replayed": "true",
                    "Original-Request": stored.request_id,
                },
            )
        keys.begin(key)
        status, body, executed = self._execute(route, call)
        if executed:
            keys.store(
                key,
                status=status,
                body=body,
                request_fingerprint=request_fingerprint,
                request_id=request_id,
            )
        else:
            keys.abandon(key)
        return _reply(status, body, headers)

    def _authenticate(self, request: web.Request, *, publishable: bool) -> str:
        """:raises StripeApiError: 401 for a missing, unknown or misplaced key."""
        config = self._gateway.sandbox.config
        key = presented_key(request)
        if key is None:
            raise api_key_missing()
        if key == config.stripe_secret_key:
            return key
        if key == config.stripe_publishable_key:
            if publishable:
                return key
            raise publishable_key_refused()
        raise api_key_invalid(key)

    def _check_client_secret(
        self,
        api_key: str,
        route: Route,
        path_args: dict[str, str],
        tree: FormTree,
    ) -> None:
        """:raises StripeApiError: when the publishable key comes without the
        intent's own client secret."""
        if api_key != self._gateway.sandbox.config.stripe_publishable_key:
            return
        state = self._gateway.state
        intents = (
            state.setup_intents
            if route.template.startswith("/v1/setup_intents")
            else state.payment_intents
        )
        intent = intents.get(path_args["id"])
        given = tree.get("client_secret")
        if intent is None or not isinstance(given, str):
            raise publishable_key_refused()
        if not hmac.compare_digest(
            given.encode(), str(intent["client_secret"]).encode()
        ):
            raise invalid_parameter(
                "client_secret",
                "The client_secret provided does not match the client_secret "
                "associated with this intent.",
            )

    def _execute(self, route: Route, call: Call) -> tuple[int, bytes, bool]:
        """Status and body of the handler's answer, and whether execution began."""
        try:
            return 200, json_bytes(route.handler(call)), True
        except StripeApiError as error:
            body = json_bytes(error.as_json(call.request_id))
            return error.status, body, not error.before_execution
        except Exception:
            # Parameters are left out of the log: they may hold card details.
            logger.exception(
                "Unable to execute a Stripe API request",
                extra={"method": route.method, "path": route.template},
            )
            self.internal_errors.append(f"{route.method} {route.template}")
            return 500, json_bytes(api_error().as_json(call.request_id)), True


def _reply(status: int, body: bytes, headers: dict[str, str]) -> web.Response:
    if status >= 500:
        # The failure is saved under the idempotency key: a retry would replay it.
        headers = {**headers, "Stripe-Should-Retry": "false"}
    return web.Response(
        status=status, body=body, content_type="application/json", headers=headers
    )


async def _read_parameters(request: web.Request) -> FormTree:
    """The decoded query (GET, DELETE) or form body (POST).

    :raises StripeApiError: 400 for a body that is not form-encoded or is malformed.
    """
    if request.method != "POST":
        return decode_form(request.rel_url.raw_query_string.encode())
    try:
        raw = await request.read()
    except web.HTTPException as exc:
        raise invalid_parameter(None, f"Invalid request body: {exc.reason}") from exc
    if not raw.strip():
        return {}
    # Clients that omit the content type still send forms; JSON is a v2-style mistake.
    if "json" in request.content_type or request.content_type.startswith("multipart/"):
        raise invalid_parameter(
            None,
            "Invalid request: Stripe's v1 API takes form-encoded bodies "
            "(application/x-www-form-urlencoded), not "
            f"{request.content_type}.",
        )
    return decode_form(raw)
