"""Stripe's exceptions as the contract's (GATEWAYS.md C1, C2, C3).

| Stripe SDK raises                                  | the adapter raises           |
| -------------------------------------------------- | ---------------------------- |
| CardError (402)                                    | Declined(decline_code or     |
|                                                    | code; hard per HARD_DECLINES)|
| CardError `authentication_required` (off-session   | Declined, soft: the payer    |
| card that wants 3-D Secure)                        | must come back on-session    |
| RateLimitError (429)                               | Unavailable                  |
| APIConnectionError, nothing sent (refused, connect | Unavailable                  |
| timeout)                                           |                              |
| APIConnectionError otherwise (read timeout, reset, | OutcomeUnknown               |
| reply lost)                                        |                              |
| APIError with `Stripe-Should-Retry: true` (5xx     | Unavailable                  |
| before execution, 409 key in use)                  |                              |
| APIError otherwise: 5xx saved under the key, or an | OutcomeUnknown               |
| unreadable 2xx                                     |                              |
| AuthenticationError, PermissionError,              | GatewayError (our request or |
| InvalidRequestError (incl. refund above the        | our configuration is wrong)  |
| remainder), IdempotencyError, anything else        |                              |

Messages keep Stripe's codes, status and request id; Stripe's own text only after
scrubbing, since it may echo an id we sent (the PaymentMethod id is our card token).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from typing import Any, Final

import stripe

from payments.gateways.base import Declined, GatewayError, OutcomeUnknown, Unavailable
from payments.gateways.network import failure_for
from payments.gateways.redaction import redact

GATEWAY = "Stripe"
AUTHENTICATION_REQUIRED = "authentication_required"
AUTHENTICATION_REQUIRED_MESSAGE = (
    "The card needs the payer to authenticate this payment; ask them to pay while "
    "present."
)
# Declines after which the same card must not be charged again: it is gone
# (lost, stolen, expired, to be picked up) or the issuer says never to retry.
HARD_DECLINES: Final = frozenset(
    {
        "expired_card",
        "lost_card",
        "stolen_card",
        "pickup_card",
        "restricted_card",
        "do_not_try_again",
        "invalid_account",
        "revocation_of_all_authorizations",
        "revocation_of_authorization",
        "stop_payment_order",
    }
)


def is_hard(*codes: str | None) -> bool:
    return any(code in HARD_DECLINES for code in codes if code)


@contextlib.contextmanager
def stripe_errors(operation: str, *secrets: str | None) -> Iterator[None]:
    """Turn the SDK's exceptions into the contract's; `secrets` are scrubbed.

    :raises Declined, Unavailable, OutcomeUnknown, GatewayError:
    """
    try:
        yield
    except stripe.CardError as exc:
        raise card_declined(exc) from None
    except stripe.RateLimitError:
        raise Unavailable(f"{GATEWAY} {operation}: rate limited (HTTP 429)") from None
    except stripe.APIConnectionError as exc:
        cause = exc.__cause__
        if cause is None:
            raise OutcomeUnknown(f"{GATEWAY} {operation}: connection failed") from None
        raise failure_for(cause, gateway=GATEWAY, operation=operation) from cause
    except stripe.APIError as exc:
        raise _api_error(exc, operation) from None
    except stripe.StripeError as exc:
        raise GatewayError(_describe(exc, operation, secrets)) from None


def card_declined(exc: stripe.CardError) -> Declined:
    error = exc.error
    code = exc.code or _field(error, "code")
    decline_code = _field(error, "decline_code")
    # The PaymentIntent of a charge, or the SetupIntent of a card setup.
    intent_id = _field(_field(error, "payment_intent"), "id") or _field(
        _field(error, "setup_intent"), "id"
    )
    if AUTHENTICATION_REQUIRED in (code, decline_code):
        return Declined(
            reason_code=AUTHENTICATION_REQUIRED,
            message=AUTHENTICATION_REQUIRED_MESSAGE,
            hard=False,
            gateway_reference=intent_id,
        )
    return Declined(
        reason_code=str(decline_code or code or "card_declined"),
        message=redact(exc.user_message or _field(error, "message")),
        hard=is_hard(code, decline_code),
        gateway_reference=intent_id,
    )


def _api_error(exc: stripe.APIError, operation: str) -> GatewayError:
    what = f"{GATEWAY} {operation}: HTTP {exc.http_status} ({exc.request_id})"
    if _header(exc.headers, "stripe-should-retry") == "true":
        return Unavailable(f"{what}: Stripe asks for a retry")
    if exc.http_status is None or exc.http_status >= 500 or exc.http_status < 300:
        return OutcomeUnknown(f"{what}: the request may have been carried out")
    return GatewayError(what)


def _describe(
    exc: stripe.StripeError, operation: str, secrets: tuple[str | None, ...]
) -> str:
    error = exc.error
    details = ", ".join(
        f"{name} {value}"
        for name, value in (
            ("type", _field(error, "type")),
            ("code", exc.code or _field(error, "code")),
            ("param", _field(error, "param")),
            ("request", exc.request_id),
        )
        if value
    )
    message = redact(exc.user_message, *secrets)
    return (
        f"{GATEWAY} refused {operation}: {type(exc).__name__}, HTTP "
        f"{exc.http_status} ({details}): {message}"
    )


def _field(obj: object, name: str) -> Any:
    """An optional field: StripeObjects raise AttributeError for absent keys."""
    return None if obj is None else getattr(obj, name, None)


def _header(headers: Mapping[str, str] | None, name: str) -> str | None:
    for key, value in (headers or {}).items():
        if key.lower() == name:
            return value
    return None
