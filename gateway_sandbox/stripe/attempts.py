"""What confirming, authenticating, capturing and cancelling a PaymentIntent does.

State changes follow GATEWAYS.md C5.3 to C5.8: each one leaves its Events, and money
that moves is written to the sandbox ledger at the moment it moves, whether or not the
reply ever reaches the client.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from gateway_sandbox.stripe.cards import AUTHENTICATION_REQUIRED, Decline
from gateway_sandbox.stripe.challenges import (
    authentication_failure,
    leave_challenge,
    send_to_challenge,
)
from gateway_sandbox.stripe.charges import card_error, card_error_object, new_charge
from gateway_sandbox.stripe.errors import StripeApiError, unexpected_state
from gateway_sandbox.stripe.ids import new_id
from gateway_sandbox.stripe.intent_settings import challenge_requested
from gateway_sandbox.stripe.outcomes import after_authentication, judge_payment
from gateway_sandbox.stripe.payment_methods import attach
from gateway_sandbox.stripe.wire import JsonObject

if TYPE_CHECKING:
    from gateway_sandbox.ledger import LedgerKind
    from gateway_sandbox.stripe.calls import Call

CANCELABLE = (
    "requires_payment_method",
    "requires_capture",
    "requires_confirmation",
    "requires_action",
    "processing",
)


@dataclass(frozen=True, slots=True)
class ConfirmOptions:
    """How the merchant asked for one confirmation to be carried out."""

    off_session: bool
    error_on_requires_action: bool
    return_url: str | None


def confirm_payment(call: Call, intent: JsonObject, options: ConfirmOptions) -> None:
    """Attempt the payment with the intent's PaymentMethod.

    :raises StripeApiError: 402 card_error on a decline, after the failed state is
        stored; 400 when the card belongs to another customer.
    """
    payment_method = call.state.payment_method(intent["payment_method"])
    owner = payment_method["customer"]
    if (
        owner is not None
        and intent["customer"] is not None
        and owner != intent["customer"]
    ):
        raise StripeApiError(
            400,
            "The provided PaymentMethod was previously attached to a different "
            "Customer.",
            param="payment_method",
        )
    card = call.state.cards[payment_method["id"]]
    verdict = judge_payment(
        card,
        off_session=options.off_session,
        set_up_for_off_session=payment_method["id"]
        in call.state.set_up_for_off_session,
        challenge_requested=challenge_requested(intent),
        error_on_requires_action=options.error_on_requires_action,
    )
    if verdict.kind == "authenticate":
        send_to_challenge(call, intent, options.return_url)
    elif verdict.decline is not None:
        raise _fail(call, intent, payment_method, verdict.decline, authenticated=False)
    else:
        _succeed(call, intent, payment_method, authenticated=False)


def finish_payment_authentication(
    call: Call, intent: JsonObject, *, passed: bool
) -> None:
    """Carry out the customer's answer on the challenge page (C5.4)."""
    payment_method = leave_challenge(call, intent)
    if not passed:
        intent.update(
            status="requires_payment_method",
            payment_method=None,
            last_payment_error=authentication_failure(intent, payment_method),
        )
        call.emit("payment_intent.payment_failed", intent)
        return
    verdict = after_authentication(
        call.state.cards[payment_method["id"]], for_setup=False
    )
    if verdict.decline is not None:
        _fail(call, intent, payment_method, verdict.decline, authenticated=True)
    else:
        _succeed(call, intent, payment_method, authenticated=True)


def _succeed(
    call: Call, intent: JsonObject, payment_method: JsonObject, *, authenticated: bool
) -> None:
    if intent["setup_future_usage"] is not None and intent["customer"] is not None:
        attach(call, payment_method, intent["customer"])
        if intent["setup_future_usage"] == "off_session":
            call.state.set_up_for_off_session.add(payment_method["id"])
    charge = new_charge(
        call, intent, payment_method, decline=None, authenticated=authenticated
    )
    intent.update(latest_charge=charge["id"], last_payment_error=None, next_action=None)
    call.emit("charge.succeeded", charge)
    # A manual capture only authorizes the amount; capture_payment() takes it later.
    movement: LedgerKind
    if intent["capture_method"] == "manual":
        intent.update(status="requires_capture", amount_capturable=intent["amount"])
        movement, event = "authorize", "payment_intent.amount_capturable_updated"
    else:
        intent.update(status="succeeded", amount_received=intent["amount"])
        movement, event = "capture", "payment_intent.succeeded"
    call.record_money(
        movement, transaction_id=intent["id"], amount=intent["amount"], intent=intent
    )
    call.emit(event, intent)


