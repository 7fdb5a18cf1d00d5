"""Test cards, and charges made as the widget and the ACS would make them, against
the CloudPayments sandbox."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from billing.money import Money
from payments.gateways.base import (
    ChargeResult,
    EnteredCard,
    PayerAccount,
    PaymentGateway,
    RequiresAction,
)
from tests.payments.gateways.sandbox_access import ledger, payment_request

NO_3DS = "4000000000003055"
WITH_3DS = "4242424242424242"
DECLINES_AFTER_3DS = "4012888888881881"
INSUFFICIENT_FUNDS = "4000056655665556"
TOKEN_DECLINES = "4111111111111111"
TEN_RUBLES = Money(1000, "RUB")


def cryptogram(sandbox_url: str, number: str, exp: str = "1230") -> EnteredCard:
    """The card widget's output, made by the sandbox's helper."""
    response = requests.post(
        f"{sandbox_url}/__sandbox/cp/cryptogram",
        json={"number": number, "exp": exp, "cvv": "123", "name": "IVAN PETROV"},
        timeout=5,
    )
    response.raise_for_status()
    return EnteredCard(response.json()["CardCryptogramPacket"], "IVAN PETROV")


def pa_res(sandbox_url: str, transaction_id: str, result: str) -> str:
    """What the ACS would post back to TermUrl once the payer answered."""
    response = requests.post(
        f"{sandbox_url}/__sandbox/cp/acs/complete",
        json={"TransactionId": int(transaction_id), "result": result},
        timeout=5,
    )
    response.raise_for_status()
    answer: str = response.json()["PaRes"]
    return answer


def pay(
    gateway: PaymentGateway,
    sandbox_url: str,
    payer: PayerAccount,
    number: str = NO_3DS,
    **options: Any,
) -> ChargeResult:
    source = cryptogram(sandbox_url, number)
    return gateway.charge(
        payment_request(payer=payer, source=source, amount=TEN_RUBLES, **options)
    )


def challenge_for(
    gateway: PaymentGateway, sandbox_url: str, payer: PayerAccount, number: str
) -> RequiresAction:
    with pytest.raises(RequiresAction) as raised:
        pay(gateway, sandbox_url, payer, number)
    return raised.value


def ledger_reference(sandbox_url: str) -> str:
    references = {entry["reference"] for entry in ledger(sandbox_url, "cloudpayments")}
    [reference] = references
    assert isinstance(reference, str)
    return reference
