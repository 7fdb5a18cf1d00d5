"""Settings PaymentIntents and SetupIntents share: which methods, and 3-D Secure.

Since API version 2023-08-16 an intent without `payment_method_types` gets
`automatic_payment_methods[enabled]=true` (GATEWAYS.md C5.6). stripe-python 16 sends
the list as `allowed_payment_method_types`; older clients as `payment_method_types`.
"""

from __future__ import annotations

from gateway_sandbox.stripe.encoding import Params
from gateway_sandbox.stripe.errors import invalid_parameter, parameter_missing
from gateway_sandbox.stripe.wire import JsonObject

AUTOMATIC_DEFAULT: JsonObject = {"allow_redirects": "always", "enabled": True}
THREE_D_SECURE_CHOICES = ("automatic", "any", "challenge")


def read_method_settings(params: Params) -> JsonObject:
    """`payment_method_types` / `automatic_payment_methods` as the reply shows them.

    :raises StripeApiError: when both are given, or `enabled` is missing.
    """
    types = params.strings("payment_method_types") or params.strings(
        "allowed_payment_method_types"
    )
    automatic = params.hash("automatic_payment_methods")
    if types is not None and automatic is not None:
        raise invalid_parameter(
            "automatic_payment_methods",
            "You may only specify one of these parameters: automatic_payment_methods, "
            "payment_method_types.",
        )
    if types is not None:
        return {"payment_method_types": types, "automatic_payment_methods": None}
    if automatic is None:
        return {}
    enabled = automatic.boolean("enabled")
    if enabled is None:
        raise parameter_missing("automatic_payment_methods[enabled]")
    redirects = automatic.string("allow_redirects", choices=("always", "never"))
    return {
        "automatic_payment_methods": {
            "allow_redirects": redirects or "always",
            "enabled": enabled,
        }
    }


def read_three_d_secure(params: Params) -> str | None:
    """`payment_method_options[card][request_three_d_secure]`; other options pass."""
    options = params.hash("payment_method_options")
    if options is None:
        return None
    options.ignore(*[key for key in options.tree if key != "card"])
    card = options.hash("card")
    if card is None:
        return None
    card.ignore(*[key for key in card.tree if key != "request_three_d_secure"])
    return card.string("request_three_d_secure", choices=THREE_D_SECURE_CHOICES)


def challenge_requested(intent: JsonObject) -> bool:
    """Whether the merchant asked for 3-D Secure whatever the card says."""
    choice = intent["payment_method_options"]["card"]["request_three_d_secure"]
    return choice in ("any", "challenge")
