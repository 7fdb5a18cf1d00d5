"""3-D Secure challenges [SANDBOX]: where a customer is sent, and sent back from.

The sandbox plays the issuer's challenge page at `/__sandbox/stripe/3ds/{intent_id}`
(GATEWAYS.md C5.4); a PaymentIntent or SetupIntent waiting there is `requires_action`.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from payments.sandbox.stripe.ids import new_id
from payments.sandbox.stripe.wire import JsonObject


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
