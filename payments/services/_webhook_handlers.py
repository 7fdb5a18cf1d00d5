"""What each gateway event means for a payment of ours, or for its refunds.

Handlers take the locked payment, the parsed event and the gateway's current
record of the payment (or None), and return the record's outcome. They change
payments only through `apply_snapshot`, forward only, and only with news that the
settlement rule (`_settlement_rule`) finds to match the payment: the event's own
facts and the gateway's record both. See `_webhook_processing` for the order of
processing and the meaning of each record status.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from billing.money import Money
from payments.gateways.base import GatewayEvent, PaymentSnapshot, PaymentState
from payments.models import (
    GatewayEventStatus,
    Payment,
    PaymentStatus,
    Refund,
    RefundStatus,
)
from payments.services._payment_outcomes import Settlement, apply_snapshot
from payments.services._settlement_rule import (
    Reported,
    hold_if_mismatched,
    record_mismatch,
)

logger = logging.getLogger(__name__)


# The payment status each final gateway state leads to.
TARGETS: Final[Mapping[PaymentState, str]] = {
    PaymentState.AUTHORIZED: PaymentStatus.AUTHORIZED,
    PaymentState.SUCCEEDED: PaymentStatus.SUCCEEDED,
    PaymentState.DECLINED: PaymentStatus.FAILED,
    PaymentState.CANCELED: PaymentStatus.CANCELED,
}


class RefundNotYetRecorded(Exception):
    """A gateway refund arrived while a refund of ours still awaits its reply."""


@dataclass(frozen=True, slots=True)
class Outcome:
    status: str
    payment: Payment | None = None
    note: str = ""


Handler = Callable[
    [Payment, GatewayEvent, PaymentSnapshot | None, dt.datetime, str], Outcome
]


def settle_payment(
    payment: Payment,
    event: GatewayEvent,
    current: PaymentSnapshot | None,
    now: dt.datetime,
    actor: str,
) -> Outcome:
    """Move the payment forward to the outcome the gateway reports, if it can."""
    reported = _snapshot_of(event, payment, now=now)
    if reported is None:
        return Outcome(
            GatewayEventStatus.IGNORED,
            payment,
            f"not final at the gateway: {event.state}",
        )
    snapshot = _preferred(reported, current)
    target = TARGETS[snapshot.state]
    if payment.status == target:
        return Outcome(GatewayEventStatus.IGNORED, payment)
    if not payment.can_transition_to(target):
        return _too_late(payment, snapshot, target, now=now, actor=actor)
    if snapshot is reported and _about_another_transaction(payment, event):
        return Outcome(
            GatewayEventStatus.IGNORED,
            payment,
            f"about gateway transaction {event.gateway_reference}, "
            f"not the payment's {payment.gateway_reference}",
        )
    # The event's own facts when its outcome is the one applied (the gateway's
    # current record of the same outcome must match too, in `apply_snapshot`).
    if snapshot.state is reported.state and hold_if_mismatched(
        payment, Reported.of_event(event, reported.state), now=now, actor=actor
    ):
        return _held(payment)
    if apply_snapshot(payment, snapshot, now=now, actor=actor) is Settlement.HELD:
        return _held(payment)
    return Outcome(GatewayEventStatus.PROCESSED, payment)


def _snapshot_of(
    event: GatewayEvent, payment: Payment, *, now: dt.datetime
) -> PaymentSnapshot | None:
    """The event as the gateway's record of the payment, when it states an outcome."""
    state = event.state
    reference = event.gateway_reference or payment.gateway_reference
    if state is None or state not in TARGETS or not reference:
        return None
    amount = event.amount or payment.amount
    zero = Money.zero(amount.currency)
    return PaymentSnapshot(
        gateway_reference=reference,
        reference=event.reference,
        state=state,
        amount=amount,
        captured=amount if state is PaymentState.SUCCEEDED else zero,
        refunded=zero,
        created_at=now,
        decline_code=_decline_code(event),
        account=event.account,
        capture=event.capture,
    )


def _preferred(
    reported: PaymentSnapshot, current: PaymentSnapshot | None
) -> PaymentSnapshot:
    """The gateway's current record where it is as reliable as the event, or more.

    The same state comes with the token, card and captured amount that the event
    lacks. Captured money outranks a decline, a void or an authorization, and an
    authorization a decline. Otherwise the current record may trail the event
    (Stripe's search index lags writes), and the event wins.
    """
    if current is None or current.state not in TARGETS:
        return reported
    if current.state is reported.state:
        return dataclasses.replace(
            current, decline_code=current.decline_code or reported.decline_code
        )
    if current.state is PaymentState.SUCCEEDED or (
        current.state is PaymentState.AUTHORIZED
        and reported.state is PaymentState.DECLINED
    ):
        return current
    return reported


def _too_late(
    payment: Payment,
    snapshot: PaymentSnapshot,
    target: str,
    *,
    now: dt.datetime,
    actor: str,
) -> Outcome:
    # Money taken or held for a payment recorded as failed or voided; an
    # authorization after the void is merely older news.
    failed = payment.status in (PaymentStatus.FAILED, PaymentStatus.CANCELED)
    if (target == PaymentStatus.SUCCEEDED and failed) or (
        target == PaymentStatus.AUTHORIZED and payment.status == PaymentStatus.FAILED
    ):
        reason = f"the gateway reports {target} for a {payment.status} payment"
        facts = Reported.of_snapshot(snapshot).as_facts()
        record_mismatch(payment, facts, None, reason, now=now, actor=actor)
        return _discrepancy(payment, reason)
    return Outcome(
        GatewayEventStatus.IGNORED, payment, f"the payment is already {payment.status}"
    )


