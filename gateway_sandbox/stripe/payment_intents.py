"""PaymentIntents (GATEWAYS.md C4, C5): create, update, confirm, capture, cancel."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gateway_sandbox.stripe.attempts import (
    ConfirmOptions,
    cancel_payment,
    capture_payment,
    confirm_payment,
)
from gateway_sandbox.stripe.confirmation import (
    check_confirm_on_create,
    optional_payment_method,
    prepare_confirmation,
)
from gateway_sandbox.stripe.customers import existing_customer_id
from gateway_sandbox.stripe.encoding import Params
from gateway_sandbox.stripe.errors import (
    invalid_parameter,
    parameter_unknown,
    unexpected_state,
)
from gateway_sandbox.stripe.expansion import expand, read_expansions
from gateway_sandbox.stripe.ids import new_client_secret, new_id
from gateway_sandbox.stripe.intent_settings import (
    AUTOMATIC_DEFAULT,
    read_method_settings,
    read_three_d_secure,
)
from gateway_sandbox.stripe.listing import indexed_list_reply, list_reply
from gateway_sandbox.stripe.money import check_charge_amount, checked_currency
from gateway_sandbox.stripe.payment_methods import resolve_payment_method
from gateway_sandbox.stripe.wire import JsonObject

if TYPE_CHECKING:
    from gateway_sandbox.stripe.calls import Call

# Accepted because the SDK may send them; the sandbox has no Connect, no mandates
# and no other payment method types, so they change nothing here.
_IGNORED = (
    "amount_details",
    "application_fee_amount",
    "confirmation_token",
    "customer_account",
    "excluded_payment_method_types",
    "hooks",
    "mandate",
    "mandate_data",
    "on_behalf_of",
    "payment_details",
    "payment_method_configuration",
    "payment_method_data",
    "radar_options",
    "transfer_data",
    "transfer_group",
    "use_stripe_sdk",
    "amount_to_confirm",
)
_EDITABLE = ("requires_payment_method", "requires_confirmation", "requires_action")
_CANCELLATION_REASONS = (
    "duplicate",
    "fraudulent",
    "requested_by_customer",
    "abandoned",
)
# What stripe-python 16 can send to /confirm, plus `payment_method_types` of older
# API versions; the fields it shares with create are read by the same code.
_CONFIRM_NAMES = """
allowed_payment_method_types amount_details amount_to_confirm capture_method
client_secret confirmation_token error_on_requires_action
excluded_payment_method_types expand hooks mandate
mandate_data off_session payment_details payment_method payment_method_data
payment_method_options payment_method_types radar_options receipt_email return_url
setup_future_usage shipping use_stripe_sdk
"""
_CONFIRM_PARAMS = frozenset(_CONFIRM_NAMES.split())


def payment_intent_object(
    intent_id: str, *, created: int, fields: JsonObject
) -> JsonObject:
    intent: JsonObject = {
        "id": intent_id,
        "object": "payment_intent",
        "amount": 0,
        "amount_capturable": 0,
        "amount_details": {"tip": {}},
        "amount_received": 0,
        "application": None,
        "application_fee_amount": None,
        "automatic_payment_methods": None,
        "canceled_at": None,
        "cancellation_reason": None,
        "capture_method": "automatic_async",
        "client_secret": new_client_secret(intent_id),
        "confirmation_method": "automatic",
        "created": created,
        "currency": "usd",
        "customer": None,
        "customer_account": None,
        "description": None,
        "excluded_payment_method_types": None,
        "last_payment_error": None,
        "latest_charge": None,
        "livemode": False,
        "metadata": {},
        "next_action": None,
        "on_behalf_of": None,
        "payment_method": None,
        "payment_method_configuration_details": None,
        "payment_method_options": _card_options("automatic"),
        "payment_method_types": ["card"],
        "processing": None,
        "receipt_email": None,
        "review": None,
        "setup_future_usage": None,
        "shipping": None,
        "source": None,
        "statement_descriptor": None,
        "statement_descriptor_suffix": None,
        "status": "requires_payment_method",
        "transfer_data": None,
        "transfer_group": None,
    }
    intent.update(fields)
    return intent


def _card_options(request_three_d_secure: str) -> JsonObject:
    return {
        "card": {
            "installments": None,
            "mandate_options": None,
            "network": None,
            "request_three_d_secure": request_three_d_secure,
        }
    }


def _read_common(params: Params, intent: JsonObject | None) -> JsonObject:
    """Fields create, update and confirm share; None values are left out."""
    fields: JsonObject = {}
    for name in ("description", "receipt_email", "statement_descriptor_suffix"):
        if (value := params.string(name)) is not None:
            fields[name] = value
    if (descriptor := params.string("statement_descriptor")) is not None:
        if len(descriptor) > 22:
            raise invalid_parameter(
                "statement_descriptor",
                "The statement descriptor must be at most 22 characters.",
            )
        fields["statement_descriptor"] = descriptor
    if (shipping := params.free_hash("shipping")) is not None:
        fields["shipping"] = shipping
    if params.is_blank("setup_future_usage"):
        fields["setup_future_usage"] = None
    elif usage := params.string(
        "setup_future_usage", choices=("on_session", "off_session")
    ):
        fields["setup_future_usage"] = usage
    if capture := params.string(
        "capture_method", choices=("automatic", "automatic_async", "manual")
    ):
        fields["capture_method"] = capture
    if (challenge := read_three_d_secure(params)) is not None:
        fields["payment_method_options"] = _card_options(challenge)
    fields.update(read_method_settings(params))
    metadata = params.metadata_onto(intent["metadata"] if intent else {})
    if metadata is not None:
        fields["metadata"] = metadata
    params.ignore(*_IGNORED)
    return fields


def _read_confirm_options(params: Params) -> ConfirmOptions:
    return ConfirmOptions(
        off_session=_off_session(params),
        return_url=params.string("return_url"),
        error_on_requires_action=params.boolean("error_on_requires_action") or False,
    )


def _off_session(params: Params) -> bool:
    value = params.string("off_session")
    if value in (None, "false"):
        return False
    if value in ("true", "one_off", "recurring"):
        return True
    raise invalid_parameter(
        "off_session", "Invalid off_session: must be true, false, one_off or recurring."
    )


def create_payment_intent(call: Call) -> JsonObject:
    params = call.params
    amount = params.integer("amount", required=True)
    currency = checked_currency(params.required_string("currency"))
    assert amount is not None
    check_charge_amount(amount, currency)
    customer_ref = params.string("customer")
    pm_ref = params.string("payment_method")
    confirm = params.boolean("confirm") or False
    options = _read_confirm_options(params)
    confirmation = params.string("confirmation_method", choices=("automatic", "manual"))
    fields = _read_common(params, None)
    paths = read_expansions(params, "payment_intent")
    params.finish()
    check_confirm_on_create(
        confirm=confirm,
        pm_ref=pm_ref,
        confirm_only={
            "off_session": options.off_session,
            "return_url": options.return_url,
        },
    )

    customer_id = existing_customer_id(call, customer_ref)
    payment_method = optional_payment_method(call, pm_ref)
    # The default since API version 2023-08-16 (C5.6).
    fields.setdefault("automatic_payment_methods", dict(AUTOMATIC_DEFAULT))
    intent = payment_intent_object(
        new_id("pi"),
        created=call.timestamp,
        fields={
            **fields,
            "amount": amount,
            "currency": currency,
            "customer": customer_id,
            "confirmation_method": confirmation or "automatic",
            "payment_method": payment_method["id"] if payment_method else None,
            "status": (
                "requires_confirmation" if payment_method else "requires_payment_method"
            ),
        },
    )
    call.state.payment_intents[intent["id"]] = intent
    call.emit("payment_intent.created", intent)
    if confirm:
        confirm_payment(call, intent, options)
    return expand(call.state, intent, paths)


def confirm_payment_intent(call: Call) -> JsonObject:
    params = call.params
    for key in sorted(params.tree):
        if key not in _CONFIRM_PARAMS:
            raise parameter_unknown(key)
    intent = call.state.payment_intent(call.path_args["id"])
    # Checked with the publishable key (api.py); the secret key needs none.
    params.ignore("client_secret")
    pm_ref = params.string("payment_method")
    options = _read_confirm_options(params)
    fields = _read_common(params, intent)
    paths = read_expansions(params, "payment_intent")
    params.finish()

    prepare_confirmation(call, intent, pm_ref=pm_ref, fields=fields)
    confirm_payment(call, intent, options)
    return expand(call.state, intent, paths)


def update_payment_intent(call: Call) -> JsonObject:
    params = call.params
    intent = call.state.payment_intent(call.path_args["id"])
    amount = params.integer("amount")
    currency_given = params.string("currency")
    customer_ref = params.string("customer")
    pm_ref = params.string("payment_method")
    fields = _read_common(params, intent)
    paths = read_expansions(params, "payment_intent")
    params.finish()
    currency = (
        checked_currency(currency_given) if currency_given else intent["currency"]
    )
    if amount is not None:
        check_charge_amount(amount, currency)

    money_fields = {
        "amount": amount,
        "currency": currency_given and currency,
        "customer": customer_ref,
        "payment_method": pm_ref,
        "capture_method": fields.get("capture_method"),
    }
    if any(money_fields.values()) and intent["status"] not in _EDITABLE:
        raise unexpected_state(
            "You cannot update this PaymentIntent because it has a status of "
            f"{intent['status']}.",
            code="payment_intent_unexpected_state",
        )
    if customer_ref is not None:
        intent["customer"] = existing_customer_id(call, customer_ref)
    if pm_ref is not None:
        payment_method = resolve_payment_method(call, pm_ref, param="payment_method")
        intent.update(
            payment_method=payment_method["id"], status="requires_confirmation"
        )
    if amount is not None:
        intent["amount"] = amount
    intent["currency"] = currency
    intent.update(fields)
    return expand(call.state, intent, paths)


def retrieve_payment_intent(call: Call) -> JsonObject:
    call.params.ignore("client_secret")
    paths = read_expansions(call.params, "payment_intent")
    call.params.finish()
    return expand(call.state, call.state.payment_intent(call.path_args["id"]), paths)


def capture_payment_intent(call: Call) -> JsonObject:
    params = call.params
    intent = call.state.payment_intent(call.path_args["id"])
    amount = params.integer("amount_to_capture", minimum=1)
    metadata = params.metadata_onto(intent["metadata"])
    params.ignore(
        "amount_details",
        "application_fee_amount",
        "final_capture",
        "hooks",
        "payment_details",
        "statement_descriptor",
        "statement_descriptor_suffix",
        "transfer_data",
    )
    paths = read_expansions(params, "payment_intent")
    params.finish()

    if metadata is not None:
        intent["metadata"] = metadata
    capture_payment(call, intent, amount)
    return expand(call.state, intent, paths)


def cancel_payment_intent(call: Call) -> JsonObject:
    params = call.params
    intent = call.state.payment_intent(call.path_args["id"])
    reason = params.string("cancellation_reason", choices=_CANCELLATION_REASONS)
    paths = read_expansions(params, "payment_intent")
    params.finish()

    cancel_payment(call, intent, reason)
    return expand(call.state, intent, paths)


def list_payment_intents(call: Call) -> JsonObject:
    state = call.state
    customer = call.params.string("customer")
    call.params.ignore("customer_account")
    url, kind = "/v1/payment_intents", "payment_intent"
    if customer is None:
        index = state.intent_order.synced(state.payment_intents)
        return indexed_list_reply(call, index, url=url, kind=kind)
    intents = [i for i in state.payment_intents.values() if i["customer"] == customer]
    return list_reply(call, intents, url=url, kind=kind)
