"""What reconciliation finds: the gateway's record of an operation against ours.

Pure functions, no queries: each takes the gateway's snapshot and our row (or None)
and says what differs, as a `Finding`, or None when they agree. The money a finding
names is the money in question: the gateway's for what only it knows, ours for what
only we know, the difference for an amount that differs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

from billing.money import Money
from payments.gateways.base import PaymentSnapshot, PaymentState
from payments.gateways.operations import RefundSnapshot
from payments.models import DiscrepancyKind, Payment, PaymentStatus, Refund
from payments.models import RefundStatus as Ours

# Ours: the status money states must match exactly; no money either way agrees.
_MONEY_STATUSES: Final = {
    PaymentStatus.SUCCEEDED: PaymentState.SUCCEEDED,
    PaymentStatus.AUTHORIZED: PaymentState.AUTHORIZED,
}
_MONEY_STATES: Final = frozenset(_MONEY_STATUSES.values())
# Ours, not yet known: settled from the gateway's record (`_settlement_rule`).
UNSETTLED: Final = frozenset(
    {PaymentStatus.UNKNOWN, PaymentStatus.PENDING, PaymentStatus.REQUIRES_ACTION}
)


@dataclass(frozen=True, slots=True)
class Finding:
    kind: DiscrepancyKind
    subject: str
    amount: Money
    reason: str
    gateway_reference: str = ""
    payment: Payment | None = None
    refund: Refund | None = None
    theirs: dict[str, Any] = field(default_factory=dict)


def check_payment(snapshot: PaymentSnapshot, payment: Payment | None) -> Finding | None:
    """Our settled payment against the gateway's record of its transaction."""
    # Money taken is what was captured; held, declined or voided: the amount.
    succeeded = snapshot.state is PaymentState.SUCCEEDED
    money = snapshot.captured if succeeded else snapshot.amount
    theirs = payment_facts(snapshot)
    ours_reference = payment.gateway_reference if payment is not None else None
    if payment is None or (
        ours_reference and ours_reference != snapshot.gateway_reference
    ):
        if snapshot.state not in _MONEY_STATES:
            return None  # a declined attempt moved no money: nothing to account for
        return Finding(
            DiscrepancyKind.MISSING_HERE,
            f"transaction:{snapshot.gateway_reference}",
            money,
            f"the gateway {snapshot.state} {money} that we have no payment for",
            snapshot.gateway_reference,
            payment,
            theirs=theirs,
        )
    expected = _MONEY_STATUSES.get(PaymentStatus(payment.status))
    if expected is None and snapshot.state not in _MONEY_STATES:
        return None
    subject = f"payment:{payment.id}"
    if snapshot.state is not expected:
        return Finding(
            DiscrepancyKind.STATUS_MISMATCH,
            subject,
            money if snapshot.state in _MONEY_STATES else _ours_money(payment),
            f"the gateway says {snapshot.state}, we say {payment.status.lower()}",
            snapshot.gateway_reference,
            payment,
            theirs=theirs,
        )
    ours = payment.captured if expected is PaymentState.SUCCEEDED else payment.amount
    if money == ours:
        return None
    return Finding(
        DiscrepancyKind.AMOUNT_MISMATCH,
        subject,
        _difference(money, ours),
        f"the gateway {snapshot.state} {money}, we recorded {ours}",
        snapshot.gateway_reference,
        payment,
        theirs=theirs,
    )


def missing_at_gateway(payment: Payment) -> Finding:
    money = _ours_money(payment)
    return Finding(
        DiscrepancyKind.MISSING_AT_GATEWAY,
        f"payment:{payment.id}",
        money,
        f"we recorded {payment.status} {money}; the gateway has no such transaction",
        payment.gateway_reference or "",
        payment,
    )


def check_refund(
    snapshot: RefundSnapshot, refund: Refund | None, payment: Payment | None
) -> Finding | None:
    """Our refund against the gateway's; `payment` is the refunded one, if ours."""
    theirs = refund_facts(snapshot)
    if refund is None:
        if not snapshot.succeeded:
            return None
        return Finding(
            DiscrepancyKind.REFUND_MISMATCH,
            f"refund-transaction:{snapshot.gateway_reference}",
            snapshot.amount,
            f"the gateway refunded {snapshot.amount} that we have no refund for",
            snapshot.gateway_reference,
            payment,
            theirs=theirs,
        )
    ours_succeeded = refund.status == Ours.SUCCEEDED
    if refund.status in (Ours.PENDING, Ours.UNKNOWN):
        return None  # settled by the refund janitor, from the gateway's record
    if ours_succeeded == snapshot.succeeded and (
        not ours_succeeded or refund.amount == snapshot.amount
    ):
        return None
    said = "succeeded" if snapshot.succeeded else "did not succeed"
    return Finding(
        DiscrepancyKind.REFUND_MISMATCH,
        f"refund:{refund.id}",
        _difference(snapshot.amount, refund.amount)
        if ours_succeeded and snapshot.succeeded
        else snapshot.amount,
        f"the gateway's refund of {snapshot.amount} {said}; "
        f"ours of {refund.amount} is {refund.status}",
        snapshot.gateway_reference,
        refund.payment,
        refund,
        theirs=theirs,
    )


def refund_missing_at_gateway(refund: Refund) -> Finding:
    return Finding(
        DiscrepancyKind.REFUND_MISMATCH,
        f"refund:{refund.id}",
        refund.amount,
        f"we refunded {refund.amount}; the gateway has no such refund",
        refund.gateway_reference or "",
        refund.payment,
        refund,
    )


def payment_facts(snapshot: PaymentSnapshot) -> dict[str, Any]:
    """The gateway's record as JSON: ids, state and money, never a token or card."""
    return {
        "gateway_reference": snapshot.gateway_reference,
        "reference": snapshot.reference,
        "state": str(snapshot.state),
        "amount": str(snapshot.amount),
        "captured": str(snapshot.captured),
        "refunded": str(snapshot.refunded),
        "account": snapshot.account,
        "created_at": snapshot.created_at.isoformat(),
    }


def refund_facts(snapshot: RefundSnapshot) -> dict[str, Any]:
    return {
        "gateway_reference": snapshot.gateway_reference,
        "payment_reference": snapshot.payment_reference,
        "amount": str(snapshot.amount),
        "succeeded": snapshot.succeeded,
        "created_at": snapshot.created_at.isoformat(),
    }


def _ours_money(payment: Payment) -> Money:
    return (
        payment.captured
        if payment.status == PaymentStatus.SUCCEEDED
        else payment.amount
    )


def _difference(theirs: Money, ours: Money) -> Money:
    """What differs; another currency altogether: all of the gateway's amount."""
    if theirs.currency != ours.currency:
        return theirs
    return Money(abs(theirs.amount_minor - ours.amount_minor), theirs.currency)
