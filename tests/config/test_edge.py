"""The ASGI webhook edge: only the webhook URLs, Django's answers, never a 500.

The webhook contract itself (signatures, duplicates, Check) is tested against both
entry points in `tests/payments/test_webhooks.py`; the batched store of PostgreSQL
in `tests/payments/test_webhook_batches.py`.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from django.test import Client
from pytest_django.fixtures import Settings

from config.edge import WebhookEdge
from payments.api.webhooks import MAX_BODY_BYTES
from payments.models import GatewayEventRecord
from payments.services import EdgeIntake
from tests.asgi import AsgiReply, call, lifespan, request
from tests.payments.webhook_messages import (
    FORM,
    cloudpayments_body,
    cloudpayments_fields,
    cloudpayments_headers,
    new_payment,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("webhook_gateways")]

PAY = "/webhooks/cloudpayments/pay/"
SECURITY_HEADERS = (
    "x-content-type-options",
    "x-frame-options",
    "referrer-policy",
    "cross-origin-opener-policy",
)


@pytest.fixture
def edge() -> WebhookEdge:
    return WebhookEdge(EdgeIntake.threaded())


def _signed_pay() -> tuple[bytes, dict[str, str]]:
    body = cloudpayments_body(cloudpayments_fields(new_payment(), "pay"))
    return body, {"Content-Type": FORM, **cloudpayments_headers(body)}


def _error_code(reply: AsgiReply) -> str:
    body = reply.json()
    assert set(body) == {"code", "message", "extra"}
    return str(body["code"])


class TestPaths:
    @pytest.mark.parametrize(
        "path",
        [
            "/",
            "/admin/",
            "/api/v1/payments/",
            "/healthz",
            "/webhooks/",
            "/webhooks/cloudpayments/pay",
            "/webhooks/cloudpayments/pa.y/",
            "/webhooks/cloudpayments/pay/extra/",
            "/webhooks/stripe/extra/",
        ],
    )
    @pytest.mark.parametrize("method", ["GET", "POST"])
    def test_anything_but_a_webhook_url_is_not_found(
        self, edge: WebhookEdge, path: str, method: str
    ) -> None:
        reply = request(edge, method=method, path=path)

        assert reply.status_code == 404
        assert _error_code(reply) == "not_found"
        assert reply.json()["message"] == f"Nothing is found at {path}."

    def test_a_webhook_is_answered_with_the_security_headers_and_a_length(
        self, edge: WebhookEdge
    ) -> None:
        body, headers = _signed_pay()

        reply = request(edge, path=PAY, body=body, headers=headers)

        assert (reply.status_code, reply.json()) == (200, {"code": 0})
        assert reply["X-Content-Type-Options"] == "nosniff"
        assert reply["X-Frame-Options"] == "DENY"
        assert reply["Referrer-Policy"] == "same-origin"
        assert reply["Content-Length"] == str(len(reply.body))
        assert "set-cookie" not in reply.headers


class TestSameAnswersAsDjango:
    @pytest.mark.parametrize(
        ("method", "path", "body", "headers"),
        [
            ("GET", PAY, b"", {}),
            ("PUT", "/webhooks/stripe/", b"{}", {}),
            ("POST", "/webhooks/cloudpayments/payout/", b"", {}),
            ("POST", PAY, b"TransactionId=1", {}),
            ("POST", PAY, b"\xff\xfe\x00junk", {"Content-HMAC": "%%%"}),
            ("POST", PAY, b"", {"Content-HMAC": ""}),
            ("POST", "/webhooks/stripe/", b"[1, 2", {"Stripe-Signature": "t=1,v1=0"}),
            ("POST", "/webhooks/stripe/", b"\xff", {"Stripe-Signature": "garbage"}),
        ],
    )
    def test_for_a_refused_request(
        self,
        edge: WebhookEdge,
        client: Client,
        method: str,
        path: str,
        body: bytes,
        headers: dict[str, str],
    ) -> None:
        """Status, body and security headers as the Django views', and no 500."""
        reply = request(edge, method=method, path=path, body=body, headers=headers)
        django = client.generic(
            method, path, data=body, content_type=FORM, headers=headers
        )

        assert reply.status_code == django.status_code
        assert 400 <= reply.status_code < 500
        assert reply.json() == django.json()
        assert reply.headers.get("allow") == django.headers.get("Allow")
        for name in SECURITY_HEADERS:
            assert reply[name] == django.headers[name]
        assert GatewayEventRecord.objects.count() == 0

    def test_for_a_signed_body_that_is_no_notification(
        self, edge: WebhookEdge, client: Client
    ) -> None:
        body = b"Amount=1.00&Currency=RUB"
        headers = cloudpayments_headers(body)

        reply = request(edge, path=PAY, body=body, headers=headers)
        django = client.post(PAY, data=body, content_type=FORM, headers=headers)

        assert (reply.status_code, reply.json()) == (400, django.json())
        assert _error_code(reply) == "malformed_webhook"


