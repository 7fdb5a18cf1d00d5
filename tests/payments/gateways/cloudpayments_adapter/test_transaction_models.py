"""A raw Transaction model as the gateway's record of a payment: what is read, and
what is refused."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from billing.money import Money
from payments.gateways.base import CardDetails, GatewayError, PaymentState
from payments.gateways.cloudpayments._mapping import snapshot

MODEL: dict[str, Any] = {
    "TransactionId": 1000000001,
    "Amount": Decimal("599.00"),
    "Currency": "RUB",
    "InvoiceId": "payment:0b8a6f0e-0000-4000-8000-000000000001",
    "AccountId": "0b8a6f0e-0000-4000-8000-000000000002",
    "CreatedDateIso": "2026-12-05T10:00:00",
    "Status": "Completed",
    "ReasonCode": 0,
    "Token": "tk_secret",
    "CardFirstSix": "424242",
    "CardLastFour": "4242",
    "CardExpDate": "12/30",
    "CardType": "Visa",
    "Refunded": False,
    "TotalFee": Decimal("17.97"),
}


def test_reads_what_the_service_compares_and_keeps() -> None:
    record = snapshot(MODEL)

    assert (record.gateway_reference, record.state) == (
        "1000000001",
        PaymentState.SUCCEEDED,
    )
    assert record.reference == MODEL["InvoiceId"]
    assert record.amount == record.captured == Money(59_900, "RUB")
    assert record.refunded == Money.zero("RUB")
    assert record.created_at == dt.datetime(2026, 12, 5, 10, tzinfo=dt.UTC)
    assert record.card == CardDetails("Visa", "424242", "4242", 12, 2030)
    assert (record.token, record.account) == ("tk_secret", MODEL["AccountId"])
    assert record.fee == Money(1_797, "RUB")


def test_a_declined_one_names_its_reason() -> None:
    record = snapshot({**MODEL, "Status": "Declined", "ReasonCode": 5051})
    assert (record.state, record.decline_code) == (PaymentState.DECLINED, "5051")
    assert record.captured == Money.zero("RUB")


@pytest.mark.parametrize(
    "change",
    [
        {"Status": "Pondering"},
        {"CreatedDateIso": "yesterday"},
        {"CreatedDateIso": None},
        {"Amount": "lots"},
        {"Currency": "RUBLES"},
    ],
)
def test_a_model_it_cannot_read_is_refused(change: dict[str, Any]) -> None:
    with pytest.raises(GatewayError):
        snapshot({**MODEL, **change})


@pytest.mark.parametrize("missing", ["Status", "Amount", "TransactionId"])
def test_a_model_without_a_field_is_refused(missing: str) -> None:
    with pytest.raises(GatewayError):
        snapshot({key: value for key, value in MODEL.items() if key != missing})
