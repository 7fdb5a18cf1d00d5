"""PaymentIntents and SetupIntents as the contract's results (GATEWAYS.md C4, C5)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, Final

import stripe

from billing.money import Money
from payments.gateways.base import (
    CardDetails,
    CardSetupResult,
    ChargeResult,
    Declined,
    GatewayError,
    OutcomeUnknown,
    PaymentSnapshot,
    PaymentState,
    RequiresAction,
    ThreeDsChallenge,
)
from payments.gateways.redaction import redact
from payments.gateways.stripe._amounts import from_stripe
from payments.gateways.stripe._errors import is_hard

STATES: Final = {
    "succeeded": PaymentState.SUCCEEDED,
    "requires_capture": PaymentState.AUTHORIZED,
    "requires_action": PaymentState.REQUIRES_ACTION,
    "canceled": PaymentState.CANCELED,
    "requires_confirmation": PaymentState.PENDING,
    "processing": PaymentState.PENDING,
}
# Expanded on every read, so that one request gives the card and the refunds.
EXPAND: Final = ["payment_method", "latest_charge"]
SETUP_EXPAND: Final = ["payment_method"]

Intent = stripe.PaymentIntent | stripe.SetupIntent
# A Stripe object as the SDK builds it, or as the plain JSON of a list page, which
# `_operations` reads without the SDK's objects (`snapshot`).
Record = stripe.StripeObject | Mapping[str, Any]


def state_of(intent: Record) -> PaymentState:
    """requires_payment_method is a decline once an attempt failed, else pending."""
    status = _field(intent, "status")
    if status == "requires_payment_method":
        if _field(intent, "last_payment_error") is not None:
            return PaymentState.DECLINED
        return PaymentState.PENDING
    try:
        return STATES[str(status)]
    except KeyError:
        raise GatewayError(f"Stripe status not understood: {status!r}") from None


def outcome(intent: stripe.PaymentIntent, *, customer: str | None) -> ChargeResult:
    """The result of confirming `intent`, or the error that stands for it.

    :raises RequiresAction: 3-D Secure is needed (the URL is Stripe's redirect).
    :raises Declined: the attempt failed (after 3-D Secure).
    :raises OutcomeUnknown: still processing; settle it with find_payment.
    :raises GatewayError: any other state.
    """
    state = state_of(intent)
    if state in (PaymentState.SUCCEEDED, PaymentState.AUTHORIZED):
        payment_method = _payment_method(intent)
        # A token only when the card is saved to the payer's customer, and so can
        # be charged again; an entered card is saved by setup_future_usage.
        saved = (
            payment_method is not None
            and customer is not None
            and _id(payment_method.customer) == customer
        )
        return ChargeResult(
            gateway_reference=intent.id,
            state=state,
            amount=moved(intent, state),
            token=payment_method.id if saved and payment_method else None,
            card=card(payment_method),
            reference=_metadata(intent).get("reference", ""),
            account=_id(intent.customer) or "",
        )
    if state is PaymentState.REQUIRES_ACTION:
        raise challenge(intent)
    if state is PaymentState.DECLINED:
        raise decline(intent)
    if intent.status == "processing":
        raise OutcomeUnknown(f"Stripe is still processing {intent.id}")
    raise GatewayError(f"Stripe PaymentIntent {intent.id} is {intent.status}")


def captured(intent: stripe.PaymentIntent) -> ChargeResult:
    """A captured intent as reported, without its card (a capture expands none).

    :raises GatewayError: unless the intent is captured.
    """
    state = state_of(intent)
    if state is not PaymentState.SUCCEEDED:
        raise GatewayError(f"Stripe PaymentIntent {intent.id} is {intent.status}")
    return ChargeResult(
        gateway_reference=intent.id,
        state=state,
        amount=moved(intent, state),
        reference=_metadata(intent).get("reference", ""),
        account=_id(intent.customer) or "",
    )


def moved(intent: stripe.PaymentIntent, state: PaymentState) -> Money:
    """What the intent took (`amount_received`) once it succeeded, else its amount."""
    if state is PaymentState.SUCCEEDED:
        return from_stripe(intent.amount_received, intent.currency)
    return from_stripe(intent.amount, intent.currency)


def setup_outcome(intent: stripe.SetupIntent) -> CardSetupResult:
    """The result of confirming a SetupIntent, or the error that stands for it.

    :raises RequiresAction: 3-D Secure is needed (the URL is Stripe's redirect).
    :raises Declined: the card was declined, or failed 3-D Secure.
    :raises OutcomeUnknown: still processing.
    :raises GatewayError: any other state.
    """
    if intent.status == "succeeded":
        payment_method = _payment_method(intent)
        if payment_method is None:
            raise GatewayError(f"Stripe SetupIntent {intent.id} saved no card")
        return CardSetupResult(
            gateway_reference=intent.id,
            token=payment_method.id,
            card=card(payment_method),
        )
    if intent.status == "requires_action":
        raise challenge(intent)
    if intent.status == "requires_payment_method" and intent.last_setup_error:
        raise _declined(intent.last_setup_error, gateway_reference=intent.id)
    if intent.status == "processing":
        raise OutcomeUnknown(f"Stripe is still processing {intent.id}")
    raise GatewayError(f"Stripe SetupIntent {intent.id} is {intent.status}")


def challenge(intent: Intent) -> RequiresAction:
    """:raises GatewayError: when Stripe gave no redirect (no return_url was sent)."""
    redirect = _field(intent.next_action, "redirect_to_url")
    url = _field(redirect, "url")
    if not isinstance(url, str) or not url:
        raise GatewayError(
            f"Stripe wants 3-D Secure for {intent.id} but gave no redirect URL: "
            "on-session confirmations need a return_url"
        )
    return RequiresAction(
        ThreeDsChallenge(gateway_reference=intent.id, url=redirect.url)
    )


def decline(intent: stripe.PaymentIntent) -> Declined:
    return _declined(intent.last_payment_error, gateway_reference=intent.id)


def _declined(error: object, *, gateway_reference: str) -> Declined:
    """The intent's last error (`last_payment_error`, `last_setup_error`)."""
    code = _field(error, "code")
    decline_code = _field(error, "decline_code")
    return Declined(
        reason_code=str(decline_code or code or "card_declined"),
        message=redact(_field(error, "message")),
        hard=is_hard(code, decline_code),
        gateway_reference=gateway_reference,
    )


def card(payment_method: Record | None) -> CardDetails | None:
    """Stripe never shows the card's first six digits (its BIN): `first6` is ""."""
    details = _field(payment_method, "card")
    if details is None:
        return None
    return CardDetails(
        brand=_field(details, "brand"),
        first6=_field(details, "iin") or "",
        last4=_field(details, "last4"),
        exp_month=_field(details, "exp_month"),
        exp_year=_field(details, "exp_year"),
    )


def snapshot(intent: Record, *, expanded: bool = True) -> PaymentSnapshot:
    """The gateway's record of `intent`: the SDK's object, or the plain JSON of a
    list page.

    Read with `EXPAND` unless `expanded` is False (a day's list, which compares and
    settles nothing from the record): then the card and the refunded amount are
    left out (None, zero), and the token is the PaymentMethod's id.
    """
    state = state_of(intent)
    currency = _field(intent, "currency")
    amount = from_stripe(_field(intent, "amount"), currency)
    zero = Money.zero(amount.currency)
    charge = _field(intent, "latest_charge")
    # A released authorization also shows as refunded on its charge: only money
    # that was captured can have been refunded.
    refunded = (
        from_stripe(_field(charge, "amount_refunded"), _field(charge, "currency"))
        if _is_object(charge) and state is PaymentState.SUCCEEDED
        else zero
    )
    error = _field(intent, "last_payment_error")
    payment_method = _field(intent, "payment_method")
    if expanded and payment_method is not None and not _is_object(payment_method):
        raise GatewayError("Stripe payment_intent read without expanding its card")
    return PaymentSnapshot(
        gateway_reference=str(_field(intent, "id")),
        reference=_metadata(intent).get("reference"),
        state=state,
        amount=amount,
        captured=(
            from_stripe(_field(intent, "amount_received"), currency)
            if state is PaymentState.SUCCEEDED
            else zero
        ),
        refunded=refunded,
        created_at=dt.datetime.fromtimestamp(_field(intent, "created"), tz=dt.UTC),
        token=_id(payment_method),
        card=card(payment_method),
        decline_code=(
            (_field(error, "decline_code") or _field(error, "code"))
            if state is PaymentState.DECLINED
            else None
        ),
        account=_id(_field(intent, "customer")) or "",
        capture=_field(intent, "capture_method") == "manual",
    )


def _payment_method(intent: Intent) -> stripe.PaymentMethod | None:
    """The intent's PaymentMethod; reads must expand it (`EXPAND`)."""
    value = intent.payment_method
    if value is None:
        return None
    if not isinstance(value, stripe.PaymentMethod):
        raise GatewayError(f"Stripe {intent.object} read without expanding its card")
    return value


def _field(obj: object, name: str) -> Any:
    """An optional field of a StripeObject (which raises AttributeError for an
    absent key) or of plain JSON; None when absent."""
    if isinstance(obj, Mapping):
        return obj.get(name)
    return None if obj is None else getattr(obj, name, None)


def _is_object(value: object) -> bool:
    """An expanded object, not the id that stands for it."""
    return isinstance(value, stripe.StripeObject | Mapping)


def _metadata(intent: Record) -> dict[str, str]:
    metadata = _field(intent, "metadata")
    if isinstance(metadata, stripe.StripeObject):
        metadata = metadata.to_dict()
    return {} if metadata is None else {str(k): str(v) for k, v in metadata.items()}


def _id(value: object) -> str | None:
    if _is_object(value):
        return str(_field(value, "id"))
    return None if value is None else str(value)
