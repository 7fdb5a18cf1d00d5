"""The simulated Stripe: its state, its `/v1/` API, its `/__sandbox/stripe/` pages."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from gateway_sandbox.deliveries import DeliveryHooks
from gateway_sandbox.discrepancies import ReconciliationKnobs
from gateway_sandbox.gateway import RateThrottle, SimulatedGateway
from gateway_sandbox.snapshots import JsonObject, Record
from gateway_sandbox.stripe import snapshots
from gateway_sandbox.stripe.api import StripeApi
from gateway_sandbox.stripe.calls import Call
from gateway_sandbox.stripe.discrepancies import StripeKnobs
from gateway_sandbox.stripe.errors import api_error, rate_limited, render_error
from gateway_sandbox.stripe.idempotency import IdempotencyKeys
from gateway_sandbox.stripe.ids import new_request_id
from gateway_sandbox.stripe.state import StripeState
from gateway_sandbox.stripe.threeds import ChallengePages
from gateway_sandbox.stripe.webhooks import WebhookEndpoints
from gateway_sandbox.stripe.widget import CardTokenizer
from gateway_sandbox.stripe.wire import DEFAULT_API_VERSION

if TYPE_CHECKING:
    from gateway_sandbox.app import Sandbox


class SimulatedStripe(SimulatedGateway):
    """Stripe's v1 API as GATEWAYS.md Part C and D describe it, in memory."""

    name = "stripe"

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.throttle = self._new_throttle()
        self.state = StripeState()
        self.webhooks = WebhookEndpoints(sandbox)
        self.idempotency = IdempotencyKeys(sandbox.clock)
        self._api = StripeApi(self)
        self._pages = ChallengePages(self)
        self._tokenizer = CardTokenizer(self)

    def _new_throttle(self) -> RateThrottle:
        sandbox = self.sandbox
        return RateThrottle(lambda: sandbox.faults.stripe_requests_per_second)

    def owns(self, path: str) -> bool:
        return path.startswith("/v1/")

    def routes(self) -> list[web.RouteDef]:
        return [
            web.route("*", "/v1/{tail:.*}", self._api.handle),
            *self.webhooks.routes(),
            *self._pages.routes(),
            *self._tokenizer.routes(),
        ]

    def reset(self) -> None:
        self.state = StripeState()
        self.webhooks.reset()
        self.idempotency.reset()
        self.throttle = self._new_throttle()
        self._api.internal_errors.clear()

    def snapshot(self) -> JsonObject:
        return {
            "state": snapshots.state_to_json(self.state),
            "webhook_endpoints": [
                snapshots.endpoint_to_json(e) for e in self.webhooks.registered()
            ],
            "idempotency_keys": self.idempotency.cache.snapshot(),
        }

    def restore(self, data: Record) -> None:
        self.state = snapshots.state_from_json(data.record("state"))
        for endpoint in data.records("webhook_endpoints"):
            self.webhooks.keep(snapshots.endpoint_from_json(endpoint))
        self.idempotency.cache.restore(data.records("idempotency_keys"))

    def delivery_hooks(self, url: str) -> DeliveryHooks:
        return self.webhooks.hooks_for(url)

    @property
    def internal_errors(self) -> list[str]:
        """Requests that ended in an unexpected exception since the last reset."""
        return self._api.internal_errors

    def reconciliation_knobs(self) -> ReconciliationKnobs:
        return StripeKnobs(self)

    def server_error(self) -> web.Response:
        # The fault strikes before the endpoint runs and nothing is saved under the
        # idempotency key, so a retry is safe and may succeed: tell the SDK to retry.
        # (A 500 from a handler is saved and answers "false", see api.py.)
        return render_error(
            api_error(),
            request_id=None,
            headers={
                "Request-Id": new_request_id(),
                "Stripe-Version": DEFAULT_API_VERSION,
                "Stripe-Should-Retry": "true",
            },
        )

    def too_many_requests(self) -> web.Response:
        return render_error(
            rate_limited(),
            request_id=None,
            headers={
                "Request-Id": new_request_id(),
                "Stripe-Version": DEFAULT_API_VERSION,
            },
        )

    def new_call(self, request: web.Request, **fields: Any) -> Call:
        """A Call on this account at sandbox-clock time, reached through `request`."""
        return Call(
            state=self.state,
            sandbox=self.sandbox,
            webhooks=self.webhooks,
            now=self.sandbox.clock.now(),
            base_url=f"{request.scheme}://{request.host}",
            api_version=request.headers.get("Stripe-Version") or DEFAULT_API_VERSION,
            **fields,
        )
