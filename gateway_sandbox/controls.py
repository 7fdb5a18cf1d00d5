"""`/__sandbox/` controls shared by both gateways (the project's own contract)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from aiohttp import web

from gateway_sandbox.app import get_sandbox
from gateway_sandbox.deliveries import Delivery
from gateway_sandbox.discrepancies import (
    KnobRefused,
    ReconciliationKnobs,
    parse_discrepancy,
    parse_seed,
)
from gateway_sandbox.faults import InvalidFaultSetting


def routes() -> list[web.RouteDef]:
    return [
        web.get("/__sandbox/health", health),
        web.post("/__sandbox/reset", reset),
        web.get("/__sandbox/clock", show_clock),
        web.post("/__sandbox/clock", move_clock),
        web.get("/__sandbox/faults", show_faults),
        web.post("/__sandbox/faults", change_faults),
        web.get("/__sandbox/ledger", show_ledger),
        web.post("/__sandbox/discrepancies", make_discrepancy),
        web.post("/__sandbox/seed-payments", seed_payments),
        web.get("/__sandbox/stats", show_stats),
        web.get("/__sandbox/notifications", notification_log),
        web.post("/__sandbox/notifications/flush", flush_notifications),
        web.post("/__sandbox/notifications/settings", notification_settings),
        web.get("/__sandbox/cp/notifications", notification_log),
        web.post("/__sandbox/cp/notifications/flush", flush_notifications),
        web.get("/__sandbox/stripe/webhooks", notification_log),
        web.post("/__sandbox/stripe/webhooks/flush", flush_notifications),
    ]


# 10,000 seeded payments as JSON pass the server's usual 1 MiB body limit.
SEED_BODY_LIMIT = 8 * 1024**2


def control_error(message: str, status: int = 400) -> web.Response:
    return web.json_response({"error": message}, status=status)


async def read_json_object(request: web.Request) -> dict[str, Any]:
    """The control request's JSON object body (an empty body is an empty object).

    :raises web.HTTPBadRequest: when the body is not a JSON object.
    """
    raw = await request.read()
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise web.HTTPBadRequest(
            text=json.dumps({"error": f"malformed JSON: {exc}"}),
            content_type="application/json",
        ) from exc
    if not isinstance(data, dict):
        raise web.HTTPBadRequest(
            text=json.dumps({"error": "the body must be a JSON object"}),
            content_type="application/json",
        )
    return data


async def health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def reset(request: web.Request) -> web.Response:
    get_sandbox(request).reset()
    return web.json_response({"reset": True})


async def show_clock(request: web.Request) -> web.Response:
    return web.json_response(get_sandbox(request).clock.describe())


async def move_clock(request: web.Request) -> web.Response:
    """`{"advance_seconds": N}` or `{"now": ISO-8601, "frozen": bool}`."""
    clock = get_sandbox(request).clock
    data = await read_json_object(request)
    if "advance_seconds" in data:
        seconds = data["advance_seconds"]
        if isinstance(seconds, bool) or not isinstance(seconds, int | float):
            return control_error("advance_seconds must be a number")
        if seconds < 0:
            return control_error("the clock only moves forward")
        clock.advance(seconds)
    elif "now" in data:
        try:
            moment = dt.datetime.fromisoformat(str(data["now"]).replace("Z", "+00:00"))
        except ValueError:
            return control_error("now must be an ISO-8601 date and time")
        if moment.tzinfo is None:
            return control_error("now must carry a time zone offset")
        clock.set(moment, frozen=bool(data.get("frozen", False)))
    else:
        return control_error("give advance_seconds or now")
    return web.json_response(clock.describe())


async def show_faults(request: web.Request) -> web.Response:
    return web.json_response(get_sandbox(request).faults.as_json())


async def change_faults(request: web.Request) -> web.Response:
    faults = get_sandbox(request).faults
    try:
        faults.update(await read_json_object(request))
    except InvalidFaultSetting as exc:
        return control_error(str(exc))
    return web.json_response(faults.as_json())


async def show_ledger(request: web.Request) -> web.Response:
    sandbox = get_sandbox(request)
    query = request.query
    entries = sandbox.ledger.entries(
        gateway=query.get("gateway"),
        account_id=query.get("account_id"),
        invoice_id=query.get("invoice_id"),
        reference=query.get("reference"),
    )
    return web.json_response(
        {
            "entries": [entry.as_json() for entry in entries],
            "totals": sandbox.ledger.totals(entries),
        }
    )


def _knobs(request: web.Request, data: dict[str, Any]) -> ReconciliationKnobs:
    """:raises KnobRefused: when `gateway` names none of the sandbox's gateways."""
    name = data.get("gateway")
    sandbox = get_sandbox(request)
    gateway = next((g for g in sandbox.gateways if g.name == name), None)
    if gateway is None:
        names = ", ".join(f'"{g.name}"' for g in sandbox.gateways)
        raise KnobRefused(f"gateway must be one of {names}")
    return gateway.reconciliation_knobs()


async def make_discrepancy(request: web.Request) -> web.Response:
    """`{"gateway", "kind", ...}` → `{"gateway", "kind", "id"}` (discrepancies.py)."""
    data = await read_json_object(request)
    try:
        knobs = _knobs(request, data)
        made = knobs.make(parse_discrepancy(data))
    except KnobRefused as exc:
        return control_error(exc.message, exc.status)
    return web.json_response(
        {"gateway": data["gateway"], "kind": data["kind"], "id": made}
    )


async def seed_payments(request: web.Request) -> web.Response:
    """`{"gateway", "payments": [...]}` → `{"ids": [...]}`, in the given order."""
    data = await read_json_object(request.clone(client_max_size=SEED_BODY_LIMIT))
    try:
        knobs = _knobs(request, data)
        ids = knobs.seed(parse_seed(data))
    except KnobRefused as exc:
        return control_error(exc.message, exc.status)
    return web.json_response({"gateway": data["gateway"], "ids": ids})


async def show_stats(request: web.Request) -> web.Response:
    """How many requests each gateway refused with HTTP 429 since the last reset."""
    sandbox = get_sandbox(request)
    return web.json_response(
        {
            "rate_limited": {
                g.name: sandbox.rate_limited[g.name] for g in sandbox.gateways
            }
        }
    )


def _gateway_of(request: web.Request) -> str | None:
    if request.path.startswith("/__sandbox/cp/"):
        return "cloudpayments"
    if request.path.startswith("/__sandbox/stripe/"):
        return "stripe"
    return request.query.get("gateway")


def _log_json(deliveries: list[Delivery]) -> dict[str, Any]:
    return {"deliveries": [delivery.as_json() for delivery in deliveries]}


async def notification_log(request: web.Request) -> web.Response:
    outbox = get_sandbox(request).outbox
    return web.json_response(_log_json(outbox.log(_gateway_of(request))))


async def flush_notifications(request: web.Request) -> web.Response:
    outbox = get_sandbox(request).outbox
    return web.json_response(_log_json(await outbox.flush(_gateway_of(request))))


async def notification_settings(request: web.Request) -> web.Response:
    """`{"auto_deliver": bool}`: pause background delivery to drive it with flush."""
    outbox = get_sandbox(request).outbox
    data = await read_json_object(request)
    if "auto_deliver" in data:
        if not isinstance(data["auto_deliver"], bool):
            return control_error("auto_deliver must be true or false")
        outbox.auto_deliver = data["auto_deliver"]
    return web.json_response({"auto_deliver": outbox.auto_deliver})
