"""The settlement rule: a gateway's news settles a payment only when it matches it.

Whoever learns a payment's outcome (the charge's own answer, a 3-D Secure
completion, a webhook, the janitor's look-up, a capture, the renewal run, which
applies the charge's answer) applies it through `_payment_outcomes` under the
payment's row lock, and that code asks this rule first. The gateway's report
matches when:

- the transaction is the payment's: its id equals the stored gateway reference
  once there is one, our reference (CloudPayments `InvoiceId`, Stripe
  `metadata[reference]`) is the payment's, and the payer's account (CloudPayments
  `AccountId`, Stripe's Customer, once known) is the payer's;
- money taken or held is the payment's amount in its currency; a capture of an
  authorization may take less than was authorized, never more, never another
  currency; a decline or a void reporting an amount reports the payment's.

A fact the report does not carry (None) is not compared, except that money taken or
held must say how much and, once the payment has a gateway reference, in which
transaction. What does not match is not applied: the payment stays as it was, and a
`PaymentMismatch` row, an audit row and a `payment.mismatch` event in the same
transaction record the gateway's facts and ours, for reconciliation.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
from dataclasses import dataclass
from typing import Any, Final

from billing.events import record_event
from billing.money import Money
from billing.services import record_status_change
from payments.gateways import get_gateway
from payments.gateways.base import (
    ChargeResult,
    GatewayEvent,
    PayerAccount,
    PaymentSnapshot,
    PaymentState,
)
from payments.models import Payment, PaymentMismatch
from payments.services._payment_records import payment_payload

logger = logging.getLogger(__name__)

# States in which the gateway says it took or holds money.
MONEY_STATES: Final = frozenset({PaymentState.SUCCEEDED, PaymentState.AUTHORIZED})


@dataclass(frozen=True, slots=True)
class Reported:
    """What a gateway reported about a payment's transaction.

    `amount` is the money taken (SUCCEEDED) or held (AUTHORIZED), or the amount of
    a declined or voided attempt. None anywhere: the report does not say.
    """

    state: PaymentState
    gateway_reference: str | None
    reference: str | None
    account: str | None
    amount: Money | None
    # Reported as the capture of an earlier authorization.
    capture: bool = False

    @classmethod
    def of_result(cls, result: ChargeResult) -> Reported:
        return cls(
            state=result.state,
            gateway_reference=result.gateway_reference,
            reference=result.reference,
            account=result.account,
            amount=result.amount,
        )

    @classmethod
    def of_snapshot(cls, snapshot: PaymentSnapshot) -> Reported:
        succeeded = snapshot.state is PaymentState.SUCCEEDED
        return cls(
            state=snapshot.state,
            gateway_reference=snapshot.gateway_reference,
            reference=snapshot.reference,
            account=snapshot.account,
            amount=snapshot.captured if succeeded else snapshot.amount,
            capture=snapshot.capture,
        )

    @classmethod
    def of_event(cls, event: GatewayEvent, state: PaymentState) -> Reported:
        return cls(
            state=state,
            gateway_reference=event.gateway_reference,
            reference=event.reference,
            account=event.account,
            amount=event.amount,
            capture=event.capture,
        )

    def as_facts(self) -> dict[str, Any]:
        """The report as JSON: ids, state and money, never a token."""
        return {
            "state": str(self.state),
            "gateway_reference": self.gateway_reference,
            "reference": self.reference,
            "account": self.account,
            **_money_facts(self.amount),
            "capture": self.capture,
        }


@dataclass(frozen=True, slots=True)
class Expected:
    """What a report about the payment must say."""

    gateway_reference: str | None
    reference: str
    # None while the gateway's name for the payer is not known (a new Stripe payer).
    account: str | None
    amount: Money
    # Authorized before: a capture may take less than the amount.
    authorized: bool

    @classmethod
    def of(cls, payment: Payment) -> Expected:
        adapter = get_gateway(payment.gateway)
        # Read only where it counts: the payer row is not loaded with the payment.
        payer = PayerAccount(
            payer_id=payment.payer_id,
            customer_reference=(
                payment.payer.stripe_customer_id if adapter.has_customers else None
            ),
        )
        return cls(
            gateway_reference=payment.gateway_reference,
            reference=f"payment:{payment.id}",
            account=adapter.account_reference(payer),
            amount=payment.amount,
            authorized=payment.authorized_at is not None,
        )

    def as_facts(self) -> dict[str, Any]:
        facts = dataclasses.asdict(self)
        del facts["amount"]
        return {**facts, **_money_facts(self.amount)}


def mismatch(expected: Expected, reported: Reported) -> str:
    """Why `reported` cannot settle the payment `expected` describes; "" if it can."""
    moves_money = reported.state in MONEY_STATES
    stored = expected.gateway_reference
    # Once the payment has a transaction, money must be reported about that one.
    checked = moves_money or reported.gateway_reference is not None
    if stored and checked and reported.gateway_reference != stored:
        return (
            f"gateway transaction {reported.gateway_reference} is not the "
            f"payment's {stored}"
        )
    if reported.reference is not None and reported.reference != expected.reference:
        return f"reference {reported.reference!r} is not {expected.reference!r}"
    if (
        expected.account is not None
        and reported.account is not None
        and reported.account != expected.account
    ):
        return f"account {reported.account!r} is not the payer's {expected.account!r}"
    return _amount_mismatch(expected, reported, moves_money=moves_money)


def _amount_mismatch(
    expected: Expected, reported: Reported, *, moves_money: bool
) -> str:
    amount = reported.amount
    if amount is None:
        return f"{reported.state} without an amount" if moves_money else ""
    if amount.currency != expected.amount.currency:
        return f"{reported.state} {amount} in another currency than {expected.amount}"
    capture = reported.state is PaymentState.SUCCEEDED and (
        expected.authorized or reported.capture
    )
    if capture and not 0 < amount.amount_minor <= expected.amount.amount_minor:
        return f"captured {amount} of an authorization of {expected.amount}"
    if not capture and amount != expected.amount:
        return f"{reported.state} {amount} for a payment of {expected.amount}"
    return ""


def hold_if_mismatched(
    payment: Payment, reported: Reported, *, now: dt.datetime, actor: str
) -> bool:
    """Check a report about a locked payment; when it does not match, record it.

    True when it does not match: the caller must then apply nothing. The payment
    row is not written.
    """
    expected = Expected.of(payment)
    reason = mismatch(expected, reported)
    if not reason:
        return False
    record_mismatch(
        payment, reported.as_facts(), expected, reason, now=now, actor=actor
    )
    return True


def record_mismatch(
    payment: Payment,
    reported: dict[str, Any],
    expected: Expected | None,
    reason: str,
    *,
    now: dt.datetime,
    actor: str,
) -> None:
    """Record a report that was not applied: a row, an audit row and an event.

    The same report about the same payment is recorded once: a gateway repeats
    its news (retried notifications, a resent charge, the janitor asking again).
    """
    ours = (expected or Expected.of(payment)).as_facts()
    if PaymentMismatch.objects.filter(
        payment=payment, reason=reason, reported=reported
    ).exists():
        return
    logger.warning(
        "payment.mismatch",
        extra={"payment": str(payment.id), "actor": actor, "reason": reason},
    )
    PaymentMismatch.objects.create(
        payment=payment,
        actor=actor,
        reason=reason,
        reported=reported,
        expected=ours,
        detected_at=now,
    )
    record_status_change(
        object_type="payment",
        object_id=str(payment.id),
        from_status=payment.status,
        to_status=payment.status,
        actor=actor,
        reason=(
            f"mismatch, not applied: {reason}; the gateway reported "
            f"{_text(reported)}; ours {_text(ours)}"
        ),
        at=now,
    )
    record_event(
        type="payment.mismatch",
        occurred_at=now,
        payer_id=payment.payer_id,
        payload={
            **payment_payload(payment),
            "reason": reason,
            "reported": reported,
            "expected": ours,
        },
    )


def _money_facts(amount: Money | None) -> dict[str, Any]:
    if amount is None:
        return {"amount_minor": None, "currency": None}
    return {"amount_minor": amount.amount_minor, "currency": amount.currency}


def _text(facts: dict[str, Any]) -> str:
    return json.dumps(facts, sort_keys=True)
