"""The WSGI entry point: webhooks on a lean handler, everything else on the site's."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.conf import settings
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from pytest_django import DjangoCaptureOnCommitCallbacks
from pytest_django.fixtures import Settings

from config import wsgi
from payments.api.webhooks import MAX_BODY_BYTES
from payments.gateways.base import PaymentSnapshot
from payments.models import GatewayEventRecord, Payment, PaymentStatus
from tests.payments.webhook_messages import (
    FORM,
    cloudpayments_body,
    cloudpayments_fields,
    cloudpayments_headers,
    gateways_for_webhook_tests,
    new_payment,
)

pytestmark = pytest.mark.django_db

PAY = "/webhooks/cloudpayments/pay/"


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes
    handler: type | None = None
    cookies: list[str] = field(default_factory=list)

    def json(self) -> Any:
        return json.loads(self.body)


def call(
    path: str,
    *,
    method: str = "POST",
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    content_length: int | None = None,
) -> Reply:
    """One request through `config.wsgi.application`, as gunicorn makes it."""
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "127.0.0.1:8000",
        "CONTENT_TYPE": FORM,
        "CONTENT_LENGTH": str(len(body) if content_length is None else content_length),
        "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "http",
        "wsgi.errors": io.StringIO(),
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    for name, value in (headers or {}).items():
        environ[f"HTTP_{name.upper().replace('-', '_')}"] = value
    started: dict[str, Any] = {}

    def start_response(status: str, response_headers: list[tuple[str, str]]) -> None:
        started["status"], started["headers"] = status, response_headers

    # As Django's test client does: closing "old" connections at the start and end
    # of a request would close the test's transaction.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        response: Any = wsgi.application(environ, start_response)
        content = b"".join(response)
        response.close()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    pairs = started["headers"]
    return Reply(
        status=int(started["status"].split()[0]),
        headers={name: value for name, value in pairs if name != "Set-Cookie"},
        body=content,
        handler=getattr(response, "_handler_class", None),
        cookies=[value for name, value in pairs if name == "Set-Cookie"],
    )


@pytest.fixture(autouse=True)
def gateway_records(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> Iterator[dict[str, PaymentSnapshot]]:
    yield from gateways_for_webhook_tests(settings, monkeypatch)


class TestWebhookMiddleware:
    def test_is_the_sites_less_sessions_csrf_authentication_and_messages(
        self,
    ) -> None:
        """Anything added to MIDDLEWARE later applies to webhooks too."""
        assert wsgi.webhook_middleware() == [
            path for path in settings.MIDDLEWARE if path not in wsgi.NOT_FOR_WEBHOOKS
        ]
        assert "django.middleware.security.SecurityMiddleware" in (
            wsgi.webhook_middleware()
        )
        assert not set(wsgi.webhook_middleware()) & wsgi.NOT_FOR_WEBHOOKS


class TestLeanWebhookPath:
    def test_a_signed_pay_is_stored_and_settles_the_payment(
        self, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
    ) -> None:
        payment = new_payment()
        body = cloudpayments_body(cloudpayments_fields(payment, "pay"))

        with django_capture_on_commit_callbacks(execute=True):
            reply = call(PAY, body=body, headers=cloudpayments_headers(body))

        assert reply.handler is wsgi.WebhookHandler
        assert (reply.status, reply.json()) == (200, {"code": 0})
        assert GatewayEventRecord.objects.count() == 1
        assert Payment.objects.get(id=payment.id).status == PaymentStatus.SUCCEEDED

    def test_answers_with_the_security_headers_and_a_length_and_no_cookie(
        self,
    ) -> None:
        payment = new_payment()
        body = cloudpayments_body(cloudpayments_fields(payment, "pay"))

        reply = call(PAY, body=body, headers=cloudpayments_headers(body))

        assert reply.headers["X-Content-Type-Options"] == "nosniff"
        assert reply.headers["X-Frame-Options"] == "DENY"
        assert reply.headers["Referrer-Policy"] == "same-origin"
        assert reply.headers["Content-Length"] == str(len(reply.body))
        assert reply.cookies == []

    def test_a_bad_signature_is_refused_in_the_error_shape(self) -> None:
        body = cloudpayments_body(cloudpayments_fields(new_payment(), "pay"))

        reply = call(PAY, body=body, headers={"Content-HMAC": "bm90IGl0"})

        assert reply.status == 401
        assert reply.json()["code"] == "invalid_signature"
        assert set(reply.json()) == {"code", "message", "extra"}
        assert GatewayEventRecord.objects.count() == 0

    def test_a_body_over_the_limit_is_refused_unread(self) -> None:
        reply = call(PAY, body=b"x", content_length=MAX_BODY_BYTES + 1)

        assert reply.status == 413
        assert reply.json()["code"] == "payload_too_large"

    def test_other_methods_get_405_with_allow(self) -> None:
        reply = call(PAY, method="GET")

        assert reply.status == 405
        assert reply.headers["Allow"] == "POST"
        assert reply.json()["code"] == "method_not_allowed"

    def test_an_unknown_address_gets_the_sites_json_404(self) -> None:
        reply = call("/webhooks/nowhere/")

        assert reply.handler is wsgi.WebhookHandler
        assert reply.status == 404
        assert set(reply.json()) == {"code", "message", "extra"}

    def test_answers_with_the_callers_request_id(self) -> None:
        """The request id middleware is not one the lean handler leaves out."""
        body = cloudpayments_body(cloudpayments_fields(new_payment(), "pay"))
        headers = {**cloudpayments_headers(body), "X-Request-ID": "cp-4f1d2a"}

        reply = call(PAY, body=body, headers=headers)

        assert reply.status == 200
        assert reply.headers["X-Request-ID"] == "cp-4f1d2a"

    def test_no_csrf_token_is_asked_for(self) -> None:
        """The views are CSRF-exempt; without the middleware nothing else asks."""
        body = cloudpayments_body(cloudpayments_fields(new_payment(), "pay"))

        reply = call(
            PAY, body=body, headers={**cloudpayments_headers(body), "Cookie": "a=b"}
        )

        assert reply.status == 200


class TestOtherPaths:
    def test_go_through_the_sites_handler_and_middleware(self) -> None:
        reply = call("/healthz", method="GET")

        assert reply.handler is not wsgi.WebhookHandler
        assert reply.status == 200
        assert reply.headers["X-Frame-Options"] == "DENY"

    def test_a_path_that_only_starts_alike_is_the_sites(self) -> None:
        reply = call("/webhooksx/", method="GET")

        assert reply.handler is not wsgi.WebhookHandler
        assert reply.status == 404
