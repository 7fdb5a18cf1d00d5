"""The reconciliation knobs on the Stripe account's records [SANDBOX].

Each acts on the stored objects directly and emits no Event (so no webhook), as a
change made in the Dashboard or an error at Stripe would look to the service; the
ledger is written as the account's books would then read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gateway_sandbox.discrepancies import (
    AmountChange,
    DashboardRefund,
    Discrepancy,
    Drop,
    KnobRefused,
    ReconciliationKnobs,
    SeededPayment,
    StatusChange,
    UnknownCapture,
    unknown_payment,
)
from gateway_sandbox.stripe.calls import Call
from gateway_sandbox.stripe.cards import GENERIC_DECLINE
from gateway_sandbox.stripe.charges import card_error_object, new_charge, outcome_of
from gateway_sandbox.stripe.errors import StripeApiError
from gateway_sandbox.stripe.ids import new_id
from gateway_sandbox.stripe.intent_settings import AUTOMATIC_DEFAULT
from gateway_sandbox.stripe.money import SUPPORTED_CURRENCIES
from gateway_sandbox.stripe.payment_intents import payment_intent_object
from gateway_sandbox.stripe.payment_methods import resolve_payment_method
from gateway_sandbox.stripe.refunds import refund_charge, refundable_charge_of
from gateway_sandbox.stripe.wire import DEFAULT_API_VERSION, JsonObject

if TYPE_CHECKING:
    from gateway_sandbox.stripe.gateway import SimulatedStripe

GATEWAY = "stripe"
# The card a payment made outside the service was paid with.
_SEED_CARD = "pm_card_visa"


class StripeKnobs(ReconciliationKnobs):
    def __init__(self, gateway: SimulatedStripe) -> None:
        self._gateway = gateway

    def _call(self) -> Call:
        """An action on the account now, outside any API request."""
        gateway = self._gateway
        return Call(
            state=gateway.state,
            sandbox=gateway.sandbox,
            webhooks=gateway.webhooks,
            now=gateway.sandbox.clock.now(),
            base_url="",
            api_version=DEFAULT_API_VERSION,
        )

    def make(self, discrepancy: Discrepancy) -> str:
        call = self._call()
        match discrepancy:
            case UnknownCapture():
                seeded = SeededPayment(
                    reference=discrepancy.reference,
                    account=discrepancy.account,
                    amount_minor=discrepancy.amount_minor,
                    currency=discrepancy.currency,
                    created_at=None,
                )
                return self.seed([seeded])[0]
            case DashboardRefund():
                return _refund(call, discrepancy)
            case AmountChange():
                return _change_amount(call, discrepancy)
            case StatusChange():
                return _change_status(call, discrepancy)
            case Drop():
                return _drop(call, discrepancy)

    def seed(self, payments: list[SeededPayment]) -> list[str]:
        for payment in payments:
            _currency(payment.currency)
        call = self._call()
        payment_method = resolve_payment_method(call, _SEED_CARD, param="card")
        now = call.now
        ids = []
        for payment in payments:
            call.now = payment.created_at or now
            ids.append(_captured(call, payment, payment_method))
        return ids


def _currency(code: str) -> str:
    """:raises KnobRefused: for a currency Stripe does not take."""
    currency = code.lower()
    if currency not in SUPPORTED_CURRENCIES:
        raise KnobRefused(f"Stripe does not take {code}")
    return currency


def _captured(call: Call, payment: SeededPayment, payment_method: JsonObject) -> str:
    """A succeeded PaymentIntent with its captured charge, at `call.now`."""
    intent = payment_intent_object(
        new_id("pi"),
        created=call.timestamp,
        fields={
            "amount": payment.amount_minor,
            "amount_received": payment.amount_minor,
            "automatic_payment_methods": dict(AUTOMATIC_DEFAULT),
            "currency": _currency(payment.currency),
            "customer": payment.account,
            "metadata": ({"reference": payment.reference} if payment.reference else {}),
            "payment_method": payment_method["id"],
            "status": "succeeded",
        },
    )
    call.state.payment_intents[intent["id"]] = intent
    charge = new_charge(call, intent, payment_method, decline=None, authenticated=False)
    intent["latest_charge"] = charge["id"]
    call.record_money(
        "capture", transaction_id=intent["id"], amount=intent["amount"], intent=intent
    )
    return str(intent["id"])


def _intent(call: Call, payment: str) -> JsonObject:
    """:raises KnobRefused: 404 for no such PaymentIntent."""
    intent = call.state.payment_intents.get(payment)
    if intent is None:
        raise unknown_payment(payment)
    return intent


def _refund(call: Call, discrepancy: DashboardRefund) -> str:
    intent = _intent(call, discrepancy.payment)
    try:
        charge = refundable_charge_of(call, intent["id"])
        refund = refund_charge(
            call, charge, discrepancy.amount_minor, param="payment_intent"
        )
    except StripeApiError as exc:
        raise KnobRefused(exc.message) from exc
    return str(refund["id"])


def _change_amount(call: Call, discrepancy: AmountChange) -> str:
    intent = _intent(call, discrepancy.payment)
    amount = discrepancy.amount_minor
    if intent["status"] == "succeeded":
        difference = amount - intent["amount_received"]
        call.record_money(
            "adjustment", transaction_id=intent["id"], amount=difference, intent=intent
        )
        intent["amount_received"] = amount
    elif intent["status"] == "requires_capture":
        intent["amount_capturable"] = amount
    intent["amount"] = amount
    charge = call.state.charges.get(intent["latest_charge"] or "")
    if charge is not None and charge["paid"]:
        charge["amount"] = amount
        charge["payment_method_details"]["card"]["amount_authorized"] = amount
        if charge["captured"]:
            charge["amount_captured"] = amount
    return str(intent["id"])


def _change_status(call: Call, discrepancy: StatusChange) -> str:
    intent = _intent(call, discrepancy.payment)
    if intent["status"] == "succeeded":
        call.record_money(
            "adjustment",
            transaction_id=intent["id"],
            amount=-intent["amount_received"],
            intent=intent,
        )
    elif intent["status"] == "requires_capture":
        call.record_money(
            "void",
            transaction_id=intent["id"],
            amount=intent["amount_capturable"],
            intent=intent,
        )
    charge = call.state.charges.get(intent["latest_charge"] or "")
    intent.update(amount_capturable=0, amount_received=0, next_action=None)
    if discrepancy.status == "declined":
        payment_method = call.state.payment_methods.get(intent["payment_method"] or "")
        intent.update(
            status="requires_payment_method",
            payment_method=None,
            last_payment_error=card_error_object(
                GENERIC_DECLINE,
                payment_method=payment_method or {},
                charge_id=charge["id"] if charge else None,
            ),
        )
        if charge is not None:
            charge.update(
                status="failed",
                paid=False,
                captured=False,
                amount_captured=0,
                failure_code=GENERIC_DECLINE.code,
                failure_message=GENERIC_DECLINE.message,
                outcome=outcome_of(GENERIC_DECLINE),
            )
    else:
        intent.update(status="canceled", canceled_at=call.timestamp)
        if charge is not None and charge["paid"]:
            # Shown as a released authorization: refunded, never captured.
            charge.update(
                captured=False,
                amount_captured=0,
                amount_refunded=charge["amount"],
                refunded=True,
            )
    return str(intent["id"])


def _drop(call: Call, discrepancy: Drop) -> str:
    intent = _intent(call, discrepancy.payment)
    state = call.state
    intent_id = intent["id"]
    del state.payment_intents[intent_id]
    charges = [c for c in state.charges.values() if c["payment_intent"] == intent_id]
    for charge in charges:
        del state.charges[charge["id"]]
    refunds = [r for r in state.refunds.values() if r["payment_intent"] == intent_id]
    for refund in refunds:
        del state.refunds[refund["id"]]
    state.return_urls.pop(intent_id, None)
    call.sandbox.ledger.forget(GATEWAY, {intent_id, *(r["id"] for r in refunds)})
    return str(intent_id)
