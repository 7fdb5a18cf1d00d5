"""CloudPayments answers as the contract's types (GATEWAYS.md A1, A2, A5).

Amounts arrive as `Decimal` major units (the SDK parses floats that way) and become
`Money` here, the only place besides the request that converts them.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any, Final

from cloudpayments import CloudPaymentsError, PaymentError
from cloudpayments.models import Secure3d, Transaction

from billing.errors import DomainError
from billing.money import Money
from payments.gateways.base import (
    CardDetails,
    CardSetupResult,
    ChargeResult,
    Declined,
    GatewayError,
    PaymentSnapshot,
    PaymentState,
    RequiresAction,
    ThreeDsChallenge,
)
from payments.gateways.redaction import redact

STATES: Final[Mapping[str, PaymentState]] = {
    "AwaitingAuthentication": PaymentState.REQUIRES_ACTION,
    "Authorized": PaymentState.AUTHORIZED,
    "Completed": PaymentState.SUCCEEDED,
    "Cancelled": PaymentState.CANCELED,
    "Declined": PaymentState.DECLINED,
}
# Codes after which the same card must not be charged again: lost (5041), stolen
# (5043), expired (5054), the issuer's "pick up card" (5004, 5007), and the codes the
# docs call unconditionally negative for recurring merchants (GATEWAYS.md A5).
HARD_DECLINES: Final = frozenset(
    {5001, 5003, 5004, 5005, 5007, 5012, 5017, 5033, 5034, 5041, 5043, 5054, 5057}
)
# The Transaction model's `Type`: payments are 0, refunds 1 [INFERRED].
PAYMENT_TYPE: Final = 0


@contextlib.contextmanager
def sdk_errors(operation: str, *secrets: str | None) -> Iterator[None]:
    """Turn the SDK's exceptions into the contract's.

    `secrets` (the cryptogram or token sent) are scrubbed from any message kept.

    :raises Declined: the card was declined (`PaymentError`).
    :raises GatewayError: the request was refused, or the answer had a shape the SDK
        could not read.
    """
    try:
        yield
    except PaymentError as exc:
        raise declined(exc) from None
    except CloudPaymentsError as exc:
        message = redact(str(exc), *secrets)
        raise GatewayError(f"CloudPayments refused {operation}: {message}") from None
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        # The SDK indexes the answer directly; a missing key means an answer it
        # was not written for. Only the exception type is kept: values may be data.
        raise GatewayError(
            f"CloudPayments {operation}: unreadable answer ({type(exc).__name__})"
        ) from None


def declined(error: PaymentError) -> Declined:
    code = error.reason_code
    return Declined(
        reason_code=str(code),
        message=str(error.cardholder_message or error.reason or ""),
        hard=code in HARD_DECLINES,
        gateway_reference=(
            None if error.transaction_id is None else str(error.transaction_id)
        ),
    )


def challenge(secure3d: Secure3d) -> RequiresAction:
    """The 3-D Secure form: the caller's page adds `TermUrl` (its return URL)."""
    transaction_id = str(secure3d.transaction_id)
    return RequiresAction(
        ThreeDsChallenge(
            gateway_reference=transaction_id,
            url=str(secure3d.acs_url),
            form_fields={"PaReq": str(secure3d.pa_req), "MD": transaction_id},
        )
    )


def money(amount: Decimal | int | str, currency: str) -> Money:
    """:raises GatewayError: for an amount or currency `Money` cannot hold."""
    try:
        return Money.from_decimal(amount, currency)
    except (DomainError, TypeError) as exc:
        raise GatewayError(
            f"CloudPayments amount not understood ({type(exc).__name__})"
        ) from None


def card(transaction: Transaction) -> CardDetails | None:
    return _card(
        transaction.card_first_six,
        transaction.card_last_four,
        transaction.card_exp_date,
        transaction.card_type,
    )


def _card(
    first_six: object, last_four: object, exp_date: object, brand: object
) -> CardDetails | None:
    if not first_six or not last_four:
        return None
    exp_month, exp_year = _expiry(exp_date)
    return CardDetails(
        brand=str(brand or ""),
        first6=str(first_six),
        last4=str(last_four),
        exp_month=exp_month,
        exp_year=exp_year,
    )


