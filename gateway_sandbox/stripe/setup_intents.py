"""SetupIntents (GATEWAYS.md C4, C5.5): saving a card for later off-session payments.

A card that went through a successful off-session SetupIntent is remembered as set
up, which is what lets the 3155 card pay off-session later without a new challenge.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gateway_sandbox.stripe.challenges import (
    authentication_failure,
    leave_challenge,
    send_to_challenge,
)
from gateway_sandbox.stripe.charges import card_error, card_error_object
from gateway_sandbox.stripe.confirmation import (
    check_confirm_on_create,
    optional_payment_method,
    prepare_confirmation,
)
from gateway_sandbox.stripe.customers import existing_customer_id
from gateway_sandbox.stripe.encoding import Params
from gateway_sandbox.stripe.errors import unexpected_state
from gateway_sandbox.stripe.expansion import expand, read_expansions
from gateway_sandbox.stripe.ids import new_client_secret, new_id
from gateway_sandbox.stripe.intent_settings import (
    AUTOMATIC_DEFAULT,
    challenge_requested,
    read_method_settings,
    read_three_d_secure,
)
from gateway_sandbox.stripe.listing import list_reply
from gateway_sandbox.stripe.outcomes import (
    APPROVE,
    AUTHENTICATE,
    after_authentication,
    judge_setup,
)
from gateway_sandbox.stripe.payment_methods import attach, ensure_attachable
from gateway_sandbox.stripe.wire import JsonObject

if TYPE_CHECKING:
    from gateway_sandbox.stripe.calls import Call

_IGNORED = (
    "attach_to_self",
    "confirmation_token",
    "customer_account",
    "excluded_payment_method_types",
    "flow_directions",
    "mandate_data",
    "on_behalf_of",
    "payment_method_configuration",
    "payment_method_data",
    "single_use",
    "use_stripe_sdk",
)
_CANCELABLE = ("requires_payment_method", "requires_confirmation", "requires_action")


def setup_intent_object(
    intent_id: str, *, created: int, fields: JsonObject
) -> JsonObject:
    intent: JsonObject = {
        "id": intent_id,
        "object": "setup_intent",
        "application": None,
        "automatic_payment_methods": None,
        "cancellation_reason": None,
        "client_secret": new_client_secret(intent_id),
        "created": created,
        "customer": None,
        "customer_account": None,
        "description": None,
        "excluded_payment_method_types": None,
        "flow_directions": None,
        "last_setup_error": None,
        "latest_attempt": None,
        "livemode": False,
        "mandate": None,
        "metadata": {},
        "next_action": None,
        "on_behalf_of": None,
        "payment_method": None,
        "payment_method_configuration_details": None,
        "payment_method_options": _card_options("automatic"),
        "payment_method_types": ["card"],
        "single_use_mandate": None,
        "status": "requires_payment_method",
        "usage": "off_session",
    }
    intent.update(fields)
    return intent


def _card_options(request_three_d_secure: str) -> JsonObject:
    return {
        "card": {
            "mandate_options": None,
            "network": None,
            "request_three_d_secure": request_three_d_secure,
        }
    }


def _read_options(params: Params) -> JsonObject:
    fields = read_method_settings(params)
    if (challenge := read_three_d_secure(params)) is not None:
        fields["payment_method_options"] = _card_options(challenge)
    return fields


def create_setup_intent(call: Call) -> JsonObject:
    params = call.params
    customer_ref = params.string("customer")
    pm_ref = params.string("payment_method")
    confirm = params.boolean("confirm") or False
    usage = (
        params.string("usage", choices=("off_session", "on_session")) or "off_session"
    )
    return_url = params.string("return_url")
    fields = _read_options(params)
    if (description := params.string("description")) is not None:
        fields["description"] = description
    metadata = params.metadata_onto({})
    paths = read_expansions(params, "setup_intent")
    params.ignore(*_IGNORED)
    params.finish()
    check_confirm_on_create(
        confirm=confirm, pm_ref=pm_ref, confirm_only={"return_url": return_url}
    )

    customer_id = existing_customer_id(call, customer_ref)
    payment_method = optional_payment_method(call, pm_ref)
    fields.setdefault("automatic_payment_methods", dict(AUTOMATIC_DEFAULT))
    intent = setup_intent_object(
        new_id("seti"),
        created=call.timestamp,
        fields={
            **fields,
            "customer": customer_id,
            "metadata": metadata or {},
            "payment_method": payment_method["id"] if payment_method else None,
            "status": (
                "requires_confirmation" if payment_method else "requires_payment_method"
            ),
            "usage": usage,
        },
    )
    call.state.setup_intents[intent["id"]] = intent
    call.emit("setup_intent.created", intent)
    if confirm:
        _confirm(call, intent, return_url)
    return expand(call.state, intent, paths)


def confirm_setup_intent(call: Call) -> JsonObject:
    params = call.params
    intent = call.state.setup_intent(call.path_args["id"])
    pm_ref = params.string("payment_method")
    return_url = params.string("return_url")
    fields = _read_options(params)
    paths = read_expansions(params, "setup_intent")
    params.ignore(
        # Checked with the publishable key (api.py); the secret key needs none.
        "client_secret",
        "confirmation_token",
        "excluded_payment_method_types",
        "mandate_data",
        "payment_method_data",
        "use_stripe_sdk",
    )
    params.finish()

    prepare_confirmation(call, intent, pm_ref=pm_ref, fields=fields)
    _confirm(call, intent, return_url)
    return expand(call.state, intent, paths)


def _confirm(call: Call, intent: JsonObject, return_url: str | None) -> None:
    """:raises StripeApiError: 402 with `setup_intent` for a card that declines."""
    payment_method = call.state.payment_method(intent["payment_method"])
    if intent["customer"] is not None:
        ensure_attachable(payment_method, intent["customer"])
    card = call.state.cards[payment_method["id"]]
    verdict = judge_setup(card)
    if verdict == APPROVE and challenge_requested(intent):
        verdict = AUTHENTICATE
    intent["latest_attempt"] = new_id("setatt")
    if verdict.kind == "authenticate":
        send_to_challenge(call, intent, return_url)
    elif verdict.decline is not None:
        intent.update(
            status="requires_payment_method",
            payment_method=None,
            last_setup_error=card_error_object(
                verdict.decline, payment_method=payment_method, charge_id=None
            ),
        )
        call.emit("setup_intent.setup_failed", intent)
        raise card_error(
            verdict.decline,
            embedded={"setup_intent": intent, "payment_method": payment_method},
        )
    else:
        _succeed(call, intent, payment_method)


def _succeed(call: Call, intent: JsonObject, payment_method: JsonObject) -> None:
    if intent["customer"] is not None:
        attach(call, payment_method, intent["customer"])
    if intent["usage"] == "off_session":
        call.state.set_up_for_off_session.add(payment_method["id"])
    intent.update(status="succeeded", next_action=None, last_setup_error=None)
    call.emit("setup_intent.succeeded", intent)


def finish_setup_authentication(
    call: Call, intent: JsonObject, *, passed: bool
) -> None:
    """Carry out the customer's answer on the challenge page (C5.5)."""
    payment_method = leave_challenge(call, intent)
    if passed:
        card = call.state.cards[payment_method["id"]]
        if after_authentication(card, for_setup=True) == APPROVE:
            _succeed(call, intent, payment_method)
            return
    intent.update(
        status="requires_payment_method",
        payment_method=None,
        last_setup_error=authentication_failure(intent, payment_method),
    )
    call.emit("setup_intent.setup_failed", intent)


