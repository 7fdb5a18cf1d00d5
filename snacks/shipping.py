"""The shop's client of its shipping partner: registering a shipped order.

The partner registers a shipment once per idempotency key and answers a repeated key
with the first shipment, so a registration can always be asked again with the same
key: after a timeout, a dropped connection or a 5xx alike, whether or not the partner
carried out the first call. Every failure is therefore one of two kinds:
`ShippingUnavailable` (ask again later, with the same key; `retry_delay` says when)
or `ShippingRefused` (asking again cannot help). Settings: `SHOP_SHIPPING_URL`,
`SHOP_SHIPPING_API_KEY`, `SHOP_SHIPPING_TIMEOUT_SECONDS`, and for the caller's retries
`SHOP_SHIPPING_MAX_ATTEMPTS`, `SHOP_SHIPPING_RETRY_BASE_SECONDS` and
`SHOP_SHIPPING_RETRY_CAP_SECONDS`.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

import requests
from django.conf import settings

from snacks.errors import ShopError

logger = logging.getLogger(__name__)

# 429 and 5xx: the partner could not take the call now; nothing else is worth a retry.
_RETRYABLE_STATUSES = frozenset({HTTPStatus.TOO_MANY_REQUESTS})
# Exceptions of `requests` after which the same call may succeed: the partner could
# not be reached, or its reply was lost or cut short.
_NETWORK_FAILURES = (
    requests.Timeout,
    requests.ConnectionError,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)
# The most doublings `retry_delay` computes; the cap is reached long before.
_MAX_DOUBLINGS = 62


class ShippingUnavailable(ShopError):
    """The shipping partner could not be reached or could not answer; try again."""

    code = "shipping_unavailable"
    http_status = 503


class ShippingRefused(ShopError):
    """The shipping partner refused the shipment; asking again will not help."""

    code = "shipping_refused"
    http_status = 422


@dataclass(frozen=True)
class Recipient:
    name: str
    email: str


@dataclass(frozen=True)
class ShipmentItem:
    name: str
    quantity: int


@dataclass(frozen=True)
class Shipment:
    """A shipment the partner registered.

    `replayed` is true when the partner answered an earlier call with the same key:
    the shipment was registered before, by a call whose reply was lost.
    """

    shipment_id: str
    tracking_number: str
    reference: str
    status: str
    created_at: dt.datetime
    replayed: bool


def register_shipment(
    *,
    reference: str,
    recipient: Recipient,
    items: Sequence[ShipmentItem],
    expected_arrival: dt.date,
    idempotency_key: str,
) -> Shipment:
    """Register a shipment with the partner, once for `idempotency_key`.

    Derive the key from the shop's own row and keep it for every retry of the same
    registration: the partner then registers it once, however many calls it takes.

    :raises ShippingUnavailable: on a timeout, a connection failure, a 5xx or a 429
        answer, or an answer that cannot be read: retry with the same key.
    :raises ShippingRefused: on any other answer but success (a bad request, a
        refused key, an idempotency key used for another shipment).
    """
    payload = {
        "reference": reference,
        "recipient": {"name": recipient.name, "email": recipient.email},
        "items": [{"name": item.name, "quantity": item.quantity} for item in items],
        "expected_arrival": expected_arrival.isoformat(),
    }
    try:
        response = requests.post(
            f"{str(settings.SHOP_SHIPPING_URL).rstrip('/')}/shipments",
            json=payload,
            headers={
                "Authorization": f"Bearer {settings.SHOP_SHIPPING_API_KEY}",
                "Idempotency-Key": idempotency_key,
            },
            timeout=float(settings.SHOP_SHIPPING_TIMEOUT_SECONDS),
            allow_redirects=False,
        )
    except requests.Timeout as exc:
        raise _unavailable("timeout", reference, exc) from exc
    except _NETWORK_FAILURES as exc:
        raise _unavailable("connection", reference, exc) from exc
    if HTTPStatus.OK <= response.status_code < HTTPStatus.MULTIPLE_CHOICES:
        return _shipment(response, reference=reference)
    partner_error = _partner_error(response)
    extra = {"reference": reference, "status": response.status_code, **partner_error}
    if (
        response.status_code in _RETRYABLE_STATUSES
        or response.status_code >= HTTPStatus.INTERNAL_SERVER_ERROR
    ):
        logger.warning("The shipping partner answered %s", response.status_code)
        raise ShippingUnavailable(extra=extra)
    logger.warning(
        "The shipping partner refused a shipment",
        extra={"reference": reference, "status": response.status_code},
    )
    raise ShippingRefused(partner_error.get("partner_message") or None, extra=extra)


def retry_delay(attempt: int, *, base: float, cap: float, rng: random.Random) -> float:
    """Seconds to wait after failed attempt number `attempt` (1 for the first call).

    Exponential back-off with full jitter: uniform between 0 and `base` doubled for
    each attempt before this one, never above `cap`, so that many callers that
    failed together do not come back together.

    :raises ValueError: for an attempt below 1 or a negative base or cap.
    """
    if attempt < 1:
        raise ValueError("attempts are counted from 1")
    if base < 0 or cap < 0:
        raise ValueError("the base and the cap of a delay cannot be negative")
    ceiling = min(cap, base * 2 ** min(attempt - 1, _MAX_DOUBLINGS))
    return rng.uniform(0, ceiling)


def _shipment(response: requests.Response, *, reference: str) -> Shipment:
    """:raises ShippingUnavailable: when the answer cannot be read."""
    try:
        data = response.json()
        created_at = dt.datetime.fromisoformat(_text(data, "created"))
        if created_at.tzinfo is None:
            raise ValueError("created has no offset")
        return Shipment(
            shipment_id=_text(data, "shipment_id"),
            tracking_number=_text(data, "tracking_number"),
            reference=_text(data, "reference"),
            status=_text(data, "status"),
            created_at=created_at,
            replayed=response.status_code == HTTPStatus.OK,
        )
    except (ValueError, TypeError, KeyError) as exc:
        # The partner may have registered it; the same key will tell.
        raise _unavailable("unreadable answer", reference, exc) from exc


def _text(data: Any, name: str) -> str:
    value = data[name]
    if not isinstance(value, str) or not value:
        raise ValueError(f"{name} is not a non-empty string")
    return value


def _partner_error(response: requests.Response) -> dict[str, str]:
    """The partner's error code and message, when it sent its error shape."""
    try:
        error = response.json()["error"]
        found = {
            "partner_code": error.get("code"),
            "partner_message": error.get("message"),
        }
    except (ValueError, TypeError, KeyError, AttributeError):
        return {}
    return {name: value for name, value in found.items() if isinstance(value, str)}


def _unavailable(reason: str, reference: str, exc: Exception) -> ShippingUnavailable:
    # The exception's type only: `requests` puts the URL in its messages.
    logger.warning(
        "The shipping partner could not be reached (%s: %s)",
        reason,
        type(exc).__name__,
    )
    return ShippingUnavailable(extra={"reference": reference, "reason": reason})
