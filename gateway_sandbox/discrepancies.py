"""Knobs that make the gateway's records disagree with the service's [SANDBOX].

Daily reconciliation compares the service's payments with the gateway's list; these
knobs make each kind of difference happen on purpose, with no notification or
webhook, as when someone acts in the gateway's dashboard or the gateway errs. The
requests are parsed here; each gateway carries them out on its own records
(`ReconciliationKnobs`), keeping the sandbox ledger in step.
"""

from __future__ import annotations

import abc
import datetime as dt
import re
from dataclasses import dataclass
from typing import Any, Literal

# Payments per seeding request: 10,000 keep each request a few MiB.
MAX_SEEDED_PAYMENTS = 10_000
_CURRENCY = re.compile(r"[A-Za-z]{3}")

ForcedStatus = Literal["declined", "canceled"]


class KnobRefused(Exception):
    """The knob cannot be applied: the control answers `status` with `message`."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def unknown_payment(payment: str) -> KnobRefused:
    return KnobRefused(f"no payment {payment}", status=404)


@dataclass(frozen=True, slots=True)
class UnknownCapture:
    """A captured payment the service never heard of."""

    amount_minor: int
    currency: str
    account: str | None
    reference: str | None


@dataclass(frozen=True, slots=True)
class DashboardRefund:
    """A refund made outside the service (in the gateway's dashboard)."""

    payment: str
    amount_minor: int


@dataclass(frozen=True, slots=True)
class AmountChange:
    """The gateway's record of the payment says another amount."""

    payment: str
    amount_minor: int


@dataclass(frozen=True, slots=True)
class StatusChange:
    """The gateway's record of the payment says another status."""

    payment: str
    status: ForcedStatus


@dataclass(frozen=True, slots=True)
class Drop:
    """The gateway has no record of the payment at all."""

    payment: str


Discrepancy = UnknownCapture | DashboardRefund | AmountChange | StatusChange | Drop


@dataclass(frozen=True, slots=True)
class SeededPayment:
    """A captured payment put straight into the gateway's records (benchmarks)."""

    reference: str | None
    account: str | None
    amount_minor: int
    currency: str
    created_at: dt.datetime | None


class ReconciliationKnobs(abc.ABC):
    """What a gateway does for the discrepancy and seeding controls."""

    @abc.abstractmethod
    def make(self, discrepancy: Discrepancy) -> str:
        """Apply `discrepancy`; the id of the payment (of the refund, for a refund).

        :raises KnobRefused: 404 for an unknown payment, 400 when it cannot apply.
        """

    @abc.abstractmethod
    def seed(self, payments: list[SeededPayment]) -> list[str]:
        """Create captured payments without notifications; their ids, in order.

        :raises KnobRefused: for a currency the gateway does not take.
        """


def parse_discrepancy(data: dict[str, Any]) -> Discrepancy:
    """The discrepancy a control body asks for (`gateway` is read by the caller).

    :raises KnobRefused: 400 for an unknown kind or a bad field.
    """
    kind = data.get("kind")
    if kind == "unknown_capture":
        return UnknownCapture(
            amount_minor=_amount(data),
            currency=_currency(data),
            account=_optional_text(data, "account"),
            reference=_optional_text(data, "reference"),
        )
    if kind == "dashboard_refund":
        return DashboardRefund(payment=_payment(data), amount_minor=_amount(data))
    if kind == "amount":
        return AmountChange(payment=_payment(data), amount_minor=_amount(data))
    if kind == "status":
        status = data.get("status")
        if status == "declined" or status == "canceled":
            return StatusChange(payment=_payment(data), status=status)
        raise KnobRefused('status must be "declined" or "canceled"')
    if kind == "drop":
        return Drop(payment=_payment(data))
    raise KnobRefused(
        'kind must be one of "unknown_capture", "dashboard_refund", "amount", '
        '"status", "drop"'
    )


def parse_seed(data: dict[str, Any]) -> list[SeededPayment]:
    """:raises KnobRefused: 400 for a missing, oversized or malformed list."""
    payments = data.get("payments")
    if not isinstance(payments, list) or not 0 < len(payments) <= MAX_SEEDED_PAYMENTS:
        raise KnobRefused(
            f"payments must be a list of 1 to {MAX_SEEDED_PAYMENTS} payments"
        )
    seeded = []
    for index, payment in enumerate(payments):
        if not isinstance(payment, dict):
            raise KnobRefused(f"payments[{index}] must be a JSON object")
        try:
            seeded.append(
                SeededPayment(
                    reference=_optional_text(payment, "reference"),
                    account=_optional_text(payment, "account"),
                    amount_minor=_amount(payment),
                    currency=_currency(payment),
                    created_at=_created(payment),
                )
            )
        except KnobRefused as exc:
            raise KnobRefused(f"payments[{index}]: {exc.message}") from exc
    return seeded


def _amount(data: dict[str, Any]) -> int:
    value = data.get("amount_minor")
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise KnobRefused("amount_minor must be a positive integer")
    return value


def _currency(data: dict[str, Any]) -> str:
    value = data.get("currency")
    if not isinstance(value, str) or not _CURRENCY.fullmatch(value):
        raise KnobRefused("currency must be a three-letter ISO code")
    return value.upper()


def _payment(data: dict[str, Any]) -> str:
    value = data.get("payment")
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str) or not value:
        raise KnobRefused("payment must be the gateway's id of a payment")
    return value


def _optional_text(data: dict[str, Any], name: str) -> str | None:
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise KnobRefused(f"{name} must be a non-empty string")
    return value


def _created(data: dict[str, Any]) -> dt.datetime | None:
    """`created`: ISO 8601; without an offset it is UTC."""
    value = data.get("created")
    if value is None:
        return None
    if not isinstance(value, str):
        raise KnobRefused("created must be an ISO-8601 date and time")
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError as exc:
        raise KnobRefused("created must be an ISO-8601 date and time") from exc
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)
