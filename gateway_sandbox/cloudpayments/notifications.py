"""CloudPayments notifications (GATEWAYS.md Part B): settings, bodies, signatures.

Pay, Fail, Confirm, Refund, Recurrent and Cancel go through the shared outbox, which
retries them up to 100 times. Check is different: its reply decides the payment, so it
is sent at once, inside the payment request, and its failure declines the payment.
"""

from __future__ import annotations

import base64
import datetime as dt
import enum
import hashlib
import hmac
import json
import logging
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import aiohttp

from gateway_sandbox.cloudpayments.currencies import format_amount
from gateway_sandbox.cloudpayments.transactions import Status, Transaction
from gateway_sandbox.deliveries import Attempt, Delivery, Signer

if TYPE_CHECKING:
    from gateway_sandbox.app import Sandbox

logger = logging.getLogger(__name__)

GATEWAY = "cloudpayments"
CONTENT_TYPE = "application/x-www-form-urlencoded; charset=utf-8"
MAX_ATTEMPTS = 100
# The gateway waits 30 s for a Check reply [DOC]; a module constant so tests can
# wait less.
CHECK_TIMEOUT_SECONDS = 30.0

# Check reply codes [DOC #check] mapped to the ReasonCode of the declined payment
# [DOC #kody-obrabotki-otvetov-na-check-uvedomlenie].
CHECK_REFUSALS: dict[int, int] = {10: 3001, 11: 3002, 12: 3003, 20: 3004, 13: 3008}
CHECK_FORMAT_ERROR = 3005
CHECK_UNAVAILABLE = 3006
CHECK_UNABLE_TO_CONNECT = 3007

Fields = Mapping[str, object]


class NotificationType(enum.StrEnum):
    CHECK = "Check"
    PAY = "Pay"
    FAIL = "Fail"
    CONFIRM = "Confirm"
    REFUND = "Refund"
    RECURRENT = "Recurrent"
    CANCEL = "Cancel"

    @classmethod
    def parse(cls, name: str) -> NotificationType | None:
        return next((kind for kind in cls if kind.value.lower() == name.lower()), None)


@dataclass(slots=True)
class NotificationSetting:
    """The `site/notifications/{type}` model [DOC #prosmotr-nastroek-uvedomleniy]."""

    is_enabled: bool
    address: str | None
    http_method: str = "POST"
    encoding: str = "UTF8"
    format: str = "CloudPayments"

    @property
    def target(self) -> str | None:
        return self.address if self.is_enabled and self.address else None

    def as_model(self) -> dict[str, Any]:
        return {
            "IsEnabled": self.is_enabled,
            "Address": self.address,
            "HttpMethod": self.http_method,
            "Encoding": self.encoding,
            "Format": self.format,
        }


def sign(body: bytes, secret: str) -> dict[str, str]:
    """Both signature headers of B4 for a form body."""
    decoded = urllib.parse.unquote_plus(body.decode("utf-8"))
    return {
        "Content-HMAC": _hmac_base64(secret, body),
        "X-Content-HMAC": _hmac_base64(secret, decoded.encode("utf-8")),
    }


def _hmac_base64(secret: str, message: bytes) -> str:
    digest = hmac.new(secret.encode("utf-8"), message, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def reply_code(body: bytes) -> int | None:
    """The `code` of a `{"code": N}` reply, or None when the reply is not one."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    code = data.get("code") if isinstance(data, dict) else None
    if isinstance(code, bool) or not isinstance(code, int):
        return None
    return code


def check_outcome(status: int, body: bytes) -> int:
    """The ReasonCode a Check reply leads to; 0 lets the payment go on."""
    if status != 200:
        return CHECK_UNAVAILABLE
    code = reply_code(body)
    if code == 0:
        return 0
    if code is None:
        return CHECK_FORMAT_ERROR
    return CHECK_REFUSALS.get(code, CHECK_FORMAT_ERROR)


def is_acknowledged(status: int, body: bytes) -> bool:
    return status == 200 and reply_code(body) == 0


def encode(fields: Fields) -> bytes:
    """The form body, leaving out the optional fields that have no value."""
    pairs = [
        (name, _text(value)) for name, value in fields.items() if value is not None
    ]
    return urllib.parse.urlencode(pairs).encode("utf-8")


def _text(value: object) -> str:
    if isinstance(value, bool):
        # .NET spells booleans this way in form bodies [INFERRED].
        return "True" if value else "False"
    if isinstance(value, dt.datetime):
        return notification_time(value)
    return str(value)


def notification_time(moment: dt.datetime) -> str:
    """`DateTime` and the Recurrent dates: `yyyy-MM-dd HH:mm:ss` in UTC."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")


