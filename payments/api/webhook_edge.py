"""Gateway webhooks on the ASGI edge: the contract of `webhooks`, at a lower cost.

The same answers as the Django views, for the same requests: 405 with `Allow:
POST` for other methods, 404 for an unknown CloudPayments type, 413 over 1 MiB
(the declared length first, then a bounded read), 401 `invalid_signature` with
nothing stored, 400 `malformed_webhook`, and `{"code": 0}` / `{"received": true}`
for a stored or repeated message. What differs is the way there: no Django
request, middleware or URL resolver, and the row written by the edge's intake
(`EdgeIntake`), in batches on PostgreSQL.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Final

from billing.errors import DomainError
from kit.api.errors import error_body
from kit.asgi import JSON_HEADERS, Receive, Request, json_body, read_body
from payments.api.webhooks import (
    CLOUDPAYMENTS_KINDS,
    MAX_BODY_BYTES,
    NOT_POST,
    TOO_LARGE,
)
from payments.services import (
    CheckAnswer,
    EdgeIntake,
    InvalidWebhookSignature,
    MalformedWebhook,
)

logger = logging.getLogger(__name__)

WEBHOOKS_PATH: Final = "/webhooks/"
# The URLs of `webhook_urls`: a CloudPayments type is a slug, as Django's converter.
_CLOUDPAYMENTS_PATH: Final = re.compile(r"/webhooks/cloudpayments/([-a-zA-Z0-9_]+)/")
_STRIPE_PATH: Final = "/webhooks/stripe/"


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    body: bytes
    headers: tuple[tuple[bytes, bytes], ...] = JSON_HEADERS


_CODE_ANSWERS: Final = {
    code: Answer(200, json_body({"code": int(code)})) for code in CheckAnswer
}
_RECEIVED: Final = Answer(200, json_body({"received": True}))
_NOT_POST: Final = Answer(
    405, json_body(error_body(*NOT_POST)), (*JSON_HEADERS, (b"allow", b"POST"))
)
_TOO_LARGE: Final = Answer(413, json_body(error_body(*TOO_LARGE)))


def not_found(path: str) -> Answer:
    """Django's 404 in the API's error shape (`kit.api.errors.json_not_found`)."""
    return Answer(
        404, json_body(error_body("not_found", f"Nothing is found at {path}."))
    )


class WebhookViews:
    """The edge's answers to gateway notifications, through `intake`."""

    def __init__(self, intake: EdgeIntake) -> None:
        self._intake = intake

    async def answer(self, request: Request, receive: Receive) -> Answer:
        """Answer a request for a webhook URL; 404 for any other path.

        :raises ClientDisconnected: when the sender goes away before its body.
        """
        if request.path == _STRIPE_PATH:
            return await self._stripe(request, receive)
        matched = _CLOUDPAYMENTS_PATH.fullmatch(request.path)
        if matched is not None:
            return await self._cloudpayments(request, receive, matched.group(1))
        return not_found(request.path)

    async def _cloudpayments(
        self, request: Request, receive: Receive, kind: str
    ) -> Answer:
        """`{"code": 0}`, or for Check the code that accepts or refuses."""
        if request.method != "POST":
            return _NOT_POST
        if kind not in CLOUDPAYMENTS_KINDS:
            return not_found(request.path)
        body = await _bounded_body(request, receive)
        if body is None:
            return _TOO_LARGE
        try:
            received = await self._intake.receive(
                gateway="cloudpayments", kind=kind, body=body, headers=request.headers
            )
        except (InvalidWebhookSignature, MalformedWebhook) as error:
            return _domain_error(error)
        code = CheckAnswer.ACCEPT
        if kind == "check":
            code = await self._intake.answer_check(received.event)
            logger.info(
                "payments.webhook.check_answered",
                extra={"record": received.record_id, "code": int(code)},
            )
        return _CODE_ANSWERS[code]

    async def _stripe(self, request: Request, receive: Receive) -> Answer:
        """200 `{"received": true}` to every verified Event, acted on or not."""
        if request.method != "POST":
            return _NOT_POST
        body = await _bounded_body(request, receive)
        if body is None:
            return _TOO_LARGE
        try:
            await self._intake.receive(
                gateway="stripe", kind="", body=body, headers=request.headers
            )
        except (InvalidWebhookSignature, MalformedWebhook) as error:
            return _domain_error(error)
        return _RECEIVED


async def _bounded_body(request: Request, receive: Receive) -> bytes | None:
    """The raw body, or None when it is over the limit: the declared length is
    checked first, so a large body is refused unread."""
    declared = request.declared_length()
    if declared is not None and declared > MAX_BODY_BYTES:
        return None
    return await read_body(receive, limit=MAX_BODY_BYTES)


def _domain_error(error: DomainError) -> Answer:
    return Answer(
        error.http_status, json_body(error_body(error.code, error.message, error.extra))
    )