class TestHosts:
    def test_a_host_not_served_is_refused_as_django_refuses_it(
        self,
        edge: WebhookEdge,
        settings: Settings,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        settings.ALLOWED_HOSTS = ["billing.example"]
        body, headers = _signed_pay()

        with caplog.at_level(logging.ERROR, logger="django.security"):
            reply = request(
                edge, path=PAY, body=body, headers=headers, host="evil.example"
            )

        assert reply.status_code == 400
        assert _error_code(reply) == "disallowed_host"
        assert GatewayEventRecord.objects.count() == 0
        assert any(r.name == "django.security.DisallowedHost" for r in caplog.records)

    def test_a_host_served_is_answered(
        self, edge: WebhookEdge, settings: Settings
    ) -> None:
        settings.ALLOWED_HOSTS = [".billing.example"]
        body, headers = _signed_pay()

        reply = request(
            edge, path=PAY, body=body, headers=headers, host="hooks.billing.example"
        )

        assert reply.status_code == 200

    def test_without_a_host_header_the_servers_address_is_checked(
        self, edge: WebhookEdge, settings: Settings
    ) -> None:
        settings.ALLOWED_HOSTS = ["billing.example"]

        reply = request(edge, path=PAY, host=None)

        assert _error_code(reply) == "disallowed_host"


class TestHttps:
    def test_plain_http_is_sent_to_https_where_settings_say_so(
        self, edge: WebhookEdge, settings: Settings
    ) -> None:
        settings.SECURE_SSL_REDIRECT = True

        reply = request(edge, path=PAY, host="localhost")

        assert reply.status_code == 301
        assert reply["Location"] == f"https://localhost{PAY}"
        assert GatewayEventRecord.objects.count() == 0

    def test_https_behind_the_proxy_is_served_with_hsts(
        self, edge: WebhookEdge, settings: Settings
    ) -> None:
        settings.SECURE_SSL_REDIRECT = True
        settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
        settings.SECURE_HSTS_SECONDS = 3600
        body, headers = _signed_pay()

        reply = request(
            edge,
            path=PAY,
            body=body,
            headers={**headers, "X-Forwarded-Proto": "https"},
        )

        assert (reply.status_code, reply.json()) == (200, {"code": 0})
        assert reply["Strict-Transport-Security"] == "max-age=3600"


class TestBodies:
    def test_a_declared_length_over_the_limit_is_refused_unread(
        self, edge: WebhookEdge
    ) -> None:
        body, headers = _signed_pay()

        reply = request(
            edge,
            path=PAY,
            body=body,
            headers=headers,
            content_length=MAX_BODY_BYTES + 1,
        )

        assert reply.status_code == 413
        assert reply.body_read == 0

    def test_an_undeclared_body_is_read_no_further_than_the_limit(
        self, edge: WebhookEdge
    ) -> None:
        body = b"x" * (4 * MAX_BODY_BYTES)

        reply = request(edge, path=PAY, body=body, disconnect_after=len(body))

        assert reply.status_code == 413
        assert _error_code(reply) == "payload_too_large"
        assert reply.body_read < MAX_BODY_BYTES + 128 * 1024

    def test_a_sender_that_goes_away_gets_nothing_and_stores_nothing(
        self, edge: WebhookEdge
    ) -> None:
        body, headers = _signed_pay()

        reply = request(edge, path=PAY, body=body, headers=headers, disconnect_after=10)

        assert reply.messages == []
        assert GatewayEventRecord.objects.count() == 0


class TestUnexpectedErrors:
    def test_are_logged_and_answered_500_without_the_trace(
        self,
        edge: WebhookEdge,
        monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        def broken(**kwargs: Any) -> None:
            raise RuntimeError("the store fell over")

        monkeypatch.setattr(
            "payments.services._webhook_edge_intake.verify_gateway_event", broken
        )
        body, headers = _signed_pay()

        with caplog.at_level(logging.ERROR, logger="config.edge"):
            reply = request(edge, path=PAY, body=body, headers=headers)

        assert reply.status_code == 500
        assert reply.json() == {
            "code": "internal_error",
            "message": "An unexpected error occurred.",
            "extra": {},
        }
        assert b"fell over" not in reply.body
        (logged,) = [r for r in caplog.records if r.name == "config.edge"]
        assert logged.message == "Unable to answer a gateway webhook"
        assert logged.exc_info is not None


class TestLifespan:
    def test_starts_and_stops(self, edge: WebhookEdge) -> None:
        """Servers run the lifespan around the edge's life (the batched store opens
        and closes its pool there)."""

        async def serve_one() -> AsgiReply:
            async with lifespan(edge):
                return await call(edge, method="GET", path=PAY)

        reply = asyncio.run(serve_one())

        assert reply.status_code == 405

    def test_a_websocket_is_not_served(self, edge: WebhookEdge) -> None:
        sent: list[object] = []

        async def receive() -> dict[str, Any]:
            return {"type": "websocket.connect"}

        async def send(message: Any) -> None:
            sent.append(message)

        asyncio.run(edge({"type": "websocket", "path": "/webhooks/"}, receive, send))

        assert sent == []
