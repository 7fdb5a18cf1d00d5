"""Sandbox-only CloudPayments helpers under `/__sandbox/cp/` [SANDBOX]."""

from __future__ import annotations

from aiohttp import web

from payments.sandbox.cloudpayments.cryptogram import (
    InvalidCryptogram,
    encode_cryptogram,
)
from payments.sandbox.cloudpayments.params import BadRequest, Params


def routes() -> list[web.RouteDef]:
    return [web.post("/__sandbox/cp/cryptogram", make_cryptogram)]


async def make_cryptogram(request: web.Request) -> web.Response:
    """`{number, exp, cvv, name?}` → `{"CardCryptogramPacket": "sbx1:…"}` (A6)."""
    try:
        params = Params.parse(await request.read(), request.content_type)
        packet = encode_cryptogram(
            number=params.required_text("number"),
            exp=params.required_text("exp"),
            cvv=params.required_text("cvv"),
            name=params.text("name") or "",
        )
    except BadRequest as exc:
        return web.json_response({"error": exc.message}, status=400)
    except InvalidCryptogram as exc:
        return web.json_response({"error": str(exc)}, status=400)
    return web.json_response({"CardCryptogramPacket": packet})