def _fail(
    call: Call,
    intent: JsonObject,
    payment_method: JsonObject,
    decline: Decline,
    *,
    authenticated: bool,
) -> StripeApiError:
    """Store the declined attempt and return the 402 error that reports it.

    A card that wanted a challenge off-session never reaches the network, so that
    decline leaves no Charge (C5.3).
    """
    charge_id: str | None = None
    if decline != AUTHENTICATION_REQUIRED:
        charge = new_charge(
            call, intent, payment_method, decline=decline, authenticated=authenticated
        )
        charge_id = charge["id"]
        intent["latest_charge"] = charge_id
        call.emit("charge.failed", charge)
    intent.update(
        status="requires_payment_method",
        payment_method=None,
        next_action=None,
        last_payment_error=card_error_object(
            decline, payment_method=payment_method, charge_id=charge_id
        ),
    )
    call.emit("payment_intent.payment_failed", intent)
    return card_error(
        decline,
        embedded={"payment_intent": intent, "payment_method": payment_method},
        charge_id=charge_id,
    )


def capture_payment(call: Call, intent: JsonObject, amount: int | None) -> None:
    """Capture `amount` (default: all) of an authorized payment; release the rest.

    :raises StripeApiError: payment_intent_unexpected_state, amount_too_large.
    """
    if intent["status"] != "requires_capture":
        raise unexpected_state(
            "This PaymentIntent could not be captured because it has a status of "
            f"{intent['status']}. Only a PaymentIntent with one of the following "
            "statuses may be captured: requires_capture.",
            code="payment_intent_unexpected_state",
        )
    capturable = intent["amount_capturable"]
    captured = capturable if amount is None else amount
    if captured > capturable:
        raise StripeApiError(
            400,
            f"The amount to capture ({captured}) is greater than the amount "
            f"capturable ({capturable}).",
            code="amount_too_large",
            param="amount_to_capture",
        )
    charge = call.state.charge(intent["latest_charge"])
    charge.update(
        captured=True,
        amount_captured=captured,
        balance_transaction=charge["balance_transaction"] or new_id("txn"),
    )
    intent.update(status="succeeded", amount_capturable=0, amount_received=captured)
    call.record_money(
        "capture", transaction_id=intent["id"], amount=captured, intent=intent
    )
    call.emit("charge.captured", charge)
    call.emit("payment_intent.succeeded", intent)


def cancel_payment(call: Call, intent: JsonObject, reason: str | None) -> None:
    """:raises StripeApiError: payment_intent_unexpected_state (C5.8)."""
    status = intent["status"]
    if status not in CANCELABLE:
        raise unexpected_state(
            "You cannot cancel this PaymentIntent because it has a status of "
            f"{status}. "
            "Only a PaymentIntent with one of the following statuses may be canceled: "
            + ", ".join(CANCELABLE)
            + ".",
            code="payment_intent_unexpected_state",
        )
    if status == "requires_capture":
        # The authorization is released: the charge shows it as refunded.
        charge = call.state.charge(intent["latest_charge"])
        previous = {"amount_refunded": 0, "refunded": False}
        charge.update(amount_refunded=charge["amount"], refunded=True)
        call.record_money(
            "void",
            transaction_id=intent["id"],
            amount=intent["amount_capturable"],
            intent=intent,
        )
        call.emit("charge.refunded", charge, previous)
    intent.update(
        status="canceled",
        canceled_at=call.timestamp,
        cancellation_reason=reason,
        amount_capturable=0,
        next_action=None,
    )
    call.state.return_urls.pop(intent["id"], None)
    call.emit("payment_intent.canceled", intent)
