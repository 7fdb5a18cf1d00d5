"""The partner's API under `/shipping/v1/`: a bearer key, `Idempotency-Key`, JSON.

`POST /shipping/v1/shipments` registers a shipment once per idempotency key: the
same key again answers the first shipment (200, `Idempotent-Replayed: true`), the
same key with another body is refused (409). `GET /shipping/v1/shipments?reference=`
lists registrations. Errors are `{"error": {"code", "message", "param"}}`. The knobs
(`faults.py`) strike before anything is read but the body, so a 503, 429 or 504
leaves no trace and a retry runs afresh.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from aiohttp import web

from gateway_sandbox.replay import StoredReply
from gateway_sandbox.shipping.faults import Fate
from gateway_sandbox.shipping.params import InvalidShipment, parse_shipment

if TYPE_CHECKING:
    from gateway_sandbox.shipping.partner import SimulatedShippingPartner

logger = logging.getLogger(__name__)

SHIPMENTS_PATH = "/shipping/v1/shipments"
MAX_KEY_LENGTH = 255
CONTENT_TYPE = "application/json"


def error(
    status: int,
    code: str,
    message: str,
    *,
    param: str | None = None,
    headers: dict[str, str] | None = None,
) -> web.Response:
    return web.json_response(
        {"error": {"code": code, "message": message, "param": param}},
        status=status,
        headers=headers,
    )


class ShippingApi:
    def __init__(self, partner: SimulatedShippingPartner) -> None:
        self._partner = partner
        # Unexpected exceptions by request line, for tests to assert there were none.
        self.internal_errors: list[str] = []

    def routes(self) -> list[web.RouteDef]:
        return [
            web.post(SHIPMENTS_PATH, self.register),
            web.get(SHIPMENTS_PATH, self.list_shipments),
            web.route("*", "/shipping/{tail:.*}", self.unknown),
        ]

    async def register(self, request: web.Request) -> web.Response:
        # Read before the dice roll and the registration, which then run with no
        # pause between them: a concurrent repeat cannot register a second time.
        raw = await request.read()
        return await self._under_faults(request, lambda: self._register(request, raw))

    async def list_shipments(self, request: web.Request) -> web.Response:
        return await self._under_faults(request, lambda: self._list(request))

    async def unknown(self, request: web.Request) -> web.Response:
        if request.path == SHIPMENTS_PATH:
            return error(
                405,
                "method_not_allowed",
                f"{request.method} is not allowed here; use GET or POST",
                headers={"Allow": "GET, POST"},
            )
        return error(404, "not_found", f"no such endpoint: {request.path}")

    async def _under_faults(
        self, request: web.Request, carry_out: Callable[[], web.Response]
    ) -> web.Response:
        partner = self._partner
        fate = partner.dice.roll()
        partner.count("requests", fate.value)
        if fate is Fate.FAILED:
            return error(503, "unavailable", "The shipping partner is unavailable.")
        if fate is Fate.RATE_LIMITED:
            return error(
                429,
                "rate_limited",
                "Too many requests; try again later.",
                headers={"Retry-After": "1"},
            )
        hold = partner.faults.timeout_seconds
        if fate is Fate.TIMED_OUT:
            await asyncio.sleep(hold)
            return error(504, "timeout", "The request timed out; nothing was done.")
        response = self._guarded(request, carry_out)
        if fate is Fate.TIMED_OUT_CARRIED_OUT:
            await asyncio.sleep(hold)
        return response

    def _guarded(
        self, request: web.Request, carry_out: Callable[[], web.Response]
    ) -> web.Response:
        try:
            response = carry_out()
        except Exception:
            logger.exception(
                "Unable to answer a shipping partner request",
                extra={"method": request.method, "path": request.path},
            )
            self.internal_errors.append(f"{request.method} {request.path}")
            return error(500, "internal_error", "The shipping partner failed.")
        if 400 <= response.status < 500:
            self._partner.count("refused")
        return response

    def _register(self, request: web.Request, raw: bytes) -> web.Response:
        if not self._is_authorized(request):
            return _unauthorized()
        key = request.headers.get("Idempotency-Key", "")
        if not key.strip():
            return error(
                400,
                "idempotency_key_missing",
                "The Idempotency-Key header is required: the partner registers a "
                "shipment once per key.",
            )
        if len(key) > MAX_KEY_LENGTH:
            return error(
                400,
                "idempotency_key_invalid",
                f"The Idempotency-Key may be at most {MAX_KEY_LENGTH} characters.",
            )
        try:
            asked = parse_shipment(raw)
        except InvalidShipment as exc:
            return error(400, "invalid_request", exc.message, param=exc.param)
        partner = self._partner
        now = partner.clock.now()
        cache_key = (partner.api_key, key)
        fingerprint = asked.fingerprint()
        stored = partner.replays.lookup(cache_key, now=now)
        if stored is not None:
            if stored.fingerprint != fingerprint:
                return error(
                    409,
                    "idempotency_key_reused",
                    "This Idempotency-Key registered another shipment; a new "
                    "shipment needs a new key.",
                )
            partner.count("replayed")
            return web.Response(
                status=200,
                body=stored.body,
                content_type=CONTENT_TYPE,
                headers={"Idempotent-Replayed": "true"},
            )
        shipment = partner.book.register(asked, idempotency_key=key, now=now)
        body = json.dumps(shipment.public_json()).encode()
        partner.replays.store(
            cache_key,
            StoredReply(
                status=201,
                body=body,
                content_type=CONTENT_TYPE,
                fingerprint=fingerprint,
                request_id=shipment.shipment_id,
                stored_at=now,
            ),
        )
        partner.count("registered")
        return web.Response(status=201, body=body, content_type=CONTENT_TYPE)

    def _list(self, request: web.Request) -> web.Response:
        if not self._is_authorized(request):
            return _unauthorized()
        reference = request.query.get("reference")
        if reference is not None and not reference.strip():
            return error(
                400,
                "invalid_request",
                "reference must not be empty",
                param="reference",
            )
        shipments = self._partner.book.shipments(reference=reference)
        return web.json_response(
            {"shipments": [shipment.public_json() for shipment in shipments]}
        )

    def _is_authorized(self, request: web.Request) -> bool:
        scheme, _, key = request.headers.get("Authorization", "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(
            key.strip().encode(), self._partner.api_key.encode()
        )


def _unauthorized() -> web.Response:
    return error(
        401,
        "unauthorized",
        "Give the partner's API key as `Authorization: Bearer <key>`.",
        headers={"WWW-Authenticate": 'Bearer realm="shipping"'},
    )
