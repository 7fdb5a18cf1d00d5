"""The 3-D Secure challenge page and its answer [SANDBOX] (GATEWAYS.md C5.4, C5.5).

`GET /__sandbox/stripe/3ds/{intent_id}` shows the issuer's page with "Complete" and
"Fail"; they post to `.../complete`, which finishes the intent and sends the browser
back to the merchant's return_url with Stripe's query. Tests post JSON
`{"result": "success" | "fail"}` to the same URL and get the intent back as JSON.
"""

from __future__ import annotations

import html
import json
from typing import TYPE_CHECKING

from aiohttp import web

from gateway_sandbox.controls import control_error
from gateway_sandbox.stripe.attempts import finish_payment_authentication
from gateway_sandbox.stripe.challenges import return_location
from gateway_sandbox.stripe.errors import StripeApiError
from gateway_sandbox.stripe.money import format_minor
from gateway_sandbox.stripe.setup_intents import finish_setup_authentication
from gateway_sandbox.stripe.wire import JsonObject

if TYPE_CHECKING:
    from gateway_sandbox.stripe.gateway import SimulatedStripe

_RESULTS = ("success", "fail")

_PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>3-D Secure — gateway sandbox</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 28rem; margin: 4rem auto; }}
form {{ display: inline-block; margin-right: .5rem; }}
button {{ font-size: 1rem; padding: .5rem 1.5rem; }}
</style></head>
<body>
<h1>3-D Secure</h1>
<p>{summary}</p>
<p>This page stands in for the card issuer's challenge.</p>
{actions}
</body>
</html>
"""
_BUTTON = """<form method="post" action="{action}">
<input type="hidden" name="result" value="{result}">
<button type="submit">{label}</button>
</form>"""


class ChallengePages:
    def __init__(self, gateway: SimulatedStripe) -> None:
        self._gateway = gateway

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/__sandbox/stripe/3ds/{intent_id}", self._page),
            web.post("/__sandbox/stripe/3ds/{intent_id}/complete", self._complete),
        ]

    def _intent(self, intent_id: str) -> JsonObject | None:
        state = self._gateway.state
        return state.payment_intents.get(intent_id) or state.setup_intents.get(
            intent_id
        )

    async def _page(self, request: web.Request) -> web.Response:
        intent_id = request.match_info["intent_id"]
        intent = self._intent(intent_id)
        if intent is None:
            return _html(f"No such intent: {intent_id}", status=404)
        summary = _describe(self._gateway, intent)
        if intent["status"] != "requires_action":
            actions = "<p>Nothing to authenticate: the intent is {}.</p>".format(
                html.escape(intent["status"])
            )
        else:
            action = f"/__sandbox/stripe/3ds/{intent_id}/complete"
            actions = _BUTTON.format(
                action=html.escape(action), result="success", label="Complete"
            ) + _BUTTON.format(action=html.escape(action), result="fail", label="Fail")
        return web.Response(
            text=_PAGE.format(summary=summary, actions=actions),
            content_type="text/html",
        )

    async def _complete(self, request: web.Request) -> web.Response:
        intent_id = request.match_info["intent_id"]
        from_browser = request.content_type != "application/json"
        result = await _read_result(request, from_browser=from_browser)
        if result not in _RESULTS:
            return control_error('result must be "success" or "fail"')
        intent = self._intent(intent_id)
        if intent is None:
            return control_error(f"no such intent: {intent_id}", status=404)
        if intent["status"] != "requires_action":
            return control_error(
                f"{intent_id} has status {intent['status']}: nothing to authenticate",
                status=409,
            )
        return_url = self._gateway.state.return_urls.get(intent_id)
        call = self._gateway.new_call(request)
        try:
            if intent["object"] == "payment_intent":
                finish_payment_authentication(call, intent, passed=result == "success")
            else:
                finish_setup_authentication(call, intent, passed=result == "success")
        except StripeApiError as error:
            # E.g. the card was attached to another customer while the page was open.
            return control_error(error.message, status=409)
        if not from_browser:
            return web.json_response(intent)
        if return_url is not None:
            raise web.HTTPSeeOther(return_location(return_url, intent))
        return _html(f"Authentication finished: the intent is {intent['status']}.")


async def _read_result(request: web.Request, *, from_browser: bool) -> object:
    if from_browser:
        form = await request.post()
        return form.get("result")
    try:
        data = json.loads(await request.read() or b"{}")
    except (ValueError, UnicodeDecodeError):
        return None
    return data.get("result") if isinstance(data, dict) else None


def _describe(gateway: SimulatedStripe, intent: JsonObject) -> str:
    pm_id = intent.get("payment_method")
    payment_method = gateway.state.payment_methods.get(pm_id) if pm_id else None
    card = (
        f"{payment_method['card']['brand']} •••• {payment_method['card']['last4']}"
        if payment_method
        else "a card"
    )
    if intent["object"] == "payment_intent":
        what = f"Pay {format_minor(intent['amount'], intent['currency'])} with {card}"
    else:
        what = f"Save {card} for later payments"
    return html.escape(f"{what} ({intent['id']}).")


def _html(message: str, *, status: int = 200) -> web.Response:
    return web.Response(
        text=_PAGE.format(summary=html.escape(message), actions=""),
        content_type="text/html",
        status=status,
    )
