"""Webhook endpoints and signed deliveries of Events (GATEWAYS.md Part D).

Endpoints are registered through `/__sandbox/stripe/webhook_endpoints` (the real
`/v1/webhook_endpoints` API is optional and not simulated) and one comes from the
sandbox config. As at Stripe, an endpoint's signing secret is shown only in the answer
that creates it, never in a listing. Each Event is queued in the shared outbox once per
interested endpoint; the signature is computed when a delivery is sent, over the exact
bytes sent, with the sandbox clock's time, as Stripe signs each attempt afresh.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aiohttp import web

from gateway_sandbox.controls import control_error, read_json_object
from gateway_sandbox.deliveries import Delivery, DeliveryHooks, Signer
from gateway_sandbox.stripe.ids import new_id
from gateway_sandbox.stripe.wire import JsonObject, json_bytes

if TYPE_CHECKING:
    from gateway_sandbox.app import Sandbox

USER_AGENT = "Stripe/1.0 (+https://stripe.com/docs/webhooks)"
CONTENT_TYPE = "application/json; charset=utf-8"
# Test mode gives up sooner than live mode's three days; the outbox spaces the tries.
MAX_ATTEMPTS = 10
# Letters after `whsec_` in the secrets Stripe makes.
SECRET_LENGTH = 32


@dataclass(slots=True)
class WebhookEndpoint:
    id: str
    url: str
    enabled_events: list[str]
    secret: str

    def wants(self, event_type: str) -> bool:
        return "*" in self.enabled_events or event_type in self.enabled_events

    def as_json(self) -> JsonObject:
        """The endpoint as Stripe lists it: without the secret, which whoever can
        read the list could otherwise sign webhooks with."""
        return {
            "id": self.id,
            "object": "webhook_endpoint",
            "url": self.url,
            "enabled_events": list(self.enabled_events),
        }

    def as_json_with_secret(self) -> JsonObject:
        """The endpoint as its creation answers (and the state file keeps it)."""
        return {**self.as_json(), "secret": self.secret}


def signature_header(body: bytes, *, secret: str, timestamp: int) -> str:
    """`t=<unix>,v1=<hex>`: HMAC-SHA256 of `"<t>.<body>"`, keyed by the secret."""
    signed = f"{timestamp}.".encode() + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


class WebhookEndpoints:
    """The registered endpoints, and the queueing of one Event to each of them."""

    def __init__(self, sandbox: Sandbox) -> None:
        self._sandbox = sandbox
        self._endpoints: list[WebhookEndpoint] = []
        self._configured: WebhookEndpoint | None = None
        self._register_configured()

    def reset(self) -> None:
        self._endpoints.clear()
        self._register_configured()

    def _register_configured(self) -> None:
        config = self._sandbox.config
        self._configured = None
        if config.stripe_webhook_url:
            self._configured = self.add(
                url=config.stripe_webhook_url,
                enabled_events=["*"],
                secret=config.stripe_webhook_secret,
            )

    def registered(self) -> list[WebhookEndpoint]:
        """The endpoints registered at run time; the configured one follows the
        config of each start, so a restart with another URL does not keep the old."""
        return [e for e in self._endpoints if e is not self._configured]

    def keep(self, endpoint: WebhookEndpoint) -> None:
        """Take back an endpoint registered before (a restart)."""
        self._endpoints.append(endpoint)

    def hooks_for(self, url: str) -> DeliveryHooks:
        """The signer and acknowledger of a restored delivery to `url`."""
        endpoint = next((e for e in self._endpoints if e.url == url), None)
        secret = (
            endpoint.secret if endpoint else self._sandbox.config.stripe_webhook_secret
        )
        return self._signer(secret), _is_2xx

    def add(
        self, *, url: str, enabled_events: list[str], secret: str
    ) -> WebhookEndpoint:
        endpoint = WebhookEndpoint(new_id("we"), url, enabled_events, secret)
        self._endpoints.append(endpoint)
        return endpoint

    def remove(self, endpoint_id: str) -> bool:
        before = len(self._endpoints)
        self._endpoints = [e for e in self._endpoints if e.id != endpoint_id]
        return len(self._endpoints) < before

    def all(self) -> list[WebhookEndpoint]:
        return list(self._endpoints)

    def count_for(self, event_type: str) -> int:
        return sum(endpoint.wants(event_type) for endpoint in self._endpoints)

    def deliver(self, event: JsonObject) -> None:
        body = json_bytes(event)
        for endpoint in self._endpoints:
            if endpoint.wants(event["type"]):
                self._sandbox.outbox.enqueue(
                    Delivery(
                        gateway="stripe",
                        kind=event["type"],
                        url=endpoint.url,
                        body=body,
                        content_type=CONTENT_TYPE,
                        sign=self._signer(endpoint.secret),
                        is_acknowledged=_is_2xx,
                        max_attempts=MAX_ATTEMPTS,
                    )
                )

    def _signer(self, secret: str) -> Signer:
        clock = self._sandbox.clock

        def sign(body: bytes) -> dict[str, str]:
            timestamp = int(clock.now().timestamp())
            return {
                "Stripe-Signature": signature_header(
                    body, secret=secret, timestamp=timestamp
                ),
                "User-Agent": USER_AGENT,
            }

        return sign

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/__sandbox/stripe/webhook_endpoints", self._list),
            web.post("/__sandbox/stripe/webhook_endpoints", self._create),
            web.delete(
                "/__sandbox/stripe/webhook_endpoints/{endpoint_id}", self._delete
            ),
        ]

    async def _list(self, request: web.Request) -> web.Response:
        return web.json_response(
            {"endpoints": [endpoint.as_json() for endpoint in self._endpoints]}
        )

    async def _create(self, request: web.Request) -> web.Response:
        """`{"url", "enabled_events": [...] (default ["*"]), "secret"}` (JSON).

        Without a secret the endpoint gets a fresh one, as at Stripe: answering with
        the configured secret would hand it to anyone who can reach the sandbox.
        """
        data = await read_json_object(request)
        url = data.get("url")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            return control_error("url must be an http(s) URL")
        enabled = data.get("enabled_events", ["*"])
        if (
            not isinstance(enabled, list)
            or not enabled
            or not all(isinstance(item, str) and item for item in enabled)
        ):
            return control_error("enabled_events must be a non-empty list of strings")
        secret = data.get("secret", new_id("whsec", SECRET_LENGTH))
        if not isinstance(secret, str) or not secret:
            return control_error("secret must be a non-empty string")
        endpoint = self.add(url=url, enabled_events=enabled, secret=secret)
        return web.json_response(endpoint.as_json_with_secret())

    async def _delete(self, request: web.Request) -> web.Response:
        endpoint_id = request.match_info["endpoint_id"]
        if not self.remove(endpoint_id):
            return control_error(f"no webhook endpoint {endpoint_id}", status=404)
        return web.json_response({"id": endpoint_id, "deleted": True})


def _is_2xx(status: int, body: bytes) -> bool:
    return 200 <= status < 300