class Notifier:
    """Where each notification type goes, and the sending itself."""

    def __init__(self, sandbox: Sandbox) -> None:
        self._sandbox = sandbox
        self._settings: dict[NotificationType, NotificationSetting] = {}

    def setting(self, kind: NotificationType) -> NotificationSetting:
        """The configured setting, else the default derived from the sandbox config."""
        configured = self._settings.get(kind)
        if configured is not None:
            return configured
        base = self._sandbox.config.cloudpayments_notification_url
        address = f"{base}{kind.value.lower()}/" if base else None
        return NotificationSetting(is_enabled=address is not None, address=address)

    def configure(self, kind: NotificationType, setting: NotificationSetting) -> None:
        self._settings[kind] = setting

    def configured(self) -> dict[NotificationType, NotificationSetting]:
        """The settings made through the API (the others follow the sandbox config)."""
        return dict(self._settings)

    def reset(self) -> None:
        self._settings.clear()

    def signer(self) -> Signer:
        secret = self._sandbox.config.cloudpayments_api_secret
        return lambda body: sign(body, secret)

    def send(self, kind: NotificationType, fields: Fields) -> None:
        """Queue a notification; a type without an address is not sent at all."""
        url = self.setting(kind).target
        if url is None:
            return
        self._sandbox.outbox.enqueue(
            Delivery(
                gateway=GATEWAY,
                kind=kind.value.lower(),
                url=url,
                body=encode(fields),
                content_type=CONTENT_TYPE,
                sign=self.signer(),
                is_acknowledged=is_acknowledged,
                max_attempts=MAX_ATTEMPTS,
            )
        )

    async def check(self, fields: Fields) -> int:
        """Ask the merchant whether to accept a payment; the ReasonCode to decline
        with, or 0 to go on (also when no Check address is configured)."""
        url = self.setting(NotificationType.CHECK).target
        if url is None:
            return 0
        body = encode(fields)
        signer = self.signer()
        status: int | None = None
        text = ""
        error: str | None = None
        # The receiver is another server, so awaiting it here cannot deadlock even
        # when it runs on this event loop (tests do that).
        timeout = aiohttp.ClientTimeout(total=CHECK_TIMEOUT_SECONDS)
        try:
            async with (
                aiohttp.ClientSession(timeout=timeout) as session,
                session.post(
                    url,
                    data=body,
                    headers={"Content-Type": CONTENT_TYPE, **signer(body)},
                ) as response,
            ):
                status = response.status
                raw = await response.read()
            text = raw[:2000].decode(errors="replace")
            result = check_outcome(status, raw)
        except TimeoutError as exc:
            error = f"{type(exc).__name__}: no reply within {CHECK_TIMEOUT_SECONDS} s"
            result = CHECK_UNAVAILABLE
        except aiohttp.ClientError as exc:
            error = f"{type(exc).__name__}: {exc}"
            result = CHECK_UNABLE_TO_CONNECT
        logger.info(
            "sandbox.cloudpayments.check", extra={"status": status, "result": result}
        )
        self._record_check(
            url,
            body,
            signer,
            Attempt(self._sandbox.clock.now(), status, text, error),
            accepted=result == 0,
        )
        return result

    def _record_check(
        self, url: str, body: bytes, signer: Signer, attempt: Attempt, *, accepted: bool
    ) -> None:
        delivery = Delivery(
            gateway=GATEWAY,
            kind=NotificationType.CHECK.value.lower(),
            url=url,
            body=body,
            content_type=CONTENT_TYPE,
            sign=signer,
            is_acknowledged=is_acknowledged,
            # Check is never retried: an unanswered Check declines the payment.
            max_attempts=1,
            state="delivered" if accepted else "failed",
            attempts=[attempt],
        )
        self._sandbox.outbox.record(delivery)


