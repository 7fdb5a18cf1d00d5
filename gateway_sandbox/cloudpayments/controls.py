"""Sandbox-only CloudPayments helpers under `/__sandbox/cp/` [SANDBOX]."""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web

from gateway_sandbox.cloudpayments.cards import TEST_CARDS
from gateway_sandbox.cloudpayments.cryptogram import (
    InvalidCryptogram,
    decode_cryptogram,
    encode_cryptogram,
)
from gateway_sandbox.cloudpayments.params import BadRequest, Params
from gateway_sandbox.cloudpayments.tokens import TokenStore

# Accounts per token request: a load test's payers go in a few requests, each well
# under the server's 1 MiB body limit.
MAX_TOKEN_ACCOUNTS = 10_000


def routes(*, tokens: TokenStore, public_id: Callable[[], str]) -> list[web.RouteDef]:
    return [
        web.post("/__sandbox/cp/cryptogram", make_cryptogram),
        web.post("/__sandbox/cp/tokens", _TokenIssuer(tokens, public_id).issue),
    ]


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


class _TokenIssuer:
    def __init__(self, tokens: TokenStore, public_id: Callable[[], str]) -> None:
        self._tokens = tokens
        self._public_id = public_id

    async def issue(self, request: web.Request) -> web.Response:
        """`{CardCryptogramPacket, account_ids}` → `{"tokens": {account: token}}`.

        The token each account would get from a first payment with this test card,
        issued without one (seeding many saved cards for a load test): no money
        moves, no transaction or notification is made. Charges check the tokens as
        they check any other.
        """
        try:
            params = Params.parse(await request.read(), request.content_type)
            card = decode_cryptogram(params.required_text("CardCryptogramPacket"))
        except BadRequest as exc:
            return web.json_response({"error": exc.message}, status=400)
        except InvalidCryptogram as exc:
            return web.json_response({"error": str(exc)}, status=400)
        accounts = params.raw("account_ids")
        if (
            not isinstance(accounts, list)
            or not all(isinstance(a, str) and a for a in accounts)
            or not 0 < len(accounts) <= MAX_TOKEN_ACCOUNTS
        ):
            return web.json_response(
                {
                    "error": "account_ids must be a list of 1 to "
                    f"{MAX_TOKEN_ACCOUNTS} non-empty strings"
                },
                status=400,
            )
        if card.number not in TEST_CARDS:
            return web.json_response({"error": "not a test card"}, status=400)
        public_id = self._public_id()
        issued = {
            account: self._tokens.issue(
                card=card, account_id=account, public_id=public_id
            )
            for account in accounts
        }
        return web.json_response({"tokens": issued})
