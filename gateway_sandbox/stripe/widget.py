"""`POST /__sandbox/stripe/payment_methods` [SANDBOX]: the card widget's tokenizer.

Stripe.js turns typed-in card details into a PaymentMethod in the browser; the
sandbox's card page does the same through this JSON endpoint. Card numbers and CVCs
pass through memory only: they are never logged or stored (only last4 and brand are).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from gateway_sandbox.controls import read_json_object
from gateway_sandbox.stripe.cards import CardRefused
from gateway_sandbox.stripe.payment_methods import (
    billing_details_object,
    card_refused_error,
    create_card_payment_method,
)

if TYPE_CHECKING:
    from gateway_sandbox.stripe.gateway import SimulatedStripe


class CardTokenizer:
    def __init__(self, gateway: SimulatedStripe) -> None:
        self._gateway = gateway

    def routes(self) -> list[web.RouteDef]:
        return [web.post("/__sandbox/stripe/payment_methods", self._create)]

    async def _create(self, request: web.Request) -> web.Response:
        """`{"number", "exp_month", "exp_year", "cvc"}` → `{"id": "pm_…", "card"}`."""
        try:
            data = await read_json_object(request)
        except web.HTTPBadRequest:
            return _invalid(None, "The body must be a JSON object.")
        number = data.get("number")
        if not isinstance(number, str) or not number.strip():
            return _invalid("number", "Missing required param: number.")
        expiry: dict[str, int] = {}
        for name in ("exp_month", "exp_year"):
            value = data.get(name)
            if isinstance(value, str) and value.strip().isdigit():
                value = int(value)
            if isinstance(value, bool) or not isinstance(value, int):
                return _invalid(name, f"{name} must be a whole number.")
            expiry[name] = value
        cvc = data.get("cvc")
        if isinstance(cvc, int) and not isinstance(cvc, bool):
            cvc = str(cvc)
        if cvc is not None and not isinstance(cvc, str):
            return _invalid("cvc", "cvc must be a string of digits.")
        call = self._gateway.new_call(request)
        try:
            payment_method = create_card_payment_method(
                call,
                number=number,
                exp_month=expiry["exp_month"],
                exp_year=expiry["exp_year"],
                cvc=cvc or None,
                billing_details=billing_details_object(None),
                metadata={},
            )
        except CardRefused as refused:
            error = card_refused_error(refused, param_prefix="")
            return web.json_response(error.as_json(None), status=error.status)
        card = payment_method["card"]
        return web.json_response(
            {
                "id": payment_method["id"],
                "card": {
                    name: card[name]
                    for name in ("brand", "last4", "exp_month", "exp_year")
                },
            }
        )


def _invalid(param: str | None, message: str) -> web.Response:
    return web.json_response(
        {
            "error": {
                "type": "invalid_request_error",
                "message": message,
                "param": param,
            }
        },
        status=400,
    )
