"""`POST /__sandbox/discrepancies` on CloudPayments: each kind of difference that
reconciliation must find, made with no notification [SANDBOX]."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from cloudpayments import CloudPayments
from cloudpayments.models import Transaction

from gateway_sandbox.app import Sandbox
from tests.gateway_sandbox.cloudpayments_merchant import (
    api_post,
    configure_notification,
    cryptogram,
    notification_log,
)
from tests.gateway_sandbox.reconciliation_controls import (
    discrepancy,
    ledger_of,
    made,
    movements,
)

GATEWAY = "cloudpayments"


@pytest.fixture
def client(
    cloudpayments_client: CloudPayments, sandbox_url: str, sandbox: Sandbox
) -> CloudPayments:
    """The SDK, with every notification sent (to a closed port) and so logged."""
    for kind in ("pay", "refund", "cancel", "fail"):
        configure_notification(
            sandbox_url, sandbox, kind, f"http://127.0.0.1:9/{kind}/"
        )
    return cloudpayments_client


def charge(client: CloudPayments) -> Transaction:
    return client.charge_card(
        cryptogram("4000000000003055"),
        150,
        "RUB",
        "IVAN PETROV",
        "203.0.113.7",
        invoice_id="order-1",
        account_id="acc-1",
    )


def model_of(sandbox_url: str, sandbox: Sandbox, transaction_id: str) -> Any:
    response = api_post(
        sandbox_url, sandbox, "payments/get", {"TransactionId": int(transaction_id)}
    )
    return response.json()


def notified_kinds(sandbox_url: str) -> list[str]:
    return [delivery["kind"] for delivery in notification_log(sandbox_url)]


class TestUnknownCapture:
    def test_makes_a_completed_payment_nobody_was_told_of(
        self, client: CloudPayments, sandbox_url: str
    ) -> None:
        payment_id = made(
            sandbox_url,
            gateway=GATEWAY,
            kind="unknown_capture",
            amount_minor=12_345,
            currency="RUB",
            account="acc-7",
            reference="order-7",
        )

        transaction = client.get_transaction(int(payment_id))
        assert transaction.status == "Completed"
        assert transaction.amount == Decimal("123.45")
        assert (transaction.invoice_id, transaction.account_id) == ("order-7", "acc-7")
        assert notified_kinds(sandbox_url) == []
        assert movements(sandbox_url, GATEWAY) == [("capture", payment_id, 12_345)]


class TestDashboardRefund:
    def test_refunds_without_a_notification(
        self, client: CloudPayments, sandbox_url: str, sandbox: Sandbox
    ) -> None:
        paid = charge(client)

        refund_id = made(
            sandbox_url,
            gateway=GATEWAY,
            kind="dashboard_refund",
            payment=paid.id,
            amount_minor=15_000,
        )

        refund = model_of(sandbox_url, sandbox, refund_id)["Model"]
        assert (refund["Type"], refund["OriginalTransactionId"]) == (1, paid.id)
        assert model_of(sandbox_url, sandbox, str(paid.id))["Model"]["Refunded"]
        assert notified_kinds(sandbox_url) == ["pay"]
        assert ledger_of(sandbox_url, GATEWAY)["totals"]["RUB"] == {
            "captured_minor": 15_000,
            "refunded_minor": 15_000,
        }

    def test_refuses_more_than_the_payment(
        self, client: CloudPayments, sandbox_url: str
    ) -> None:
        paid = charge(client)

        response = discrepancy(
            sandbox_url,
            gateway=GATEWAY,
            kind="dashboard_refund",
            payment=str(paid.id),
            amount_minor=15_001,
        )

        assert response.status_code == 400
        assert "more than the refundable" in response.json()["error"]


class TestAmount:
    def test_changes_the_amount_and_the_captured_money(
        self, client: CloudPayments, sandbox_url: str
    ) -> None:
        paid = charge(client)

        made(
            sandbox_url,
            gateway=GATEWAY,
            kind="amount",
            payment=paid.id,
            amount_minor=14_000,
        )

        assert client.get_transaction(paid.id).amount == 140
        assert movements(sandbox_url, GATEWAY) == [
            ("capture", str(paid.id), 15_000),
            ("adjustment", str(paid.id), -1_000),
        ]
        assert ledger_of(sandbox_url, GATEWAY)["totals"]["RUB"]["captured_minor"] == (
            14_000
        )


class TestStatus:
    @pytest.mark.parametrize(
        ("status", "shown"), [("declined", "Declined"), ("canceled", "Cancelled")]
    )
    def test_gives_the_payment_another_status(
        self, client: CloudPayments, sandbox_url: str, status: str, shown: str
    ) -> None:
        paid = charge(client)

        made(
            sandbox_url, gateway=GATEWAY, kind="status", payment=paid.id, status=status
        )

        assert client.get_transaction(paid.id).status == shown
        assert ledger_of(sandbox_url, GATEWAY)["totals"]["RUB"]["captured_minor"] == 0
        assert notified_kinds(sandbox_url) == ["pay"]


class TestDrop:
    def test_forgets_the_payment_and_its_refunds(
        self, client: CloudPayments, sandbox_url: str, sandbox: Sandbox
    ) -> None:
        paid = charge(client)
        client.refund(paid.id, 50)
        kept = charge(client)

        made(sandbox_url, gateway=GATEWAY, kind="drop", payment=paid.id)

        assert model_of(sandbox_url, sandbox, str(paid.id)) == {
            "Success": False,
            "Message": "Not found",
        }
        day = api_post(
            sandbox_url,
            sandbox,
            "v2/payments/list",
            {"CreatedDateGte": "2000-01-01T00:00:00", "CreatedDateLte": "2100-01-01"},
        )
        assert [m["TransactionId"] for m in day.json()["Model"]] == [kept.id]
        assert movements(sandbox_url, GATEWAY) == [("capture", str(kept.id), 15_000)]


class TestBadInput:
    @pytest.mark.parametrize(
        ("body", "message"),
        [
            ({"gateway": "paypal", "kind": "drop"}, 'gateway must be one of "cloud'),
            ({"gateway": GATEWAY, "kind": "lost"}, "kind must be one of"),
            ({"gateway": GATEWAY, "kind": "drop"}, "payment must be the gateway's id"),
            (
                {
                    "gateway": GATEWAY,
                    "kind": "amount",
                    "payment": "1",
                    "amount_minor": 0,
                },
                "amount_minor must be a positive integer",
            ),
            (
                {"gateway": GATEWAY, "kind": "status", "payment": "1", "status": "ok"},
                'status must be "declined" or "canceled"',
            ),
            (
                {
                    "gateway": GATEWAY,
                    "kind": "unknown_capture",
                    "amount_minor": 100,
                    "currency": "XYZ",
                },
                "CloudPayments does not take XYZ",
            ),
        ],
    )
    def test_refuses_with_400(
        self, sandbox_url: str, body: dict[str, Any], message: str
    ) -> None:
        response = discrepancy(sandbox_url, **body)

        assert response.status_code == 400
        assert response.json()["error"].startswith(message)

    def test_answers_404_for_an_unknown_payment(self, sandbox_url: str) -> None:
        response = discrepancy(sandbox_url, gateway=GATEWAY, kind="drop", payment="42")

        assert response.status_code == 404
        assert response.json() == {"error": "no payment 42"}
