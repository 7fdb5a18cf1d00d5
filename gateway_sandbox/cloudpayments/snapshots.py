"""The CloudPayments terminal in the state file: transactions, tokens, subscriptions,
notification settings and `X-Request-ID` replies (see `gateway_sandbox.snapshots`).

Card data is written without the CVV, which no later operation needs, and a number
that is not one of the sandbox's test cards is written masked: only test cards can be
charged, so a real number typed in by mistake stays out of the file.
"""

from __future__ import annotations

import enum
import json
from decimal import Decimal
from typing import Any, TypeVar

import simplejson

from gateway_sandbox.cloudpayments.cards import TEST_CARDS
from gateway_sandbox.cloudpayments.cryptogram import CardData
from gateway_sandbox.cloudpayments.currencies import Currency, find_currency
from gateway_sandbox.cloudpayments.intervals import CloudPaymentsInterval
from gateway_sandbox.cloudpayments.notifications import (
    NotificationSetting,
    NotificationType,
)
from gateway_sandbox.cloudpayments.subscriptions import (
    CloudPaymentsSubscription,
    CloudPaymentsSubscriptionStatus,
)
from gateway_sandbox.cloudpayments.tokens import StoredToken
from gateway_sandbox.cloudpayments.transactions import (
    Status,
    Transaction,
    TransactionType,
)
from gateway_sandbox.snapshots import (
    JsonObject,
    Record,
    UnreadableState,
    encode_decimal,
    encode_moment,
)

_Member = TypeVar("_Member", bound=enum.StrEnum)


def _storable_number(number: str) -> str:
    if number in TEST_CARDS:
        return number
    return number[:6] + "*" * max(len(number) - 10, 0) + number[-4:]


def card_to_json(card: CardData) -> JsonObject:
    return {
        "number": _storable_number(card.number),
        "exp_month": card.exp_month,
        "exp_year": card.exp_year,
        "name": card.name,
    }


def card_from_json(data: Record) -> CardData:
    return CardData(
        number=data.text("number"),
        exp_month=data.integer("exp_month"),
        exp_year=data.integer("exp_year"),
        cvv=None,
        name=data.optional_text("name"),
    )


def _currency(data: Record, name: str) -> Currency:
    currency = find_currency(data.text(name))
    if currency is None:
        raise UnreadableState(f"unknown currency {data.text(name)!r}")
    return currency


def _member(kind: type[_Member], data: Record, name: str) -> _Member:
    try:
        return kind(data.text(name))
    except ValueError:
        raise UnreadableState(f"unknown {kind.__name__} {data.text(name)!r}") from None


def transaction_to_json(transaction: Transaction) -> JsonObject:
    return {
        "id": transaction.id,
        "public_id": transaction.public_id,
        "type": int(transaction.type),
        "amount": encode_decimal(transaction.amount),
        "currency": transaction.currency.code,
        "status": transaction.status.value,
        "created_at": encode_moment(transaction.created_at),
        "card": card_to_json(transaction.card),
        "invoice_id": transaction.invoice_id,
        "account_id": transaction.account_id,
        "email": transaction.email,
        "description": transaction.description,
        "json_data": transaction.json_data,
        "ip_address": transaction.ip_address,
        "name": transaction.name,
        "is_two_stage": transaction.is_two_stage,
        "is_token_payment": transaction.is_token_payment,
        "token": transaction.token,
        "tr_initiator_code": transaction.tr_initiator_code,
        "payment_scheduled": transaction.payment_scheduled,
        "subscription_id": transaction.subscription_id,
        "reason_code": transaction.reason_code,
        "auth_code": transaction.auth_code,
        "rrn": transaction.rrn,
        "authorized_amount": encode_decimal(transaction.authorized_amount),
        "authorized_at": encode_moment(transaction.authorized_at),
        "confirmed_at": encode_moment(transaction.confirmed_at),
        "cancelled_at": encode_moment(transaction.cancelled_at),
        "refunded_amount": encode_decimal(transaction.refunded_amount),
        "original_transaction_id": transaction.original_transaction_id,
        "pa_req": transaction.pa_req,
    }