def _money(transaction: Transaction) -> dict[str, object]:
    amount = format_amount(transaction.amount, transaction.currency)
    return {
        "TransactionId": transaction.id,
        "Amount": amount,
        "Currency": transaction.currency.code,
        "PaymentAmount": amount,
        "PaymentCurrency": transaction.currency.code,
    }


def _card_and_payer(transaction: Transaction) -> dict[str, object]:
    model = transaction.as_model()
    return {
        "CardFirstSix": transaction.card.first_six,
        "CardLastFour": transaction.card.last_four,
        "CardType": transaction.brand.name,
        "CardExpDate": transaction.card.exp_text,
        "TestMode": 1,
        "InvoiceId": transaction.invoice_id,
        "AccountId": transaction.account_id,
        "SubscriptionId": transaction.subscription_id,
        "Name": transaction.name,
        "Email": transaction.email,
        **{
            key: model[key]
            for key in (
                "IpAddress",
                "IpCountry",
                "IpCity",
                "IpRegion",
                "IpDistrict",
                "IpLatitude",
                "IpLongitude",
                "Issuer",
                "IssuerBankCountry",
            )
        },
        "Description": transaction.description,
        "Data": transaction.json_data,
    }


def check_fields(transaction: Transaction, *, would_be: Status) -> dict[str, object]:
    return {
        **_money(transaction),
        "DateTime": transaction.created_at,
        **_card_and_payer(transaction),
        "Status": would_be.value,
        "OperationType": "Payment",
    }


def pay_fields(transaction: Transaction) -> dict[str, object]:
    return {
        **check_fields(transaction, would_be=transaction.status),
        "GatewayName": "Test",
        "AuthCode": transaction.auth_code,
        "Token": transaction.token,
        "TotalFee": "0.00",
        "Rrn": transaction.rrn,
    }


def fail_fields(transaction: Transaction) -> dict[str, object]:
    model = transaction.as_model()
    return {
        **_money(transaction),
        "DateTime": transaction.created_at,
        **_card_and_payer(transaction),
        "Reason": model["Reason"],
        "ReasonCode": transaction.reason_code,
        "OperationType": "Payment",
        "Token": transaction.token,
    }


def confirm_fields(transaction: Transaction) -> dict[str, object]:
    return {
        **_money(transaction),
        "DateTime": transaction.confirmed_at,
        **_card_and_payer(transaction),
        "Status": Status.COMPLETED.value,
        "AuthCode": transaction.auth_code,
        "Token": transaction.token,
        "Rrn": transaction.rrn,
    }


def refund_fields(refund: Transaction) -> dict[str, object]:
    return {
        "TransactionId": refund.id,
        "PaymentTransactionId": refund.original_transaction_id,
        "Amount": format_amount(refund.amount, refund.currency),
        "DateTime": refund.created_at,
        "OperationType": "Refund",
        **_merchant_references(refund),
        "Rrn": refund.rrn,
    }


def cancel_fields(transaction: Transaction) -> dict[str, object]:
    return {
        "TransactionId": transaction.id,
        "Amount": format_amount(transaction.amount, transaction.currency),
        "DateTime": transaction.cancelled_at,
        **_merchant_references(transaction),
        "Rrn": transaction.rrn,
    }


def _merchant_references(transaction: Transaction) -> dict[str, object]:
    """What the merchant sent with the payment, as Refund and Cancel repeat it."""
    return {
        "InvoiceId": transaction.invoice_id,
        "AccountId": transaction.account_id,
        "Email": transaction.email,
        "Data": transaction.json_data,
    }
