"""What every CloudPayments API call shares (GATEWAYS.md A1): Basic auth, the
`Success`/`Message`/`Model` envelope, `X-Request-ID` replay, and a guard that turns an
unexpected failure into an envelope instead of a traceback.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import datetime as dt
import hmac
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import simplejson
from aiohttp import web

from gateway_sandbox.cloudpayments.params import BadRequest, Params
from gateway_sandbox.cloudpayments.processing import OperationRefused
from gateway_sandbox.replay import ReplayCache, StoredReply

if TYPE_CHECKING:
    from gateway_sandbox.app import Sandbox

logger = logging.getLogger(__name__)

# Repeats with the same X-Request-ID get the first answer for an hour [DOC].
REPLAY_TTL = dt.timedelta(hours=1)
# A repeat that arrives while the first request still runs waits for its answer.
REPLAY_WAIT_SECONDS = 60.0
CONTENT_TYPE = "application/json"
INTERNAL_ERROR = "Internal error"


class _Absent:
    """Marks an answer without a `Model` key (bad requests must not carry one)."""

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT: Any = _Absent()


@dataclass(frozen=True, slots=True)
class Answer:
    success: bool
    message: str | None = None
    model: Any = ABSENT

    @classmethod
    def refused(cls, message: str) -> Answer:
        return cls(success=False, message=message)

    def body(self) -> bytes:
        payload: dict[str, Any] = {}
        if self.model is not ABSENT:
            payload["Model"] = self.model
        payload["Success"] = self.success
        # Always present: the SDK reads response['Message'] directly.
        payload["Message"] = self.message
        # simplejson writes Decimal amounts as exact JSON numbers (no float on the way).
        return simplejson.dumps(payload, ensure_ascii=False).encode("utf-8")


Endpoint = Callable[[Params, web.Request], Awaitable[Answer]]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Transport:
    def __init__(self, sandbox: Sandbox) -> None:
        self._sandbox = sandbox
        self.replays = ReplayCache(REPLAY_TTL)
        # Unexpected exceptions still answer an envelope, so a client never sees a
        # traceback; they are logged and kept here for tests to assert on.
        self.internal_errors: list[str] = []

    def reset(self) -> None:
        self.replays.reset()
        self.internal_errors.clear()

    def is_authorized(self, request: web.Request) -> bool:
        scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return False
        public_id, separator, secret = decoded.partition(":")
        config = self._sandbox.config
        id_matches = hmac.compare_digest(
            public_id.encode(), config.cloudpayments_public_id.encode()
        )
        secret_matches = hmac.compare_digest(
            secret.encode(), config.cloudpayments_api_secret.encode()
        )
        return bool(separator) and id_matches and secret_matches

    def endpoint(self, endpoint: Endpoint) -> Handler:
        async def handle(request: web.Request) -> web.StreamResponse:
            if not self.is_authorized(request):
                # An empty body, as the real gateway sends: the SDK fails to parse it.
                return web.Response(status=401)
            request_id = request.headers.get("X-Request-ID")
            if not request_id:
                return _respond((await self._answer(endpoint, request)).body())
            key = (
                self._sandbox.config.cloudpayments_public_id,
                request_id,
                request.path,
            )
            stored = await self._stored_reply(key)
            if stored is not None:
                return web.Response(
                    body=stored.body,
                    status=stored.status,
                    content_type=CONTENT_TYPE,
                    charset="utf-8",
                )
            self.replays.begin(key)
            try:
                answer = await self._answer(endpoint, request)
            except BaseException:
                self.replays.abandon(key)
                raise
            body = answer.body()
            if answer.message == INTERNAL_ERROR:
                # Not a complete answer: a retry with the same id deserves a new try.
                self.replays.abandon(key)
            else:
                self.replays.store(
                    key,
                    StoredReply(
                        status=200,
                        body=body,
                        content_type=CONTENT_TYPE,
                        # CloudPayments does not compare repeated bodies [INFERRED].
                        fingerprint="",
                        request_id=request_id,
                        stored_at=self._sandbox.clock.now(),
                    ),
                )
            return _respond(body)

        return handle

    async def _stored_reply(self, key: tuple[str, str, str]) -> StoredReply | None:
        waited = 0.0
        while self.replays.is_in_flight(key) and waited < REPLAY_WAIT_SECONDS:
            await asyncio.sleep(0.05)
            waited += 0.05
        return self.replays.lookup(key, now=self._sandbox.clock.now())

    async def _answer(self, endpoint: Endpoint, request: web.Request) -> Answer:
        try:
            params = Params.parse(await request.read(), request.content_type)
            return await endpoint(params, request)
        except (BadRequest, OperationRefused) as exc:
            return Answer.refused(exc.message)
        except Exception as exc:
            logger.exception(
                "Unable to handle a CloudPayments request", extra={"path": request.path}
            )
            self.internal_errors.append(f"{request.path}: {type(exc).__name__}: {exc}")
            return Answer.refused(INTERNAL_ERROR)


def _respond(body: bytes) -> web.Response:
    return web.Response(body=body, content_type=CONTENT_TYPE, charset="utf-8")
