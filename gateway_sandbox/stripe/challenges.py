"""3-D Secure challenges [SANDBOX]: where a customer is sent, and sent back from.

The sandbox plays the issuer's challenge page at `/__sandbox/stripe/3ds/{intent_id}`
(GATEWAYS.md C5.4); a PaymentIntent or SetupIntent waiting there is `requires_action`.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from gateway_sandbox.stripe.ids import new_id
from gateway_sandbox.stripe.wire import JsonObject

if TYPE_CHECKING:
    from gateway_sandbox.stripe.calls import Call

AUTHENTICATION_FAILED_MESSAGE = (
    "We are unable to authenticate your payment method. Please choose a different "
    "payment method and try again."
)


def challenge_url(base_url: str, intent_id: str) -> str:
    return f"{base_url}/__sandbox/stripe/3ds/{intent_id}"


def next_action(base_url: str, intent_id: str, return_url: str | None) -> JsonObject:
    """A redirect when the merchant gave a return_url, else a Stripe.js hand-off."""
    url = challenge_url(base_url, intent_id)
    if return_url is not None:
        return {
            "type": "redirect_to_url",
            "redirect_to_url": {"return_url": return_url, "url": url},
        }
    return {
        "type": "use_stripe_sdk",
        "use_stripe_sdk": {
            "type": "three_d_secure_redirect",
            "stripe_js": url,
            "source": new_id("src"),
        },
    }


def send_to_challenge(call: Call, intent: JsonObject, return_url: str | None) -> None:
    """Leave the intent `requires_action`, waiting on the challenge page (C5.4)."""
    intent.update(
        status="requires_action",
        next_action=next_action(call.base_url, intent["id"], return_url),
    )
    if return_url is not None:
        call.state.return_urls[intent["id"]] = return_url
    call.emit(f"{intent['object']}.requires_action", intent)


def leave_challenge(call: Call, intent: JsonObject) -> JsonObject:
    """Close the intent's challenge and return the PaymentMethod it was for."""
    payment_method = call.state.payment_method(intent["payment_method"])
    intent["next_action"] = None
    call.state.return_urls.pop(intent["id"], None)
    return payment_method


def authentication_failure(
    intent: JsonObject, payment_method: JsonObject
) -> JsonObject:
    """The error an intent records when the customer fails the challenge."""
    code = f"{intent['object']}_authentication_failure"
    return {
        "type": "invalid_request_error",
        "code": code,
        "doc_url": "https://stripe.com/docs/error-codes/" + code.replace("_", "-"),
        "message": AUTHENTICATION_FAILED_MESSAGE,
        "payment_method": copy.deepcopy(payment_method),
    }


def return_location(return_url: str, intent: JsonObject) -> str:
    """`return_url` with the query Stripe appends when it sends the customer back."""
    name = intent["object"]  # "payment_intent" or "setup_intent"
    succeeded = intent["status"] in ("succeeded", "requires_capture", "processing")
    extra = [
        (name, intent["id"]),
        (f"{name}_client_secret", intent["client_secret"]),
        ("redirect_status", "succeeded" if succeeded else "failed"),
    ]
    parts = urlsplit(return_url)
    query = urlencode([*parse_qsl(parts.query, keep_blank_values=True), *extra])
    return urlunsplit(parts._replace(query=query))