def _expiry(text: object) -> tuple[int | None, int | None]:
    """`"MM/YY"` as (month, four-digit year); (None, None) when absent or odd."""
    month, _, year = str(text or "").partition("/")
    if not (month.isdigit() and year.isdigit() and len(year) == 2):
        return None, None
    return int(month), 2000 + int(year)


def state_of(transaction: Transaction) -> PaymentState:
    return _state(transaction.status)


def _state(status: object) -> PaymentState:
    try:
        return STATES[str(status)]
    except KeyError:
        raise GatewayError(f"CloudPayments status not understood: {status!r}") from None


def charge_result(transaction: Transaction) -> ChargeResult:
    """An accepted payment; a token is issued when AccountId was sent.

    InvoiceId and AccountId are reported as the transaction holds them ("" when
    it holds none), for the settlement rule to compare with what was sent.
    """
    state = state_of(transaction)
    if state not in (PaymentState.SUCCEEDED, PaymentState.AUTHORIZED):
        raise GatewayError(f"CloudPayments accepted a payment in state {state}")
    return ChargeResult(
        gateway_reference=str(transaction.id),
        state=state,
        amount=money(transaction.amount, transaction.currency),
        token=transaction.token or None,
        card=card(transaction),
        reference=str(transaction.invoice_id or ""),
        account=str(transaction.account_id or ""),
    )


def card_setup_result(transaction: Transaction) -> CardSetupResult:
    """An accepted card check: an authorization that issued a token.

    :raises GatewayError: for any other state, or when no token was issued.
    """
    state = state_of(transaction)
    if state is not PaymentState.AUTHORIZED:
        raise GatewayError(f"CloudPayments answered a card check in state {state}")
    if not transaction.token:
        raise GatewayError("CloudPayments verified a card without issuing a token")
    return CardSetupResult(
        gateway_reference=str(transaction.id),
        token=transaction.token,
        card=card(transaction),
    )


def snapshot(model: Mapping[str, Any]) -> PaymentSnapshot:
    """The gateway's record of a payment, from the raw Transaction model.

    The model tells only whether a payment is refunded (`Refunded`), not by how
    much: `refunded` is the whole amount once it is, and zero before. Partial
    refunds are CloudPayments transactions of their own (Type 1).

    Read from the model's fields as the SDK's `Transaction.from_dict` reads them,
    but without its parsing of three dates with `strptime`, which was half of the
    time of a reconciliation's reads: a day's list holds up to 100,000 of them.

    :raises GatewayError: for a model without the fields of a Transaction.
    """
    with sdk_errors("payments/find"):
        status, amount_value, currency = (
            model["Status"],
            model["Amount"],
            model["Currency"],
        )
        transaction_id, invoice_id = model["TransactionId"], model["InvoiceId"]
        created_text = model["CreatedDateIso"]
    state = _state(status)
    amount = money(amount_value, currency)
    zero = Money.zero(amount.currency)
    return PaymentSnapshot(
        gateway_reference=str(transaction_id),
        reference=invoice_id or None,
        state=state,
        amount=amount,
        captured=amount if state is PaymentState.SUCCEEDED else zero,
        refunded=amount if model.get("Refunded") else zero,
        created_at=_created_at(created_text),
        token=model.get("Token") or None,
        card=_card(
            model.get("CardFirstSix"),
            model.get("CardLastFour"),
            model.get("CardExpDate"),
            model.get("CardType"),
        ),
        decline_code=(
            str(model.get("ReasonCode")) if state is PaymentState.DECLINED else None
        ),
        account=str(model.get("AccountId") or ""),
        fee=_fee(model, amount.currency),
    )


def _created_at(text: object) -> dt.datetime:
    """`CreatedDateIso` (UTC, `YYYY-MM-DDTHH:MM:SS`) as an aware datetime."""
    if not isinstance(text, str) or not text:
        raise GatewayError("CloudPayments transaction without CreatedDateIso")
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise GatewayError(
            f"CloudPayments CreatedDateIso not understood: {text!r}"
        ) from None
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment


def _fee(model: Mapping[str, Any], currency: str) -> Money | None:
    """`TotalFee`, in the transaction's currency; None when the model has none."""
    fee = model.get("TotalFee")
    return None if fee is None else money(Decimal(str(fee)), currency)


def is_payment(model: Mapping[str, Any]) -> bool:
    return model.get("Type", PAYMENT_TYPE) == PAYMENT_TYPE
