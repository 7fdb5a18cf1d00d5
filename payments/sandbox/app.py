"""The sandbox server: one aiohttp application for both gateways and the controls."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from payments.sandbox.clock import SandboxClock
from payments.sandbox.deliveries import Outbox
from payments.sandbox.faults import FaultSettings
from payments.sandbox.gateway import SimulatedGateway
from payments.sandbox.ledger import Ledger

logger = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(slots=True)
class SandboxConfig:
    """Credentials the sandbox accepts and where it sends notifications."""

    cloudpayments_public_id: str = "pk_sandbox"
    # Well-known sandbox credentials, matching the service's development defaults.
    cloudpayments_api_secret: str = "sandbox-api-secret"  # noqa: S105
    stripe_secret_key: str = "sk_test_sandbox"  # noqa: S105
    stripe_publishable_key: str = "pk_test_sandbox"
    stripe_webhook_secret: str = "whsec_sandbox"  # noqa: S105
    # Base address of the service's CloudPayments notification endpoints; each type is
    # posted to `<base><type>/`, e.g. `.../webhooks/cloudpayments/pay/`.
    cloudpayments_notification_url: str | None = None
    # Webhook endpoint registered at start, signed with `stripe_webhook_secret`.
    stripe_webhook_url: str | None = None
    # Production CloudPayments requires TrInitiatorCode on token payments; the 2021 SDK
    # cannot send it, so the sandbox is lenient unless asked to be strict.
    strict_initiator_code: bool = False
    faults: dict[str, Any] = field(default_factory=dict)


class Sandbox:
    """The shared state of one sandbox server."""

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.clock = SandboxClock()
        self.faults = FaultSettings()
        self.faults.update(config.faults)
        self.ledger = Ledger()
        self.outbox = Outbox(self.clock, self.faults)
        self.gateways: list[SimulatedGateway] = []

    def add_gateway(self, gateway: SimulatedGateway) -> None:
        self.gateways.append(gateway)

    def gateway_for(self, path: str) -> SimulatedGateway | None:
        return next((g for g in self.gateways if g.owns(path)), None)

    def reset(self) -> None:
        """Forget every payment, token, notification and fault; restart the clock."""
        self.clock.reset()
        self.faults.update({**FaultSettings().as_json(), **self.config.faults})
        self.ledger.reset()
        self.outbox.reset()
        for gateway in self.gateways:
            gateway.reset()


SANDBOX_KEY = web.AppKey("sandbox", Sandbox)


def get_sandbox(request: web.Request) -> Sandbox:
    return request.app[SANDBOX_KEY]


@web.middleware
async def gateway_faults(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Apply the rate limits and the fault knobs to the gateways' own endpoints."""
    sandbox = get_sandbox(request)
    gateway = sandbox.gateway_for(request.path)
    if gateway is None:
        return await handler(request)
    faults = sandbox.faults
    if not gateway.throttle.try_enter():
        return gateway.too_many_requests()
    try:
        if random.random() < faults.rate_limit_rate:
            return gateway.too_many_requests()
        await _simulate_latency(faults)
        if random.random() < faults.error_rate:
            return gateway.server_error()
        response = await handler(request)
        if random.random() < faults.drop_reply_rate:
            # Done but never told: the connection closes with no reply at all.
            _drop_connection(request)
            raise asyncio.CancelledError
        if random.random() < faults.timeout_rate:
            await asyncio.sleep(faults.timeout_hang_seconds)
        return response
    finally:
        gateway.throttle.leave()


async def _simulate_latency(faults: FaultSettings) -> None:
    delay_ms: float = faults.latency_ms
    if faults.jitter_ms:
        delay_ms += random.uniform(-faults.jitter_ms, faults.jitter_ms)
    if delay_ms > 0:
        await asyncio.sleep(delay_ms / 1000)


def _drop_connection(request: web.Request) -> None:
    transport = request.transport
    if transport is not None:
        transport.abort()


def build_app(
    config: SandboxConfig, *, gateways: list[SimulatedGateway] | None = None
) -> web.Application:
    """Build the sandbox application with both gateways unless told otherwise."""
    from payments.sandbox import controls, pages

    sandbox = Sandbox(config)
    for gateway in gateways if gateways is not None else default_gateways(sandbox):
        sandbox.add_gateway(gateway)
    app = web.Application(middlewares=[gateway_faults], client_max_size=1024**2)
    app[SANDBOX_KEY] = sandbox
    app.add_routes(controls.routes())
    app.add_routes(pages.routes())
    for gateway in sandbox.gateways:
        app.add_routes(gateway.routes())
    app.cleanup_ctx.append(_background_work)
    return app


def default_gateways(sandbox: Sandbox) -> list[SimulatedGateway]:
    from payments.sandbox.cloudpayments import CloudPaymentsGateway
    from payments.sandbox.stripe import StripeGateway

    return [CloudPaymentsGateway(sandbox), StripeGateway(sandbox)]


async def _background_work(app: web.Application) -> AsyncIterator[None]:
    sandbox = app[SANDBOX_KEY]
    jobs = [sandbox.outbox.run()]
    for gateway in sandbox.gateways:
        jobs.extend(job() for job in gateway.background_jobs())
    tasks = [asyncio.create_task(job) for job in jobs]
    yield
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError):
            await task
