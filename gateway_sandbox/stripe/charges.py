"""Charges (GATEWAYS.md C4): one per payment attempt that reached the card network.

They are embedded in PaymentIntents (`latest_charge`, expandable) and charge.* events;
`GET /v1/charges/{id}` and the list are there for reconciliation tools.
"""

from __future__ import annotations

import copy
import datetime as dt
from typing import TYPE_CHECKING

from gateway_sandbox.stripe.cards import Decline
from gateway_sandbox.stripe.errors import StripeApiError
from gateway_sandbox.stripe.expansion import expand, read_expansions
from gateway_sandbox.stripe.ids import new_id
from gateway_sandbox.stripe.listing import indexed_list_reply, list_reply
from gateway_sandbox.stripe.wire import JsonObject

if TYPE_CHECKING:
    from gateway_sandbox.stripe.calls import Call

# An uncaptured card authorization lapses after seven days.
CAPTURE_WINDOW = dt.timedelta(days=7)
_DECLINED_SELLER_MESSAGE = (
    "The bank did not return any further details with this decline."
)


def new_charge(
    call: Call,
    intent: JsonObject,
    payment_method: JsonObject,
    *,
    decline: Decline | None,
    authenticated: bool,
) -> JsonObject:
    """Store and return the Charge of one attempt (failed when `decline` is given)."""
    paid = decline is None
    captured = paid and intent["capture_method"] != "manual"
    amount = intent["amount"]
    card = payment_method["card"]
    charge_id = new_id("ch")
    charge: JsonObject = {
        "id": charge_id,
        "object": "charge",
        "amount": amount,
        "amount_captured": amount if captured else 0,
        "amount_refunded": 0,
        "application": None,
        "application_fee": None,
        "application_fee_amount": None,
        "balance_transaction": new_id("txn") if captured else None,
        "billing_details": copy.deepcopy(payment_method["billing_details"]),
        "calculated_statement_descriptor": "GATEWAY SANDBOX",
        "captured": captured,
        "created": call.timestamp,
        "currency": intent["currency"],
        "customer": intent["customer"],
        "description": intent["description"],
        "disputed": False,
        "failure_balance_transaction": None,
        "failure_code": None if decline is None else decline.code,
        "failure_message": None if decline is None else decline.message,
        "fraud_details": {},
        "livemode": False,
        "metadata": dict(intent["metadata"]),
        "on_behalf_of": None,
        "outcome": outcome_of(decline),
        "paid": paid,
        "payment_intent": intent["id"],
        "payment_method": payment_method["id"],
        "payment_method_details": {
            "type": "card",
            "card": {
                "amount_authorized": amount if paid else None,
                "brand": card["brand"],
                "capture_before": (
                    call.timestamp + int(CAPTURE_WINDOW.total_seconds())
                    if paid and not captured
                    else None
                ),
                "checks": dict(card["checks"]),
                "country": card["country"],
                "exp_month": card["exp_month"],
                "exp_year": card["exp_year"],
                "fingerprint": card["fingerprint"],
                "funding": card["funding"],
                "installments": None,
                "last4": card["last4"],
                "mandate": None,
                "network": card["brand"],
                "network_token": {"used": False},
                "three_d_secure": (
                    {
                        "authentication_flow": "challenge",
                        "result": "authenticated",
                        "version": "2.2.0",
                    }
                    if authenticated
                    else None
                ),
                "wallet": None,
            },
        },
        "receipt_email": intent["receipt_email"],
        "receipt_number": None,
        "receipt_url": None,
        "refunded": False,
        "refunds": {
            "object": "list",
            "data": [],
            "has_more": False,
            "total_count": 0,
            "url": f"/v1/charges/{charge_id}/refunds",
        },
        "review": None,
        "shipping": copy.deepcopy(intent["shipping"]),
        "source": None,
        "source_transfer": None,
        "statement_descriptor": intent["statement_descriptor"],
        "statement_descriptor_suffix": intent["statement_descriptor_suffix"],
        "status": "succeeded" if paid else "failed",
        "transfer_data": None,
        "transfer_group": None,
    }
    call.state.charges[charge_id] = charge
    return charge


def outcome_of(decline: Decline | None) -> JsonObject:
    if decline is None:
        return {
            "advice_code": None,
            "network_advice_code": None,
            "network_decline_code": None,
            "network_status": "approved_by_network",
            "reason": None,
            "risk_level": "normal",
            "risk_score": 32,
            "seller_message": "Payment complete.",
            "type": "authorized",
        }
    return {
        "advice_code": None,
        "network_advice_code": None,
        "network_decline_code": None,
        "network_status": "declined_by_network",
        "reason": decline.decline_code,
        "risk_level": "normal",
        "risk_score": 32,
        "seller_message": _DECLINED_SELLER_MESSAGE,
        "type": "issuer_declined",
    }


def card_error_object(
    decline: Decline, *, payment_method: JsonObject, charge_id: str | None
) -> JsonObject:
    """The error as stored in `last_payment_error` / `last_setup_error`."""
    error: JsonObject = {
        "type": "card_error",
        "code": decline.code,
        "decline_code": decline.decline_code,
        "doc_url": "https://stripe.com/docs/error-codes/"
        + decline.code.replace("_", "-"),
        "message": decline.message,
        "payment_method": copy.deepcopy(payment_method),
    }
    if charge_id is not None:
        error["charge"] = charge_id
    return error


def card_error(
    decline: Decline, *, embedded: JsonObject, charge_id: str | None = None
) -> StripeApiError:
    """The 402 reply of a declined attempt, carrying the objects Stripe embeds."""
    objects = copy.deepcopy(embedded)
    if charge_id is not None:
        objects["charge"] = charge_id
    return StripeApiError(
        402,
        decline.message,
        type="card_error",
        code=decline.code,
        decline_code=decline.decline_code,
        embedded=objects,
    )


def retrieve_charge(call: Call) -> JsonObject:
    paths = read_expansions(call.params, "charge")
    call.params.finish()
    return expand(call.state, call.state.charge(call.path_args["id"]), paths)


def list_charges(call: Call) -> JsonObject:
    state = call.state
    customer = call.params.string("customer")
    intent = call.params.string("payment_intent")
    call.params.ignore("transfer_group")
    if customer is None and intent is None:
        index = state.charge_order.synced(state.charges)
        return indexed_list_reply(call, index, url="/v1/charges", kind="charge")
    charges = [
        charge
        for charge in state.charges.values()
        if (customer is None or charge["customer"] == customer)
        and (intent is None or charge["payment_intent"] == intent)
    ]
    return list_reply(call, charges, url="/v1/charges", kind="charge")
