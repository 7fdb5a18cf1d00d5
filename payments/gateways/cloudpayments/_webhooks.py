"""CloudPayments notifications: signature and parsing (GATEWAYS.md Part B).

Signature: `Content-HMAC` is base64(HMAC-SHA256(API secret, raw body)), and it is
required. `X-Content-HMAC` signs the URL-decoded body instead; CloudPayments sends
both, and decoding is not one-to-one: a body re-encoded by someone else can decode to
the same signed text yet parse into other fields. So it is accepted only where a
setting allows it (local and test settings, for hand-made requests) and only when
`Content-HMAC` is absent; bodies that repeat a field are refused by the parser.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import urllib.parse
from collections.abc import Mapping
from typing import Final

from billing.money import Money
from kit.redaction import without_sensitive_keys
from payments.gateways.base import (
    GatewayError,
    GatewayEvent,
    InvalidSignature,
    PaymentState,
)
from payments.gateways.cloudpayments._mapping import money

KINDS: Final = frozenset(
    {"check", "pay", "fail", "confirm", "refund", "recurrent", "cancel"}
)
_FIXED_STATES: Final[Mapping[str, PaymentState | None]] = {
    "check": None,
    "fail": PaymentState.DECLINED,
    "confirm": PaymentState.SUCCEEDED,
    "refund": None,
    "recurrent": None,
    "cancel": PaymentState.CANCELED,
}

# States in which a notification says money was taken or held.
_MONEY_STATES: Final = frozenset({PaymentState.SUCCEEDED, PaymentState.AUTHORIZED})


def verify(
    body: bytes,
    headers: Mapping[str, str],
    secret: str,
    *,
    accept_decoded: bool = False,
) -> None:
    """Check `Content-HMAC`; `X-Content-HMAC` only if `accept_decoded`.

    :raises InvalidSignature: when no accepted signature header matches the body.
    """
    lowered = {name.lower(): value for name, value in headers.items()}
    key = secret.encode("utf-8")
    if "content-hmac" in lowered:
        signed, presented = body, lowered["content-hmac"]
    elif "x-content-hmac" in lowered and not accept_decoded:
        raise InvalidSignature("no Content-HMAC header (X-Content-HMAC is not enough)")
    elif "x-content-hmac" in lowered:
        try:
            decoded = urllib.parse.unquote_plus(body.decode("utf-8"), errors="strict")
        except UnicodeDecodeError:
            raise InvalidSignature("the body is not UTF-8") from None
        signed, presented = decoded.encode("utf-8"), lowered["x-content-hmac"]
    else:
        raise InvalidSignature("no Content-HMAC or X-Content-HMAC header")
    try:
        digest = base64.b64decode(presented.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise InvalidSignature("the signature header is not base64") from None
    expected = hmac.new(key, signed, hashlib.sha256).digest()
    if not hmac.compare_digest(expected, digest):
        raise InvalidSignature("the signature does not match the body")


def parse(kind: str, body: bytes) -> GatewayEvent:
    """A notification of type `kind` (the URL it came to) as a GatewayEvent.

    Refund and Cancel carry no `Currency`: their `amount` is None unless the
    gateway adds one; the payment they refer to has it.

    :raises GatewayError: for an unknown kind or a body that is not a notification.
    """
    kind = kind.lower()
    if kind not in KINDS:
        raise GatewayError(f"unknown CloudPayments notification type {kind!r}")
    fields = _fields(body)
    if kind == "recurrent":
        subscription_id = _required(fields, "Id")
        # One subscription sends a Recurrent for every status change, so its id
        # alone would make the second change look like a duplicate delivery.
        external_id = ":".join(
            [
                subscription_id,
                fields.get("Status", ""),
                fields.get("SuccessfulTransactionsNumber", ""),
                fields.get("FailedTransactionsNumber", ""),
            ]
        )
        gateway_reference = subscription_id
    else:
        external_id = _required(fields, "TransactionId")
        gateway_reference = (
            _required(fields, "PaymentTransactionId")
            if kind == "refund"
            else external_id
        )
    state = _state(kind, fields)
    return GatewayEvent(
        external_id=external_id,
        type=f"cloudpayments.{kind}",
        gateway_reference=gateway_reference,
        reference=fields.get("InvoiceId") or None,
        state=state,
        amount=_amount(fields),
        # Every payment is sent with an AccountId: a Pay or Confirm without one
        # reports an empty account, which the settlement rule does not accept.
        account=fields.get("AccountId", "" if state in _MONEY_STATES else None),
        capture=kind == "confirm",
        # Kept out of stored payloads by the redaction policy: the card token and
        # card identifiers, and the payer's name and e-mail, which the billing
        # tables never hold (SPEC §1). Masked card data (CardFirstSix, CardLastFour,
        # CardExpDate, CardType) stays.
        safe_payload=without_sensitive_keys(fields),
    )


def _fields(body: bytes) -> dict[str, str]:
    try:
        pairs = urllib.parse.parse_qsl(
            body.decode("utf-8"),
            keep_blank_values=True,
            strict_parsing=True,
            errors="strict",
        )
    except (UnicodeDecodeError, ValueError):
        raise GatewayError("not a form-encoded CloudPayments notification") from None
    fields = dict(pairs)
    if len(fields) != len(pairs):
        raise GatewayError("a CloudPayments notification repeats a field")
    return fields


def _required(fields: Mapping[str, str], name: str) -> str:
    value = fields.get(name, "").strip()
    if not value:
        raise GatewayError(f"the CloudPayments notification has no {name}")
    return value


def _state(kind: str, fields: Mapping[str, str]) -> PaymentState | None:
    if kind != "pay":
        return _FIXED_STATES[kind]
    # Pay follows a one-stage payment (Completed) or a two-stage authorization.
    if fields.get("Status") == "Authorized":
        return PaymentState.AUTHORIZED
    return PaymentState.SUCCEEDED


def _amount(fields: Mapping[str, str]) -> Money | None:
    amount, currency = fields.get("Amount"), fields.get("Currency")
    if not amount or not currency:
        return None
    return money(amount, currency)
