"""Refunds (GATEWAYS.md C4, C5.7): of a captured charge, in parts, never beyond it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gateway_sandbox.stripe.errors import StripeApiError, invalid_parameter
from gateway_sandbox.stripe.expansion import expand, read_expansions
from gateway_sandbox.stripe.ids import new_id
from gateway_sandbox.stripe.listing import indexed_list_reply, list_reply
from gateway_sandbox.stripe.money import format_minor
from gateway_sandbox.stripe.wire import JsonObject

if TYPE_CHECKING:
    from gateway_sandbox.stripe.calls import Call

_REASONS = ("duplicate", "fraudulent", "requested_by_customer")


def create_refund(call: Call) -> JsonObject:
    params = call.params
    amount = params.integer("amount", minimum=1)
    charge_ref = params.string("charge")
    intent_ref = params.string("payment_intent")
    reason = params.string("reason", choices=_REASONS)
    metadata = params.metadata_onto({}) or {}
    paths = read_expansions(call.params, "refund")
    params.ignore(
        "currency",
        "customer",
        "instructions_email",
        "origin",
        "refund_application_fee",
        "reverse_transfer",
    )
    params.finish()
    if charge_ref is None and intent_ref is None:
        raise StripeApiError(
            400,
            "One of the following params should be provided for this request: "
            "payment_intent or charge.",
            code="parameter_missing",
            param="payment_intent",
            before_execution=True,
        )

    charge = _refundable_charge(call, charge_ref=charge_ref, intent_ref=intent_ref)
    previous = {
        "amount_refunded": charge["amount_refunded"],
        "refunded": charge["refunded"],
    }
    refund = refund_charge(
        call,
        charge,
        amount,
        param="charge" if charge_ref else "payment_intent",
        reason=reason,
        metadata=metadata,
    )
    call.emit("refund.created", refund)
    call.emit("charge.refunded", charge, previous)
    return expand(call.state, refund, paths)


def refund_charge(
    call: Call,
    charge: JsonObject,
    amount: int | None,
    *,
    param: str,
    reason: str | None = None,
    metadata: dict[str, str] | None = None,
) -> JsonObject:
    """Refund `amount` (default: the rest) of a captured charge; no events.

    :raises StripeApiError: charge_already_refunded, amount_too_large.
    """
    remaining = charge["amount_captured"] - charge["amount_refunded"]
    if remaining <= 0:
        raise StripeApiError(
            400,
            f"Charge {charge['id']} has already been refunded.",
            code="charge_already_refunded",
            param=param,
        )
    refunded = remaining if amount is None else amount
    if refunded > remaining:
        raise StripeApiError(
            400,
            f"Refund amount ({format_minor(refunded, charge['currency'])}) is greater "
            "than unrefunded amount on charge "
            f"({format_minor(remaining, charge['currency'])})",
            code="amount_too_large",
            param="amount",
        )
    refund = _refund_object(
        call, charge, refunded, reason=reason, metadata=metadata or {}
    )
    call.state.refunds[refund["id"]] = refund
    charge["amount_refunded"] += refunded
    charge["refunded"] = charge["amount_refunded"] >= charge["amount_captured"]
    refunds = charge["refunds"]
    refunds["data"].insert(0, refund)
    refunds["total_count"] = len(refunds["data"])
    intent = call.state.payment_intents.get(charge["payment_intent"])
    call.record_money(
        "refund",
        transaction_id=refund["id"],
        amount=refunded,
        intent=intent if intent is not None else charge,
    )
    return refund


def refundable_charge_of(call: Call, intent_id: str) -> JsonObject:
    """The succeeded charge of a PaymentIntent.

    :raises StripeApiError: when the intent has no successful charge.
    """
    return _refundable_charge(call, charge_ref=None, intent_ref=intent_id)


def _refundable_charge(
    call: Call, *, charge_ref: str | None, intent_ref: str | None
) -> JsonObject:
    if intent_ref is not None:
        intent = call.state.payment_intent(intent_ref, param="payment_intent")
        if intent["status"] != "succeeded" or intent["latest_charge"] is None:
            raise StripeApiError(
                400,
                f"This PaymentIntent ({intent_ref}) does not have a successful charge "
                "to refund.",
                code="charge_not_refundable",
                param="payment_intent",
            )
        charge_id = intent["latest_charge"]
        if charge_ref is not None and charge_ref != charge_id:
            raise invalid_parameter(
                "charge", f"The charge {charge_ref} does not belong to {intent_ref}."
            )
        return call.state.charge(charge_id, param="payment_intent")
    assert charge_ref is not None
    charge = call.state.charge(charge_ref, param="charge")
    if charge["status"] != "succeeded" or not charge["captured"]:
        raise StripeApiError(
            400,
            f"Charge {charge_ref} has not been captured and cannot be refunded.",
            code="charge_not_refundable",
            param="charge",
        )
    return charge


def _refund_object(
    call: Call,
    charge: JsonObject,
    amount: int,
    *,
    reason: str | None,
    metadata: dict[str, str],
) -> JsonObject:
    return {
        "id": new_id("re"),
        "object": "refund",
        "amount": amount,
        "balance_transaction": new_id("txn"),
        "charge": charge["id"],
        "created": call.timestamp,
        "currency": charge["currency"],
        "description": None,
        "destination_details": {
            "card": {
                "reference_status": "pending",
                "reference_type": "acquirer_reference_number",
                "type": "refund",
            },
            "type": "card",
        },
        "failure_reason": None,
        "instructions_email": None,
        "metadata": metadata,
        "next_action": None,
        "payment_intent": charge["payment_intent"],
        "pending_reason": None,
        "reason": reason,
        "receipt_number": None,
        "source_transfer_reversal": None,
        "status": "succeeded",
        "transfer_reversal": None,
    }


def retrieve_refund(call: Call) -> JsonObject:
    paths = read_expansions(call.params, "refund")
    call.params.finish()
    return expand(call.state, call.state.refund(call.path_args["id"]), paths)


def list_refunds(call: Call) -> JsonObject:
    state = call.state
    charge = call.params.string("charge")
    intent = call.params.string("payment_intent")
    if charge is None and intent is None:
        index = state.refund_order.synced(state.refunds)
        return indexed_list_reply(call, index, url="/v1/refunds", kind="refund")
    refunds = [
        refund
        for refund in state.refunds.values()
        if (charge is None or refund["charge"] == charge)
        and (intent is None or refund["payment_intent"] == intent)
    ]
    return list_reply(call, refunds, url="/v1/refunds", kind="refund")
