"""The refund desk end to end: an approved refund request refunds once at the
gateway sandbox, through the real adapters and SDKs."""

from __future__ import annotations

import pytest
from pytest_django.fixtures import Settings

from billing.errors import InvalidStatusTransition
from gateway_sandbox.app import Sandbox
from payments.models import RefundRequestStatus
from payments.services import approve_refund_request, refund_or_request
from tests.journeys.cards import ledger
from tests.journeys.test_card_payments import GATEWAYS, NOW, _pay
from tests.payments import staff

pytestmark = [pytest.mark.django_db, pytest.mark.sandbox]


@pytest.mark.parametrize("gateway", GATEWAYS)
def test_an_approved_request_refunds_once_at_the_gateway(
    gateway: str, gateway_sandbox: Sandbox, sandbox_url: str, settings: Settings
) -> None:
    settings.REFUND_APPROVAL_THRESHOLDS = {"RUB": 100_000, "USD": 100_000}
    payment = _pay(gateway_sandbox, sandbox_url, gateway, "success")
    filed = refund_or_request(
        payment_id=payment.id,
        amount=None,
        reason="SERVICE_ISSUE",
        note="Outage.",
        user=staff.accounting(),
        now=NOW,
    ).refund_request
    assert filed is not None

    approved = approve_refund_request(
        request_id=filed.id, user=staff.accounting(), now=NOW
    )
    with pytest.raises(InvalidStatusTransition):
        approve_refund_request(request_id=filed.id, user=staff.accounting(), now=NOW)

    assert approved.status == RefundRequestStatus.EXECUTED
    totals = ledger(sandbox_url)["totals"]
    assert isinstance(totals, dict)
    assert totals[payment.currency]["refunded_minor"] == 125_000
