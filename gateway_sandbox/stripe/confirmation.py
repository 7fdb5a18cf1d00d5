"""What confirming a PaymentIntent or a SetupIntent checks before the attempt (C5).

Both intents take `confirm=true` on create and a `/confirm` call later, and refuse
them the same way; only the object named in the messages differs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gateway_sandbox.stripe.errors import (
    invalid_parameter,
    parameter_missing,
    unexpected_state,
)
from gateway_sandbox.stripe.payment_methods import resolve_payment_method
from gateway_sandbox.stripe.wire import JsonObject

if TYPE_CHECKING:
    from gateway_sandbox.stripe.calls import Call

CONFIRMABLE = ("requires_payment_method", "requires_confirmation")
_NAMES = {"payment_intent": "PaymentIntent", "setup_intent": "SetupIntent"}
_MISSING_METHOD_ADVICE = {
    "payment_intent": " Update the PaymentIntent with a payment method and then "
    "confirm it again.",
    "setup_intent": "",
}


def optional_payment_method(call: Call, pm_ref: str | None) -> JsonObject | None:
    """The PaymentMethod `pm_ref` names, or None when none was given."""
    if not pm_ref:
        return None
    return resolve_payment_method(call, pm_ref, param="payment_method")


def check_confirm_on_create(
    *, confirm: bool, pm_ref: str | None, confirm_only: dict[str, object]
) -> None:
    """:raises StripeApiError: for `confirm_only` parameters given without `confirm`,
    or for `confirm` without a PaymentMethod.
    """
    for name, given in confirm_only.items():
        if given and not confirm:
            raise invalid_parameter(
                name, f"You may only specify `{name}` when `confirm` is set to true."
            )
    if confirm and pm_ref is None:
        raise parameter_missing("payment_method")


def prepare_confirmation(
    call: Call, intent: JsonObject, *, pm_ref: str | None, fields: JsonObject
) -> None:
    """Apply `fields` and the PaymentMethod given to an intent that may be confirmed.

    :raises StripeApiError: `<intent>_unexpected_state` for an intent in another
        status, or one left without a PaymentMethod.
    """
    kind = intent["object"]
    code = f"{kind}_unexpected_state"
    if intent["status"] not in CONFIRMABLE:
        raise unexpected_state(
            f"You cannot confirm this {_NAMES[kind]} because it has a status of "
            f"{intent['status']}.",
            code=code,
        )
    payment_method = optional_payment_method(call, pm_ref)
    if payment_method is None and intent["payment_method"] is None:
        raise unexpected_state(
            f"You cannot confirm this {_NAMES[kind]} because it's missing a payment "
            "method." + _MISSING_METHOD_ADVICE[kind],
            code=code,
        )
    intent.update(fields)
    if payment_method is not None:
        intent["payment_method"] = payment_method["id"]
