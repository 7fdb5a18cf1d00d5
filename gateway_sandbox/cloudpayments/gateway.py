"""CloudPayments as the sandbox serves it: every path but `/__sandbox/` and `/v1/`."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

from aiohttp import web

from gateway_sandbox.cloudpayments import controls, snapshots
from gateway_sandbox.cloudpayments.acs import Acs
from gateway_sandbox.cloudpayments.api import PaymentsApi
from gateway_sandbox.cloudpayments.discrepancies import CloudPaymentsKnobs
from gateway_sandbox.cloudpayments.listing import TransactionLists
from gateway_sandbox.cloudpayments.notifications import Notifier, is_acknowledged
from gateway_sandbox.cloudpayments.processing import PaymentEngine
from gateway_sandbox.cloudpayments.store import TransactionStore
from gateway_sandbox.cloudpayments.subscriptions import SubscriptionBook
from gateway_sandbox.cloudpayments.subscriptions_api import SubscriptionsApi
from gateway_sandbox.cloudpayments.tokens import TokenStore
from gateway_sandbox.cloudpayments.transactions import (
    continue_ids_after,
    latest_allocated_id,
)
from gateway_sandbox.cloudpayments.transport import Transport
from gateway_sandbox.deliveries import DeliveryHooks
from gateway_sandbox.discrepancies import ReconciliationKnobs
from gateway_sandbox.gateway import ConcurrencyThrottle, SimulatedGateway
from gateway_sandbox.snapshots import JsonObject, Record

if TYPE_CHECKING:
    from gateway_sandbox.app import Sandbox

logger = logging.getLogger(__name__)

# How often the gateway's own schedule looks at the sandbox clock.
TICK_SECONDS = 0.5

_SERVER_ERROR_PAGE = (
    "<html><head><title>500 Internal Server Error</title></head><body>"
    "<h1>500 Internal Server Error</h1></body></html>"
)


class SimulatedCloudPayments(SimulatedGateway):
    name = "cloudpayments"
    throttle: ConcurrencyThrottle

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.throttle = ConcurrencyThrottle(lambda: sandbox.faults.max_in_flight)
        self.transactions = TransactionStore()
        self.tokens = TokenStore()
        self.notifier = Notifier(sandbox)
        self.transport = Transport(sandbox)
        self.engine = PaymentEngine(
            sandbox, store=self.transactions, tokens=self.tokens, notifier=self.notifier
        )
        self.subscriptions = SubscriptionBook(
            clock=sandbox.clock,
            engine=self.engine,
            tokens=self.tokens,
            notifier=self.notifier,
        )

    def owns(self, path: str) -> bool:
        return not path.startswith(("/__sandbox/", "/v1/"))

    def routes(self) -> list[web.RouteDef]:
        payments = PaymentsApi(self.engine, self.notifier, self.sandbox.config)
        subscriptions = SubscriptionsApi(self.subscriptions, self.sandbox.clock)
        lists = TransactionLists(self.engine)
        endpoints = {
            **payments.endpoints(),
            **lists.endpoints(),
            **subscriptions.endpoints(),
        }
        return [
            *(
                web.post(path, self.transport.endpoint(handler))
                for path, handler in endpoints.items()
            ),
            *Acs(self.transactions).routes(),
            *controls.routes(
                tokens=self.tokens,
                public_id=lambda: self.sandbox.config.cloudpayments_public_id,
            ),
        ]

    def reset(self) -> None:
        self.transactions.reset()
        self.tokens.reset()
        self.notifier.reset()
        self.transport.reset()
        self.subscriptions.reset()

    def snapshot(self) -> JsonObject:
        return {
            "latest_transaction_id": latest_allocated_id(),
            "transactions": [
                snapshots.transaction_to_json(t) for t in self.transactions.all()
            ],
            "tokens": [snapshots.token_to_json(t) for t in self.tokens.all()],
            "subscriptions": [
                snapshots.subscription_to_json(s) for s in self.subscriptions.all()
            ],
            "notification_settings": snapshots.settings_to_json(
                self.notifier.configured()
            ),
            "replays": self.transport.replays.snapshot(),
        }

    def restore(self, data: Record) -> None:
        transactions = [
            snapshots.transaction_from_json(t) for t in data.records("transactions")
        ]
        continue_ids_after(
            max([data.integer("latest_transaction_id"), *(t.id for t in transactions)])
        )
        for transaction in transactions:
            self.transactions.add(transaction)
        for token in data.records("tokens"):
            self.tokens.add(snapshots.token_from_json(token))
        for subscription in data.records("subscriptions"):
            self.subscriptions.add(snapshots.subscription_from_json(subscription))
        settings = snapshots.settings_from_json(data.record("notification_settings"))
        for kind, setting in settings.items():
            self.notifier.configure(kind, setting)
        self.transport.replays.restore(data.records("replays"))

    def delivery_hooks(self, url: str) -> DeliveryHooks:
        return self.notifier.signer(), is_acknowledged

    def reconciliation_knobs(self) -> ReconciliationKnobs:
        return CloudPaymentsKnobs(self.engine, self.sandbox)

    def server_error(self) -> web.Response:
        # The real gateway's failures are HTML pages, which the SDK cannot parse.
        return web.Response(
            text=_SERVER_ERROR_PAGE,
            status=500,
            content_type="text/html",
            charset="utf-8",
        )

    def too_many_requests(self) -> web.Response:
        return web.json_response(
            {"Success": False, "Message": "Too many requests"}, status=429
        )

    def background_jobs(self) -> list[Callable[[], Coroutine[Any, Any, None]]]:
        return [self._run_schedule]

    async def _run_schedule(self) -> None:
        """Void stale authorizations and charge due subscriptions (sandbox clock)."""
        while True:
            try:
                self.engine.expire_authorizations()
                self.subscriptions.charge_due()
            except Exception:
                logger.exception("Unable to run the CloudPayments schedule")
                self.transport.internal_errors.append("schedule failed")
            await asyncio.sleep(TICK_SECONDS)
