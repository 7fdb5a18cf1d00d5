"""Transactions: their states (GATEWAYS.md A7), store and wire model (A2.1)."""

from __future__ import annotations

import datetime as dt
import enum
import threading
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from gateway_sandbox.cloudpayments.cards import APPROVED, Brand, brand_of, reason_for
from gateway_sandbox.cloudpayments.cryptogram import CardData
from gateway_sandbox.cloudpayments.currencies import Currency

# The merchant site a real terminal is registered for; the sandbox terminal has none.
TERMINAL_URL = "http://localhost"
ISSUER = "Sandbox Bank"
ISSUER_BANK_COUNTRY = "RU"
# The sandbox has no GeoIP database: every payer appears to be in Moscow [SANDBOX].
_GEO: dict[str, Any] = {
    "IpCountry": "RU",
    "IpCity": "Москва",
    "IpRegion": "Москва",
    "IpDistrict": "Центральный федеральный округ",
    "IpLatitude": 55.75,
    "IpLongitude": 37.62,
}
# Ids start high and never restart, even after a sandbox reset or (with a state file)
# a restart, so that a service's stored ids from before cannot be mistaken for new
# transactions.
_FIRST_ID = 1_000_000_001


class _IdSequence:
    """Transaction ids, shared by every sandbox in the process (tests run several)."""

    def __init__(self, first: int) -> None:
        self._next = first
        self._lock = threading.Lock()

    def allocate(self) -> int:
        with self._lock:
            allocated = self._next
            self._next += 1
            return allocated

    @property
    def latest(self) -> int:
        """The latest id handed out (one before the first, before any)."""
        return self._next - 1

    def continue_after(self, latest: int) -> None:
        with self._lock:
            self._next = max(self._next, latest + 1)


_ids = _IdSequence(_FIRST_ID)


class Status(enum.StrEnum):
    AWAITING_AUTHENTICATION = "AwaitingAuthentication"
    AUTHORIZED = "Authorized"
    COMPLETED = "Completed"
    CANCELLED = "Cancelled"
    DECLINED = "Declined"


# Names and 2, 3, 5 are documented; 1 and 4 are [INFERRED].
STATUS_CODES: dict[Status, int] = {
    Status.AWAITING_AUTHENTICATION: 1,
    Status.AUTHORIZED: 2,
    Status.COMPLETED: 3,
    Status.CANCELLED: 4,
    Status.DECLINED: 5,
}

ALLOWED_TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.AWAITING_AUTHENTICATION: frozenset(
        {Status.AUTHORIZED, Status.COMPLETED, Status.DECLINED}
    ),
    Status.AUTHORIZED: frozenset({Status.COMPLETED, Status.CANCELLED}),
    Status.COMPLETED: frozenset(),
    Status.CANCELLED: frozenset(),
    Status.DECLINED: frozenset(),
}


class TransactionType(enum.IntEnum):
    """`Type` in the model: 0 for a payment [DOC]; refunds are 1 [INFERRED]."""

    PAYMENT = 0
    REFUND = 1


class InvalidTransactionTransition(Exception):
    pass


def iso(moment: dt.datetime | None) -> str | None:
    """`*DateIso`: the only layout the SDK parses (UTC, no fraction, no offset)."""
    if moment is None:
        return None
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")


def legacy_date(moment: dt.datetime | None) -> str | None:
    """`*Date`: the .NET `/Date(<epoch ms>)/` form the SDK ignores but the docs show."""
    if moment is None:
        return None
    return f"/Date({int(moment.timestamp() * 1000)})/"


def allocate_id() -> int:
    return _ids.allocate()


def latest_allocated_id() -> int:
    return _ids.latest


def continue_ids_after(latest: int) -> None:
    """Make every id handed out from now on greater than `latest` (after a restart)."""
    _ids.continue_after(latest)


