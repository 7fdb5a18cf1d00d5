"""The sandbox's 3-D Secure ACS (GATEWAYS.md A4) [SANDBOX].

`POST /__sandbox/cp/acs` is what a merchant page's form reaches with `MD`, `PaReq` and
`TermUrl`. Given `result=success|fail` (query or form) the page posts `MD` and `PaRes`
back to `TermUrl` by itself, so a scripted browser needs no clicks; without `result` it
shows a person two buttons, "Authenticate" and "Fail authentication".
`POST /__sandbox/cp/acs/complete {TransactionId, result}` skips the browser altogether.

PaRes is `base64url(JSON{"t": TransactionId, "r": result}) + "." + MAC`, the MAC keyed
by a secret of this process, so a PaRes cannot be made for another transaction.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import html
import json
import secrets
import urllib.parse
from typing import Literal

from aiohttp import web

from gateway_sandbox.cloudpayments.params import BadRequest, Params
from gateway_sandbox.cloudpayments.store import TransactionStore
from gateway_sandbox.cloudpayments.transactions import Status

Result = Literal["success", "fail"]
RESULTS: tuple[Result, ...] = ("success", "fail")

_KEY = secrets.token_bytes(32)
_MAC_LENGTH = 16


def _mac(payload: str) -> str:
    return hmac.new(_KEY, payload.encode(), hashlib.sha256).hexdigest()[:_MAC_LENGTH]


def make_pa_res(transaction_id: int, result: Result) -> str:
    data = json.dumps({"t": transaction_id, "r": result}, separators=(",", ":"))
    payload = base64.urlsafe_b64encode(data.encode()).rstrip(b"=").decode()
    return f"{payload}.{_mac(payload)}"


def read_pa_res(pa_res: str, *, transaction_id: int) -> Result | None:
    """The ACS's verdict for this transaction, or None for a forged or garbled PaRes."""
    payload, _, mac = pa_res.strip().partition(".")
    if not hmac.compare_digest(mac, _mac(payload)):
        return None
    try:
        raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
        data = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    if not isinstance(data, dict) or data.get("t") != transaction_id:
        return None
    result = data.get("r")
    return result if result in RESULTS else None


def _parse_result(value: str | None) -> Result | None:
    """:raises BadRequest: for a value other than success or fail."""
    if value is None:
        return None
    for result in RESULTS:
        if value.strip().lower() == result:
            return result
    raise BadRequest("result must be success or fail")


class Acs:
    def __init__(self, store: TransactionStore) -> None:
        self._store = store

    def routes(self) -> list[web.RouteDef]:
        return [
            web.post("/__sandbox/cp/acs", self.page),
            web.post("/__sandbox/cp/acs/complete", self.complete),
        ]

    async def page(self, request: web.Request) -> web.Response:
        form = await request.post()
        md, pa_req, term_url = (
            str(form.get(name, "")).strip() for name in ("MD", "PaReq", "TermUrl")
        )
        try:
            result = _parse_result(
                request.query.get("result") or _str(form.get("result"))
            )
        except BadRequest as exc:
            return _error_page(exc.message)
        if urllib.parse.urlsplit(term_url).scheme not in ("http", "https"):
            return _error_page("TermUrl must be an http(s) address")
        transaction = self._store.get(int(md)) if md.isdigit() else None
        if (
            transaction is None
            or transaction.status is not Status.AWAITING_AUTHENTICATION
            or not hmac.compare_digest(pa_req, transaction.pa_req or "")
        ):
            return _error_page("No authentication is pending for this MD and PaReq")
        if result is not None:
            body = _auto_submit_page(term_url, md, make_pa_res(transaction.id, result))
        else:
            body = _choice_page(
                term_url,
                md,
                amount=f"{transaction.amount} {transaction.currency.code}",
                last_four=transaction.card.last_four,
                success=make_pa_res(transaction.id, "success"),
                fail=make_pa_res(transaction.id, "fail"),
            )
        return web.Response(text=body, content_type="text/html", charset="utf-8")

    async def complete(self, request: web.Request) -> web.Response:
        try:
            params = Params.parse(await request.read(), request.content_type)
            transaction_id = params.required_integer("TransactionId")
            result = _parse_result(params.text("result")) or "success"
        except BadRequest as exc:
            return web.json_response({"error": exc.message}, status=400)
        transaction = self._store.get(transaction_id)
        if (
            transaction is None
            or transaction.status is not Status.AWAITING_AUTHENTICATION
        ):
            return web.json_response(
                {"error": f"no authentication is pending for {transaction_id}"},
                status=404,
            )
        return web.json_response({"PaRes": make_pa_res(transaction_id, result)})


def _str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;"
    "padding:0 1rem;color:#222}button{font-size:1rem;padding:.6rem 1rem;margin:.3rem}"
    ".fail button{background:#fdd}"
)


def _document(title: str, body: str) -> str:
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body>{body}</body></html>"
    )


def _hidden(name: str, value: str) -> str:
    return (
        f"<input type='hidden' name='{html.escape(name)}' "
        f"value='{html.escape(value, quote=True)}'>"
    )


def _return_form(term_url: str, md: str, pa_res: str, label: str, **attrs: str) -> str:
    extra = "".join(f" {key}='{html.escape(value)}'" for key, value in attrs.items())
    return (
        f"<form method='post' action='{html.escape(term_url, quote=True)}'{extra}>"
        f"{_hidden('MD', md)}{_hidden('PaRes', pa_res)}"
        f"<button type='submit'>{html.escape(label)}</button></form>"
    )


def _auto_submit_page(term_url: str, md: str, pa_res: str) -> str:
    form = _return_form(term_url, md, pa_res, "Continue", id="acs-return")
    script = "<script>document.getElementById('acs-return').submit();</script>"
    return _document("3-D Secure", f"<p>Returning to the shop…</p>{form}{script}")


def _choice_page(
    term_url: str, md: str, *, amount: str, last_four: str, success: str, fail: str
) -> str:
    return _document(
        "3-D Secure (sandbox)",
        "<h1>3-D Secure</h1>"
        f"<p>Payment of {html.escape(amount)} with the card ending "
        f"{html.escape(last_four)}.</p>"
        + _return_form(term_url, md, success, "Authenticate")
        + _return_form(term_url, md, fail, "Fail authentication", **{"class": "fail"}),
    )


def _error_page(message: str) -> web.Response:
    body = _document("3-D Secure error", f"<p>{html.escape(message)}</p>")
    return web.Response(
        text=body, status=400, content_type="text/html", charset="utf-8"
    )
