"""Customers (GATEWAYS.md C4, C5): create, retrieve, update, delete, list."""

from __future__ import annotations

import copy
import secrets
import string
from typing import TYPE_CHECKING, Any

from gateway_sandbox.stripe.encoding import Params
from gateway_sandbox.stripe.errors import StripeApiError, resource_missing
from gateway_sandbox.stripe.expansion import expand, read_expansions
from gateway_sandbox.stripe.ids import new_id
from gateway_sandbox.stripe.listing import list_reply
from gateway_sandbox.stripe.payment_methods import (
    attach,
    ensure_attachable,
    resolve_payment_method,
)
from gateway_sandbox.stripe.wire import JsonObject

if TYPE_CHECKING:
    from gateway_sandbox.stripe.calls import Call

_TEXT_FIELDS = ("email", "name", "description", "phone")
# Accepted as the SDK may send them; the sandbox keeps no tax or billing-portal logic.
_IGNORED = (
    "business_name",
    "cash_balance",
    "individual_name",
    "invoice_prefix",
    "next_invoice_sequence",
    "source",
    "tax",
    "tax_id_data",
    "test_clock",
    "validate",
    "default_source",
)
_ADDRESS_FIELDS = ("city", "country", "line1", "line2", "postal_code", "state")


def customer_object(customer_id: str, *, created: int) -> JsonObject:
    return {
        "id": customer_id,
        "object": "customer",
        "address": None,
        "balance": 0,
        "business_name": None,
        "created": created,
        "currency": None,
        "customer_account": None,
        "default_source": None,
        "delinquent": False,
        "description": None,
        "discount": None,
        "email": None,
        "individual_name": None,
        "invoice_prefix": "".join(
            secrets.choice(string.ascii_uppercase + string.digits) for _ in range(8)
        ),
        "invoice_settings": {
            "custom_fields": None,
            "default_payment_method": None,
            "footer": None,
            "rendering_options": None,
        },
        "livemode": False,
        "metadata": {},
        "name": None,
        "next_invoice_sequence": 1,
        "phone": None,
        "preferred_locales": [],
        "shipping": None,
        "tax_exempt": "none",
        "test_clock": None,
    }


def address_object(params: Params | None) -> JsonObject | None:
    if params is None:
        return None
    return {name: params.string(name) for name in _ADDRESS_FIELDS}


def _read_changes(params: Params, current: JsonObject) -> tuple[JsonObject, str | None]:
    """The fields a create or update sets, and the default PaymentMethod it names."""
    changes: JsonObject = {}
    for name in _TEXT_FIELDS:
        if params.is_blank(name):
            changes[name] = None
        elif (value := params.string(name)) is not None:
            changes[name] = value
    metadata = params.metadata_onto(current["metadata"])
    if metadata is not None:
        changes["metadata"] = metadata
    if params.is_blank("address"):
        changes["address"] = None
    elif (address := params.hash("address")) is not None:
        changes["address"] = address_object(address)
    if params.is_blank("shipping"):
        changes["shipping"] = None
    elif (shipping := params.hash("shipping")) is not None:
        changes["shipping"] = {
            "address": address_object(shipping.hash("address")),
            "name": shipping.required_string("name"),
            "phone": shipping.string("phone"),
        }
    if (locales := params.strings("preferred_locales")) is not None:
        changes["preferred_locales"] = locales
    if exempt := params.string("tax_exempt", choices=("none", "exempt", "reverse")):
        changes["tax_exempt"] = exempt
    if (balance := params.integer("balance")) is not None:
        changes["balance"] = balance
    default_pm: str | None = None
    if (settings := params.hash("invoice_settings")) is not None:
        settings.ignore("custom_fields", "footer", "rendering_options")
        if settings.is_blank("default_payment_method"):
            changes["invoice_settings"] = {
                **current["invoice_settings"],
                "default_payment_method": None,
            }
        default_pm = settings.string("default_payment_method")
    params.ignore(*_IGNORED)
    return changes, default_pm


def create_customer(call: Call) -> JsonObject:
    params = call.params
    customer = customer_object(new_id("cus", 14), created=call.timestamp)
    changes, default_pm = _read_changes(params, customer)
    payment_method_ref = params.string("payment_method")
    paths = read_expansions(params, "customer")
    params.finish()

    customer.update(changes)
    if default_pm is not None and default_pm != payment_method_ref:
        # A new customer has no card of its own yet, so this always refuses; it is
        # checked before anything is stored so that the refusal leaves no trace.
        _set_default_payment_method(call, customer, default_pm)
    attached: JsonObject | None = None
    if payment_method_ref is not None:
        attached = resolve_payment_method(
            call, payment_method_ref, param="payment_method"
        )
        ensure_attachable(attached, customer["id"])
        if default_pm is not None:
            # Naming the card being attached in the same request is how Stripe's
            # docs save a first card: the magic id means the clone attached here.
            customer["invoice_settings"]["default_payment_method"] = attached["id"]
    call.state.customers[customer["id"]] = customer
    call.emit("customer.created", customer)
    if attached is not None:
        attach(call, attached, customer["id"])
    return expand(call.state, customer, paths)


def _set_default_payment_method(call: Call, customer: JsonObject, pm_id: str) -> None:
    param = "invoice_settings[default_payment_method]"
    payment_method = call.state.payment_method(pm_id, param=param)
    if payment_method["customer"] != customer["id"]:
        raise StripeApiError(
            400,
            f"The customer does not have a payment method with the ID {pm_id}. The "
            "payment method must be attached to the customer.",
            code="resource_missing",
            param=param,
        )
    customer["invoice_settings"] = {
        **customer["invoice_settings"],
        "default_payment_method": pm_id,
    }


def retrieve_customer(call: Call) -> JsonObject:
    paths = read_expansions(call.params, "customer")
    call.params.finish()
    customer_id = call.path_args["id"]
    if customer_id in call.state.deleted_customers:
        return {"id": customer_id, "object": "customer", "deleted": True}
    return expand(call.state, call.state.customer(customer_id, param="id"), paths)


def update_customer(call: Call) -> JsonObject:
    params = call.params
    customer = call.state.customer(call.path_args["id"], param="id")
    changes, default_pm = _read_changes(params, customer)
    paths = read_expansions(params, "customer")
    params.finish()

    before = copy.deepcopy(customer)
    customer.update(changes)
    if default_pm is not None:
        _set_default_payment_method(call, customer, default_pm)
    previous: dict[str, Any] = {
        name: value for name, value in before.items() if customer[name] != value
    }
    if previous:
        call.emit("customer.updated", customer, previous)
    return expand(call.state, customer, paths)


def delete_customer(call: Call) -> JsonObject:
    call.params.finish()
    customer = call.state.customer(call.path_args["id"], param="id")
    call.state.deleted_customers.add(customer["id"])
    call.emit("customer.deleted", customer)
    return {"id": customer["id"], "object": "customer", "deleted": True}


def list_customers(call: Call) -> JsonObject:
    email = call.params.string("email")
    call.params.ignore("test_clock")
    customers = [
        customer
        for customer_id, customer in call.state.customers.items()
        if customer_id not in call.state.deleted_customers
        and (email is None or customer["email"] == email)
    ]
    return list_reply(call, customers, url="/v1/customers", kind="customer")


def existing_customer_id(call: Call, customer_id: str | None) -> str | None:
    """:raises StripeApiError: resource_missing (param `customer`) for an unknown id."""
    if customer_id is None:
        return None
    if customer_id not in call.state.customers or (
        customer_id in call.state.deleted_customers
    ):
        raise resource_missing("customer", customer_id, param="customer")
    return customer_id
