"""The ASGI webhook edge: gateway notifications under `/webhooks/`, and nothing else.

    gunicorn config.edge:application --worker-class uvicorn_worker.UvicornWorker

Gateways send notifications by the thousand, and each needs little: its signature
checked, its row stored once, an answer. Here each costs about that, with no
Django request, middleware or URL resolver on the way (`payments.api.webhook_edge`),
while the WSGI web (`config.wsgi`) keeps the admin, the APIs and the shop, and
answers `/webhooks/` too. What Django's middleware would still do for a webhook is
done here: the host checked against `ALLOWED_HOSTS`, plain HTTP sent to HTTPS where
settings say so, and the security headers. Any other path is a 404, in the API's
one error shape like every answer; an unexpected error is logged and answered 500
`internal_error`, with no trace in the body.

The lifespan events open and close each process's database pool.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Final

import django
from django.apps import apps
from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http.request import split_domain_port, validate_host

from config.env import choose_settings_module

choose_settings_module()
if not apps.ready:
    django.setup(set_prefix=False)

from kit.api.errors import (  # noqa: E402 - Django first
    INTERNAL_ERROR_MESSAGE,
    error_body,
    refused_request_body,
)
from kit.asgi import (  # noqa: E402
    ClientDisconnected,
    Receive,
    Request,
    Scope,
    Send,
    json_body,
    send_answer,
)
from payments.api.webhook_edge import Answer, WebhookViews  # noqa: E402
from payments.services import EdgeIntake  # noqa: E402

logger = logging.getLogger(__name__)

_INTERNAL_ERROR: Final = Answer(
    500, json_body(error_body("internal_error", INTERNAL_ERROR_MESSAGE))
)
# Where Django would answer without a view: a host it does not serve.
_DISALLOWED_HOST: Final = Answer(400, json_body(refused_request_body(DisallowedHost())))


class WebhookEdge:
    """The ASGI 3 application: lifespan, then each request to `WebhookViews`."""

    def __init__(self, intake: EdgeIntake) -> None:
        self._intake = intake
        self._views = WebhookViews(intake)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif scope["type"] == "http":
            await self._http(scope, receive, send)
        # Anything else (WebSocket) is refused by the server when the app returns.

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request.of(scope)
        try:
            answer = _refusal(request, scope) or await self._views.answer(
                request, receive
            )
        except ClientDisconnected:
            return
        except Exception:
            logger.exception("Unable to answer a gateway webhook")
            answer = _INTERNAL_ERROR
        await send_answer(
            send,
            answer.status,
            answer.body,
            [*answer.headers, *_security_headers(request)],
        )

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await self._intake.open()
                except Exception:
                    # Logged masked; the server prints the message as it is.
                    logger.exception("Unable to open the webhook edge's database pool")
                    await send(
                        {
                            "type": "lifespan.startup.failed",
                            "message": "the database pool did not open",
                        }
                    )
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self._intake.close()
                await send({"type": "lifespan.shutdown.complete"})
                return


def _refusal(request: Request, scope: Scope) -> Answer | None:
    """What Django answers before any view: a host it does not serve (400), or plain
    HTTP where only HTTPS is served (301); else None."""
    host = _raw_host(request, scope)
    allowed = settings.ALLOWED_HOSTS
    if settings.DEBUG and not allowed:
        allowed = [".localhost", "127.0.0.1", "[::1]"]
    domain, _ = split_domain_port(host)
    if not domain or not validate_host(domain, allowed):
        logging.getLogger("django.security.DisallowedHost").error(
            "Invalid HTTP_HOST header: %r.", host
        )
        return _DISALLOWED_HOST
    if (
        settings.SECURE_SSL_REDIRECT
        and not _is_secure(request)
        and not any(
            re.search(pattern, request.path.lstrip("/"))
            for pattern in settings.SECURE_REDIRECT_EXEMPT
        )
    ):
        query = scope.get("query_string", b"").decode("latin-1")
        location = f"https://{settings.SECURE_SSL_HOST or host}{request.path}"
        location += f"?{query}" if query else ""
        return Answer(301, b"", ((b"location", location.encode("latin-1")),))
    return None


def _raw_host(request: Request, scope: Scope) -> str:
    """The host a request names, as `HttpRequest.get_host` reads it."""
    if settings.USE_X_FORWARDED_HOST and "x-forwarded-host" in request.headers:
        return request.headers["x-forwarded-host"]
    if "host" in request.headers:
        return request.headers["host"]
    name, port = scope.get("server") or ("", None)
    default_port = 443 if _is_secure(request) else 80
    return name if port in (None, default_port) else f"{name}:{port}"


def _is_secure(request: Request) -> bool:
    """Whether the request came over HTTPS, as `HttpRequest.is_secure` tells."""
    if settings.SECURE_PROXY_SSL_HEADER:
        meta_name, secure_value = settings.SECURE_PROXY_SSL_HEADER
        name = meta_name.removeprefix("HTTP_").replace("_", "-").lower()
        if name in request.headers:
            return request.headers[name].split(",")[0].strip() == secure_value
    return request.scheme == "https"


def _security_headers(request: Request) -> Iterator[tuple[bytes, bytes]]:
    """The headers of `SecurityMiddleware` and `XFrameOptionsMiddleware`."""
    if settings.SECURE_HSTS_SECONDS and _is_secure(request):
        value = f"max-age={settings.SECURE_HSTS_SECONDS}"
        if settings.SECURE_HSTS_INCLUDE_SUBDOMAINS:
            value += "; includeSubDomains"
        if settings.SECURE_HSTS_PRELOAD:
            value += "; preload"
        yield b"strict-transport-security", value.encode("latin-1")
    if settings.SECURE_CONTENT_TYPE_NOSNIFF:
        yield b"x-content-type-options", b"nosniff"
    if settings.SECURE_REFERRER_POLICY:
        policy = settings.SECURE_REFERRER_POLICY
        text = policy if isinstance(policy, str) else ",".join(policy)
        yield b"referrer-policy", text.encode("latin-1")
    if settings.SECURE_CROSS_ORIGIN_OPENER_POLICY:
        yield (
            b"cross-origin-opener-policy",
            settings.SECURE_CROSS_ORIGIN_OPENER_POLICY.encode("latin-1"),
        )
    yield (
        b"x-frame-options",
        getattr(settings, "X_FRAME_OPTIONS", "DENY").encode("latin-1"),
    )


application = WebhookEdge(EdgeIntake.for_database())
