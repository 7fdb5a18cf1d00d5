"""The sandbox server: one aiohttp application for both gateways and the controls."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import web

from gateway_sandbox.clock import SandboxClock
from gateway_sandbox.credentials import SANDBOX_CREDENTIALS
from gateway_sandbox.deliveries import DeliveryHooks, Outbox
from gateway_sandbox.faults import FaultSettings
from gateway_sandbox.gateway import SimulatedGateway
from gateway_sandbox.ledger import Ledger
from gateway_sandbox.snapshots import JsonObject, Record, StateFile, UnreadableState

if TYPE_CHECKING:
    from gateway_sandbox.shipping import SimulatedShippingPartner

logger = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(slots=True)
class SandboxConfig:
    """Credentials the sandbox accepts, where it sends notifications, its knobs."""

    # Well-known sandbox credentials, matching the service's development defaults.
    cloudpayments_public_id: str = SANDBOX_CREDENTIALS["CLOUDPAYMENTS_PUBLIC_ID"]
    cloudpayments_api_secret: str = SANDBOX_CREDENTIALS["CLOUDPAYMENTS_API_SECRET"]
    stripe_secret_key: str = SANDBOX_CREDENTIALS["STRIPE_SECRET_KEY"]
    stripe_publishable_key: str = SANDBOX_CREDENTIALS["STRIPE_PUBLISHABLE_KEY"]
    stripe_webhook_secret: str = SANDBOX_CREDENTIALS["STRIPE_WEBHOOK_SECRET"]
    shipping_api_key: str = SANDBOX_CREDENTIALS["SHOP_SHIPPING_API_KEY"]
    # Base address of the service's CloudPayments notification endpoints; each type is
    # posted to `<base><type>/`, e.g. `.../webhooks/cloudpayments/pay/`.
    cloudpayments_notification_url: str | None = None
    # Webhook endpoint registered at start, signed with `stripe_webhook_secret`.
    stripe_webhook_url: str | None = None
    # Production CloudPayments requires TrInitiatorCode on token payments; the 2021 SDK
    # cannot send it, so the sandbox is lenient unless asked to be strict.
    strict_initiator_code: bool = False
    faults: dict[str, Any] = field(default_factory=dict)
    # The shipping partner's own knobs (`gateway_sandbox.shipping.faults`).
    shipping_faults: dict[str, Any] = field(default_factory=dict)
    # Loaded at start when it exists, saved every few seconds when the state changed
    # and at shutdown; None keeps the state in memory only (see snapshots.py).
    state_file: Path | None = None


class Sandbox:
    """The shared state of one sandbox server."""

    def __init__(self, config: SandboxConfig) -> None:
        # Imported here: its controls share `controls.py`, which imports this module.
        from gateway_sandbox.shipping import SimulatedShippingPartner

        self.config = config
        self.clock = SandboxClock()
        self.faults = FaultSettings()
        self.faults.update(config.faults)
        self.ledger = Ledger()
        self.outbox = Outbox(self.clock, self.faults)
        self.gateways: list[SimulatedGateway] = []
        # Not a gateway: no money, no notifications, and knobs of its own.
        self.shipping: SimulatedShippingPartner = SimulatedShippingPartner(
            clock=self.clock,
            api_key=config.shipping_api_key,
            start_faults=config.shipping_faults,
        )
        # Requests answered with HTTP 429, per gateway: a client that keeps to the
        # limits expects none.
        self.rate_limited: collections.Counter[str] = collections.Counter()
        self.state_file = (
            StateFile(config.state_file) if config.state_file is not None else None
        )

    def add_gateway(self, gateway: SimulatedGateway) -> None:
        self.gateways.append(gateway)

    def gateway_for(self, path: str) -> SimulatedGateway | None:
        return next((g for g in self.gateways if g.owns(path)), None)

    def reset(self) -> None:
        """Forget every payment, token, notification, shipment and fault; restart the
        clock.

        The state file is rewritten at once, so that a restart cannot bring the
        forgotten state back.
        """
        self._forget()
        self.save_state()

    def _forget(self) -> None:
        self.clock.reset()
        self.faults.update({**FaultSettings().as_json(), **self.config.faults})
        self.ledger.reset()
        self.outbox.reset()
        self.rate_limited.clear()
        for gateway in self.gateways:
            gateway.reset()
        self.shipping.reset()

    def snapshot(self) -> JsonObject:
        """The state a restart must not lose, as JSON (snapshots.py)."""
        return {
            "clock": self.clock.snapshot(),
            "ledger": self.ledger.snapshot(),
            "gateways": {gateway.name: gateway.snapshot() for gateway in self.gateways},
            "outbox": self.outbox.snapshot(),
            "shipping": self.shipping.snapshot(),
        }

    def restore(self, state: Record) -> None:
        """Replace the state with a snapshot's, all or nothing.

        :raises UnreadableState: when the snapshot cannot be taken up; the sandbox is
            then empty.
        """
        self._forget()
        try:
            self.clock.restore(state.record("clock"))
            self.ledger.restore(state.records("ledger"))
            saved = state.record("gateways")
            for gateway in self.gateways:
                if gateway.name in saved.names():
                    gateway.restore(saved.record(gateway.name))
            # After the gateways: a delivery gets its signer from its gateway.
            self.outbox.restore(state.records("outbox"), self._delivery_hooks)
            # Files written before the shipping partner existed have none.
            if "shipping" in state.names():
                self.shipping.restore(state.record("shipping"))
        except (ValueError, TypeError, KeyError, ArithmeticError) as exc:
            self._forget()
            raise UnreadableState(
                f"holds a state this sandbox cannot use: {exc}"
            ) from exc

    def _delivery_hooks(self, gateway_name: str, url: str) -> DeliveryHooks | None:
        gateway = next((g for g in self.gateways if g.name == gateway_name), None)
        return gateway.delivery_hooks(url) if gateway is not None else None

    def load_state(self) -> None:
        """Take up the state file's state; start empty when there is none or it is
        unreadable (that file is moved aside, not overwritten)."""
        if self.state_file is None:
            return
        path = self.state_file.path
        try:
            state = self.state_file.read()
            if state is not None:
                self.restore(Record(state, "state"))
        except UnreadableState as exc:
            kept = self.state_file.set_aside()
            logger.warning(
                "The sandbox state file %s %s; starting empty%s",
                path,
                exc,
                f" (the file is kept as {kept})" if kept else "",
            )
            return
        if state is None:
            logger.info("No sandbox state file at %s yet; starting empty", path)
        else:
            logger.info("Sandbox state loaded from %s", path)

    def save_state(self) -> None:
        """Write the state file now, changed or not (at shutdown and after a reset)."""
        if self.state_file is None:
            return
        try:
            self.state_file.save(self.snapshot())
        except OSError:
            logger.exception(
                "Unable to save the sandbox state",
                extra={"path": str(self.state_file.path)},
            )


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
        sandbox.rate_limited[gateway.name] += 1
        return gateway.too_many_requests()
    try:
        if random.random() < faults.rate_limit_rate:
            sandbox.rate_limited[gateway.name] += 1
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
    from gateway_sandbox import controls, pages, scripts

    sandbox = Sandbox(config)
    for gateway in gateways if gateways is not None else default_gateways(sandbox):
        sandbox.add_gateway(gateway)
    sandbox.load_state()
    app = web.Application(middlewares=[gateway_faults], client_max_size=1024**2)
    app[SANDBOX_KEY] = sandbox
    app.add_routes(controls.routes())
    app.add_routes(pages.routes())
    app.add_routes(scripts.routes())
    for gateway in sandbox.gateways:
        app.add_routes(gateway.routes())
    app.add_routes(sandbox.shipping.routes())
    app.cleanup_ctx.append(_background_work)
    return app


def default_gateways(sandbox: Sandbox) -> list[SimulatedGateway]:
    from gateway_sandbox.cloudpayments import SimulatedCloudPayments
    from gateway_sandbox.stripe import SimulatedStripe

    return [SimulatedCloudPayments(sandbox), SimulatedStripe(sandbox)]


async def _background_work(app: web.Application) -> AsyncIterator[None]:
    sandbox = app[SANDBOX_KEY]
    jobs = [sandbox.outbox.run()]
    if sandbox.state_file is not None:
        jobs.append(sandbox.state_file.keep_saved(sandbox.snapshot))
    for gateway in sandbox.gateways:
        jobs.extend(job() for job in gateway.background_jobs())
    tasks = [asyncio.create_task(job) for job in jobs]
    yield
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError):
            await task
    # Once nothing runs any more, so that the file holds what the last requests did.
    sandbox.save_state()
