"""CloudPayments as the sandbox serves it: every path but `/__sandbox/` and `/v1/`."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

from aiohttp import web

from payments.sandbox.cloudpayments import controls
from payments.sandbox.cloudpayments.acs import Acs
from payments.sandbox.cloudpayments.api import PaymentsApi
from payments.sandbox.cloudpayments.notifications import Notifier
from payments.sandbox.cloudpayments.processing import PaymentEngine
from payments.sandbox.cloudpayments.subscriptions import SubscriptionBook
from payments.sandbox.cloudpayments.subscriptions_api import SubscriptionsApi
from payments.sandbox.cloudpayments.tokens import TokenStore
from payments.sandbox.cloudpayments.transactions import TransactionStore
from payments.sandbox.cloudpayments.transport import Transport
from payments.sandbox.gateway import ConcurrencyThrottle, SimulatedGateway

if TYPE_CHECKING:
    from payments.sandbox.app import Sandbox

logger = logging.getLogger(__name__)

# How often the gateway's own schedule looks at the sandbox clock.
TICK_SECONDS = 0.5

_SERVER_ERROR_PAGE = (
    "<html><head><title>500 Internal Server Error</title></head><body>"
    "<h1>500 Internal Server Error</h1></body></html>"
)


class CloudPaymentsGateway(SimulatedGateway):
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
        endpoints = {**payments.endpoints(), **subscriptions.endpoints()}
        return [
            *(
                web.post(path, self.transport.endpoint(handler))
                for path, handler in endpoints.items()
            ),
            *Acs(self.transactions).routes(),
            *controls.routes(),
        ]

    def reset(self) -> None:
        self.transactions.reset()
        self.tokens.reset()
        self.notifier.reset()
        self.transport.reset()
        self.subscriptions.reset()

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