@dataclass(slots=True, eq=False)
class Transaction:
    id: int
    public_id: str
    type: TransactionType
    # For a partly confirmed authorization this is the confirmed amount; the
    # authorized one stays in `authorized_amount`.
    amount: Decimal
    currency: Currency
    status: Status
    created_at: dt.datetime
    card: CardData
    invoice_id: str | None = None
    account_id: str | None = None
    email: str | None = None
    description: str | None = None
    json_data: str | None = None
    ip_address: str | None = None
    name: str | None = None
    is_two_stage: bool = False
    is_token_payment: bool = False
    token: str | None = None
    tr_initiator_code: int | None = None
    payment_scheduled: int | None = None
    subscription_id: str | None = None
    reason_code: int = APPROVED
    auth_code: str | None = None
    rrn: str | None = None
    authorized_amount: Decimal | None = None
    authorized_at: dt.datetime | None = None
    confirmed_at: dt.datetime | None = None
    cancelled_at: dt.datetime | None = None
    refunded_amount: Decimal = Decimal("0.00")
    original_transaction_id: int | None = None
    pa_req: str | None = None

    def __str__(self) -> str:
        return f"Transaction {self.id} ({self.status})"

    @property
    def brand(self) -> Brand:
        return brand_of(self.card.number)

    @property
    def refundable_amount(self) -> Decimal:
        return self.amount - self.refunded_amount

    @property
    def is_refunded(self) -> bool:
        return self.type is TransactionType.PAYMENT and self.refundable_amount <= 0

    @property
    def is_accepted(self) -> bool:
        return self.status in (Status.AUTHORIZED, Status.COMPLETED)

    def transition_to(self, status: Status, *, at: dt.datetime) -> None:
        """Move to `status` and stamp the matching date.

        :raises InvalidTransactionTransition: when A7 does not allow the move.
        """
        if status not in ALLOWED_TRANSITIONS[self.status]:
            raise InvalidTransactionTransition(f"{self.status} -> {status}")
        self.status = status
        if (
            status in (Status.AUTHORIZED, Status.COMPLETED)
            and self.authorized_at is None
        ):
            self.authorized_at = at
        if status is Status.COMPLETED:
            self.confirmed_at = at
        elif status is Status.CANCELLED:
            self.cancelled_at = at

    def as_model(self) -> dict[str, Any]:
        """The Transaction model of A2.1: every documented field, in that order."""
        reason = reason_for(self.reason_code)
        card = self.card
        geo = _GEO if self.ip_address else dict.fromkeys(_GEO)
        return {
            "ReasonCode": self.reason_code,
            "PublicId": self.public_id,
            "TerminalUrl": TERMINAL_URL,
            "TransactionId": self.id,
            "Amount": self.amount,
            "Currency": self.currency.code,
            "CurrencyCode": self.currency.numeric,
            "PaymentAmount": self.amount,
            "PaymentCurrency": self.currency.code,
            "PaymentCurrencyCode": self.currency.numeric,
            "InvoiceId": self.invoice_id,
            "AccountId": self.account_id,
            "TrInitiatorCode": self.tr_initiator_code,
            "Email": self.email,
            "Description": self.description,
            "JsonData": self.json_data,
            "CreatedDate": legacy_date(self.created_at),
            # Test terminals are never paid out.
            "PayoutDate": None,
            "PayoutDateIso": None,
            "PayoutAmount": None,
            "CreatedDateIso": iso(self.created_at),
            "AuthDate": legacy_date(self.authorized_at),
            "AuthDateIso": iso(self.authorized_at),
            "ConfirmDate": legacy_date(self.confirmed_at),
            "ConfirmDateIso": iso(self.confirmed_at),
            "AuthCode": self.auth_code,
            "TestMode": True,
            "Rrn": self.rrn,
            "OriginalTransactionId": self.original_transaction_id,
            "FallBackScenarioDeclinedTransactionId": None,
            "IpAddress": self.ip_address,
            **geo,
            "CardFirstSix": card.first_six,
            "CardLastFour": card.last_four,
            "CardExpDate": card.exp_text,
            "CardType": self.brand.name,
            "CardProduct": None,
            "CardCategory": None,
            "EscrowAccumulationId": None,
            "IssuerBankCountry": ISSUER_BANK_COUNTRY,
            "Issuer": ISSUER,
            "CardTypeCode": self.brand.code,
            "Status": self.status.value,
            "StatusCode": STATUS_CODES[self.status],
            "CultureName": "ru-RU",
            "Reason": reason.reason,
            "CardHolderMessage": reason.cardholder_message,
            "Type": int(self.type),
            "Refunded": self.is_refunded,
            "Name": self.name,
            "Token": self.token,
            "SubscriptionId": self.subscription_id,
            "GatewayName": "Test",
            "AndroidPay": False,
            "WalletType": "",
            "TotalFee": 0,
            "VatAboveTotalFee": None,
            "ProcessorAndPartnerFee": None,
            "VatWithinProcessorFee": None,
        }