def transaction_from_json(data: Record) -> Transaction:
    """:raises UnreadableState: for data that `transaction_to_json` did not write."""
    try:
        kind = TransactionType(data.integer("type"))
    except ValueError:
        kind_name = data.raw("type")
        raise UnreadableState(f"unknown transaction type {kind_name!r}") from None
    return Transaction(
        id=data.integer("id"),
        public_id=data.text("public_id"),
        type=kind,
        amount=data.decimal("amount"),
        currency=_currency(data, "currency"),
        status=_member(Status, data, "status"),
        created_at=data.moment("created_at"),
        card=card_from_json(data.record("card")),
        invoice_id=data.optional_text("invoice_id"),
        account_id=data.optional_text("account_id"),
        email=data.optional_text("email"),
        description=data.optional_text("description"),
        json_data=data.optional_text("json_data"),
        ip_address=data.optional_text("ip_address"),
        name=data.optional_text("name"),
        is_two_stage=data.flag("is_two_stage"),
        is_token_payment=data.flag("is_token_payment"),
        token=data.optional_text("token"),
        tr_initiator_code=data.optional_integer("tr_initiator_code"),
        payment_scheduled=data.optional_integer("payment_scheduled"),
        subscription_id=data.optional_text("subscription_id"),
        reason_code=data.integer("reason_code"),
        auth_code=data.optional_text("auth_code"),
        rrn=data.optional_text("rrn"),
        authorized_amount=data.optional_decimal("authorized_amount"),
        authorized_at=data.optional_moment("authorized_at"),
        confirmed_at=data.optional_moment("confirmed_at"),
        cancelled_at=data.optional_moment("cancelled_at"),
        refunded_amount=data.decimal("refunded_amount"),
        original_transaction_id=data.optional_integer("original_transaction_id"),
        pa_req=data.optional_text("pa_req"),
    )


def token_to_json(stored: StoredToken) -> JsonObject:
    return {
        "token": stored.token,
        "public_id": stored.public_id,
        "account_id": stored.account_id,
        "card": card_to_json(stored.card),
    }


def token_from_json(data: Record) -> StoredToken:
    return StoredToken(
        token=data.text("token"),
        public_id=data.text("public_id"),
        account_id=data.text("account_id"),
        card=card_from_json(data.record("card")),
    )


def _receipt_to_json(receipt: Any) -> str | None:
    # The receipt is the merchant's JSON, with Decimal amounts: kept as JSON text.
    return None if receipt is None else simplejson.dumps(receipt)


def _receipt_from_json(data: Record) -> Any:
    text = data.optional_text("receipt")
    if text is None:
        return None
    try:
        return json.loads(text, parse_float=Decimal)
    except (ValueError, RecursionError):
        raise UnreadableState("a subscription's receipt is not JSON") from None


def subscription_to_json(subscription: CloudPaymentsSubscription) -> JsonObject:
    return {
        "id": subscription.id,
        "public_id": subscription.public_id,
        "account_id": subscription.account_id,
        "token": subscription.token,
        "description": subscription.description,
        "email": subscription.email,
        "amount": encode_decimal(subscription.amount),
        "currency": subscription.currency.code,
        "require_confirmation": subscription.require_confirmation,
        "start_at": encode_moment(subscription.start_at),
        "interval": subscription.interval.value,
        "period": subscription.period,
        "max_periods": subscription.max_periods,
        "status": subscription.status.value,
        "anchor_at": encode_moment(subscription.anchor_at),
        "cycle": subscription.cycle,
        "next_transaction_at": encode_moment(subscription.next_transaction_at),
        "last_transaction_at": encode_moment(subscription.last_transaction_at),
        "successful_transactions": subscription.successful_transactions,
        "failed_transactions": subscription.failed_transactions,
        "receipt": _receipt_to_json(subscription.receipt),
    }


def subscription_from_json(data: Record) -> CloudPaymentsSubscription:
    """:raises UnreadableState: for data that `subscription_to_json` did not write."""
    return CloudPaymentsSubscription(
        id=data.text("id"),
        public_id=data.text("public_id"),
        account_id=data.text("account_id"),
        token=data.text("token"),
        description=data.text("description"),
        email=data.optional_text("email"),
        amount=data.decimal("amount"),
        currency=_currency(data, "currency"),
        require_confirmation=data.flag("require_confirmation"),
        start_at=data.moment("start_at"),
        interval=_member(CloudPaymentsInterval, data, "interval"),
        period=data.integer("period"),
        max_periods=data.optional_integer("max_periods"),
        status=_member(CloudPaymentsSubscriptionStatus, data, "status"),
        anchor_at=data.moment("anchor_at"),
        cycle=data.integer("cycle"),
        next_transaction_at=data.optional_moment("next_transaction_at"),
        last_transaction_at=data.optional_moment("last_transaction_at"),
        successful_transactions=data.integer("successful_transactions"),
        failed_transactions=data.integer("failed_transactions"),
        receipt=_receipt_from_json(data),
    )


def settings_to_json(
    settings: dict[NotificationType, NotificationSetting],
) -> JsonObject:
    return {
        kind.value: {
            "is_enabled": setting.is_enabled,
            "address": setting.address,
            "http_method": setting.http_method,
            "encoding": setting.encoding,
            "format": setting.format,
        }
        for kind, setting in settings.items()
    }


def settings_from_json(data: Record) -> dict[NotificationType, NotificationSetting]:
    settings: dict[NotificationType, NotificationSetting] = {}
    for name in data.names():
        kind = NotificationType.parse(name)
        if kind is None:
            raise UnreadableState(f"unknown notification type {name!r}")
        setting = data.record(name)
        settings[kind] = NotificationSetting(
            is_enabled=setting.flag("is_enabled"),
            address=setting.optional_text("address"),
            http_method=setting.text("http_method"),
            encoding=setting.text("encoding"),
            format=setting.text("format"),
        )
    return settings