def _about_another_transaction(payment: Payment, event: GatewayEvent) -> bool:
    """A decline or void of another attempt under the same reference (a retry in
    the gateway's widget) says nothing about this payment's own transaction."""
    negative = event.state in (PaymentState.DECLINED, PaymentState.CANCELED)
    return bool(
        negative
        and payment.gateway_reference
        and event.gateway_reference
        and event.gateway_reference != payment.gateway_reference
    )


def _held(payment: Payment) -> Outcome:
    """The settlement rule refused the news; it recorded what came in."""
    latest = payment.mismatches.order_by("-id").first()
    reason = latest.reason if latest is not None else "does not match the payment"
    return _discrepancy(payment, f"mismatch: {reason}")


def _discrepancy(payment: Payment, reason: str) -> Outcome:
    logger.warning(
        "payments.webhook.discrepancy",
        extra={"payment": str(payment.id), "reason": reason},
    )
    return Outcome(
        GatewayEventStatus.PROCESSED,
        payment,
        f"{reason}; nothing applied, left to reconciliation",
    )


def match_refunds(
    payment: Payment,
    event: GatewayEvent,
    current: PaymentSnapshot | None,
    now: dt.datetime,
    actor: str,
) -> Outcome:
    """Compare a gateway refund with ours; never record one this service did not make.

    A refund made in the gateway's dashboard (or one whose reply was lost) is noted
    and left to reconciliation: recording it here would move money in the books
    without a reason, a requester or an approval.

    :raises RefundNotYetRecorded: while a refund of ours awaits the gateway's reply,
        so that the beat sweep matches it once the reply is recorded.
    """
    references = _REFUND_REFERENCES[event.type](event)
    if not references:
        return Outcome(GatewayEventStatus.IGNORED, payment, "names no refund")
    recorded = set(
        Refund.objects.filter(
            payment=payment,
            gateway_reference__in=references,
            status=RefundStatus.SUCCEEDED,
        ).values_list("gateway_reference", flat=True)
    )
    strangers = ", ".join(r for r in references if r not in recorded)
    if not strangers:
        return Outcome(GatewayEventStatus.PROCESSED, payment)
    if payment.refunds.filter(status=RefundStatus.PENDING).exists():
        raise RefundNotYetRecorded(
            f"gateway refund {strangers} came before the reply to a pending refund"
        )
    logger.warning(
        "payments.webhook.unmatched_refund",
        extra={"payment": str(payment.id), "refunds": strangers},
    )
    return Outcome(
        GatewayEventStatus.PROCESSED,
        payment,
        f"gateway refund {strangers} is not a refund recorded by this service "
        "(made in the gateway's dashboard, or its reply was lost); nothing "
        "recorded, left to reconciliation",
    )


# The contract's GatewayEvent carries no decline code and no refund ids, so these
# few fields are read from the stored (safe) payload of each gateway.
def _decline_code(event: GatewayEvent) -> str | None:
    if event.type.startswith("cloudpayments."):
        code = event.safe_payload.get("ReasonCode")
    else:
        error = _data_object(event).get("last_payment_error")
        code = (
            error.get("decline_code") or error.get("code")
            if isinstance(error, dict)
            else None
        )
    return str(code) if code else None


def _data_object(event: GatewayEvent) -> Mapping[str, Any]:
    data = event.safe_payload.get("data")
    obj = data.get("object") if isinstance(data, dict) else None
    return obj if isinstance(obj, dict) else {}


def _cloudpayments_refund(event: GatewayEvent) -> list[str]:
    # A Refund notification's TransactionId is the refund's own transaction.
    return [event.external_id]


def _stripe_refund(event: GatewayEvent) -> list[str]:
    refund_id = _data_object(event).get("id")
    return [str(refund_id)] if refund_id else []


def _stripe_charge_refunds(event: GatewayEvent) -> list[str]:
    refunds = _data_object(event).get("refunds")
    items = refunds.get("data") if isinstance(refunds, dict) else None
    return [
        str(item["id"])
        for item in items or []
        if isinstance(item, dict) and item.get("id")
    ]


_REFUND_REFERENCES: Final[Mapping[str, Callable[[GatewayEvent], list[str]]]] = {
    "cloudpayments.refund": _cloudpayments_refund,
    "stripe.refund.created": _stripe_refund,
    "stripe.charge.refunded": _stripe_charge_refunds,
}
HANDLERS: Final[Mapping[str, Handler]] = {
    "cloudpayments.pay": settle_payment,
    "cloudpayments.fail": settle_payment,
    "cloudpayments.confirm": settle_payment,
    "cloudpayments.cancel": settle_payment,
    "stripe.payment_intent.succeeded": settle_payment,
    "stripe.payment_intent.payment_failed": settle_payment,
    "stripe.payment_intent.requires_action": settle_payment,
    "stripe.payment_intent.canceled": settle_payment,
    "stripe.payment_intent.amount_capturable_updated": settle_payment,
    **{kind: match_refunds for kind in _REFUND_REFERENCES},
}
