"""The CloudPayments adapter built from settings against a fresh sandbox; a payer."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from payments.gateways.base import PayerAccount, PaymentGateway
from tests.gateway_sandbox.cloudpayments_merchant import NotificationReceiver
from tests.payments.gateways.sandbox_access import build


@pytest.fixture
def gateway(gateway_settings: Any) -> PaymentGateway:
    return build("cloudpayments")


@pytest.fixture
def payer() -> PayerAccount:
    return PayerAccount(payer_id=uuid.uuid4())


@pytest.fixture
def receiver() -> Iterator[NotificationReceiver]:
    with NotificationReceiver() as running:
        yield running
