"""One-off payment requests as domain input: amounts, refund reasons, page tokens.

Each malformed field is refused as INVALID_ARGUMENT naming it, before any domain
call. A page token is opaque to clients: base64url of a small JSON naming the last
payment of the previous page.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import uuid
from typing import Final

from billing.money import Money, UnknownCurrency, currency_exponent
from grpc_api.auth import InvalidArgument
from grpc_api.generated.billing.v1 import billing_pb2
from payments.models import RefundReason
from payments.selectors import PaymentPosition

DEFAULT_PAGE_SIZE: Final = 20
MAX_PAGE_SIZE: Final = 100
_REFUND_REASONS: Final[dict[int, str]] = {
    billing_pb2.REFUND_REASON_REQUESTED_BY_CUSTOMER: RefundReason.REQUESTED_BY_CUSTOMER,
    billing_pb2.REFUND_REASON_DUPLICATE: RefundReason.DUPLICATE,
    billing_pb2.REFUND_REASON_FRAUDULENT: RefundReason.FRAUDULENT,
    billing_pb2.REFUND_REASON_SERVICE_ISSUE: RefundReason.SERVICE_ISSUE,
    billing_pb2.REFUND_REASON_PRORATION: RefundReason.PRORATION,
    billing_pb2.REFUND_REASON_OTHER: RefundReason.OTHER,
}


def one_off_amount(payment: billing_pb2.OneOffPayment) -> Money:
    """The amount of a one-off payment.

    :raises InvalidArgument: for an amount that is not positive or an unknown
        currency.
    """
    if payment.amount_minor <= 0:
        raise InvalidArgument(
            "payment.amount_minor", "payment.amount_minor must be positive."
        )
    try:
        currency_exponent(payment.currency)
    except UnknownCurrency:
        raise InvalidArgument(
            "payment.currency",
            f"payment.currency {payment.currency!r} is not an ISO 4217 code.",
        ) from None
    return Money(payment.amount_minor, payment.currency)


def optional_amount(amount_minor: int) -> int | None:
    """A capture's or refund's amount: 0 means all (None).

    :raises InvalidArgument: for a negative amount.
    """
    if amount_minor < 0:
        raise InvalidArgument("amount_minor", "amount_minor may not be negative.")
    return amount_minor or None


def refund_reason(reason: int, note: str) -> str:
    """The domain's refund reason.

    :raises InvalidArgument: for no reason, an unknown one, or OTHER without a note.
    """
    domain = _REFUND_REASONS.get(reason)
    if domain is None:
        raise InvalidArgument("reason", "reason is required.")
    if domain == RefundReason.OTHER and not note.strip():
        raise InvalidArgument("note", "note is required with REFUND_REASON_OTHER.")
    return domain


def page_size(requested: int) -> int:
    """The page size to serve: the default for 0, capped at the maximum.

    :raises InvalidArgument: for a negative size.
    """
    if requested < 0:
        raise InvalidArgument("page_size", "page_size may not be negative.")
    return min(requested or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)


def page_token(after: PaymentPosition | None) -> str:
    """The token of the page after `after`; empty when there is none."""
    if after is None:
        return ""
    body = json.dumps(
        {"c": after.created_at.isoformat(), "i": str(after.payment_id)},
        separators=(",", ":"),
    )
    return base64.urlsafe_b64encode(body.encode()).decode().rstrip("=")


def payment_position(token: str) -> PaymentPosition | None:
    """Where the page a token names starts; None for the first page.

    :raises InvalidArgument: for a token this server did not make.
    """
    if not token:
        return None
    try:
        padded = token + "=" * (-len(token) % 4)
        body = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        created_at = dt.datetime.fromisoformat(body["c"])
        payment_id = uuid.UUID(body["i"])
    except (binascii.Error, UnicodeError, ValueError, KeyError, TypeError):
        created_at = None
    if created_at is None or created_at.tzinfo is None:
        raise InvalidArgument("page_token", "page_token is not a token of this list.")
    return PaymentPosition(created_at=created_at, payment_id=payment_id)