def retrieve_setup_intent(call: Call) -> JsonObject:
    call.params.ignore("client_secret")
    paths = read_expansions(call.params, "setup_intent")
    call.params.finish()
    return expand(call.state, call.state.setup_intent(call.path_args["id"]), paths)


def cancel_setup_intent(call: Call) -> JsonObject:
    params = call.params
    intent = call.state.setup_intent(call.path_args["id"])
    reason = params.string(
        "cancellation_reason",
        choices=("abandoned", "duplicate", "requested_by_customer"),
    )
    paths = read_expansions(params, "setup_intent")
    params.finish()

    if intent["status"] not in _CANCELABLE:
        raise unexpected_state(
            "You cannot cancel this SetupIntent because it has a status of "
            f"{intent['status']}.",
            code="setup_intent_unexpected_state",
        )
    intent.update(status="canceled", cancellation_reason=reason, next_action=None)
    call.state.return_urls.pop(intent["id"], None)
    call.emit("setup_intent.canceled", intent)
    return expand(call.state, intent, paths)


def list_setup_intents(call: Call) -> JsonObject:
    customer = call.params.string("customer")
    payment_method = call.params.string("payment_method")
    call.params.ignore("attach_to_self", "customer_account")
    intents = [
        intent
        for intent in call.state.setup_intents.values()
        if (customer is None or intent["customer"] == customer)
        and (payment_method is None or intent["payment_method"] == payment_method)
    ]
    return list_reply(call, intents, url="/v1/setup_intents", kind="setup_intent")
