"""`POST /__sandbox/seed-payments`: captured payments in bulk, with no notification,
for reconciliation benchmarks [SANDBOX]."""

from __future__ import annotations

from typing import Any

import pytest
import requests
import stripe

from gateway_sandbox.app import Sandbox
from tests.gateway_sandbox.cloudpayments_merchant import api_post
from tests.gateway_sandbox.reconciliation_controls import ledger_of, seeded

DAY = {
    "CreatedDateGte": "2029-03-01T00:00:00",
    "CreatedDateLte": "2029-03-01T23:59:59",
}


def payment(n: int, created: str, currency: str = "RUB") -> dict[str, Any]:
    return {
        "reference": f"order-{n}",
        "account": f"acc-{n}",
        "amount_minor": 1_000 + n,
        "currency": currency,
        "created": created,
    }


def seed_request(sandbox_url: str, body: dict[str, Any]) -> requests.Response:
    return requests.post(
        f"{sandbox_url}/__sandbox/seed-payments", json=body, timeout=60
    )


class TestCloudPayments:
    def test_seeds_completed_payments_listed_by_creation(
        self, sandbox_url: str, sandbox: Sandbox
    ) -> None:
        """Ids come in the order given; lists go by `created`, oldest first."""
        ids = seeded(
            sandbox_url,
            "cloudpayments",
            [
                payment(1, "2029-03-01T12:00:00+00:00"),
                payment(2, "2029-03-01T09:00:00"),
                payment(3, "2029-03-01T15:00:00+03:00"),
            ],
        )

        listed = api_post(sandbox_url, sandbox, "v2/payments/list", DAY).json()
        models = listed["Model"]
        assert [str(m["TransactionId"]) for m in models] == [ids[1], ids[0], ids[2]]
        assert [m["CreatedDateIso"] for m in models] == [
            "2029-03-01T09:00:00",
            "2029-03-01T12:00:00",
            "2029-03-01T12:00:00",
        ]
        assert {(m["Status"], m["InvoiceId"], m["AccountId"]) for m in models} == {
            ("Completed", f"order-{n}", f"acc-{n}") for n in (1, 2, 3)
        }
        assert ledger_of(sandbox_url, "cloudpayments")["totals"]["RUB"] == {
            "captured_minor": 3_006,
            "refunded_minor": 0,
        }

    def test_seeds_ten_thousand_in_one_request(
        self, sandbox_url: str, sandbox: Sandbox
    ) -> None:
        payments = [payment(n, "2029-03-01T10:00:00Z") for n in range(10_000)]

        ids = seeded(sandbox_url, "cloudpayments", payments)

        last_page = api_post(
            sandbox_url, sandbox, "v2/payments/list", {**DAY, "PageNumber": 100}
        ).json()["Model"]
        past_the_end = api_post(
            sandbox_url, sandbox, "v2/payments/list", {**DAY, "PageNumber": 101}
        ).json()["Model"]
        assert [str(m["TransactionId"]) for m in last_page] == ids[-100:]
        assert past_the_end == []


class TestStripe:
    def test_seeds_succeeded_payments_listed_newest_first(
        self, stripe_client: stripe.StripeClient, sandbox_url: str
    ) -> None:
        ids = seeded(
            sandbox_url,
            "stripe",
            [
                payment(1, "2029-03-01T12:00:00+00:00", "USD"),
                payment(2, "2029-03-01T09:00:00+00:00", "USD"),
            ],
        )

        intents = list(
            stripe_client.v1.payment_intents.list(
                params={"expand": ["data.latest_charge"]}
            ).auto_paging_iter()
        )

        assert [intent.id for intent in intents] == [ids[0], ids[1]]
        assert [intent.status for intent in intents] == ["succeeded", "succeeded"]
        assert intents[0].metadata["reference"] == "order-1"
        assert intents[0].customer == "acc-1"
        assert stripe_client.v1.events.list().data == []
        assert ledger_of(sandbox_url, "stripe")["totals"]["USD"]["captured_minor"] == (
            2_003
        )


class TestBadInput:
    @pytest.mark.parametrize(
        ("body", "message"),
        [
            (
                {"gateway": "cloudpayments", "payments": []},
                "payments must be a list of 1 to 10000 payments",
            ),
            (
                {"gateway": "stripe", "payments": [payment(1, "x", "USD")]},
                "payments[0]: created must be an ISO-8601 date and time",
            ),
            (
                {
                    "gateway": "cloudpayments",
                    "payments": [payment(1, "2029-03-01"), {"currency": "RUB"}],
                },
                "payments[1]: amount_minor must be a positive integer",
            ),
            (
                {
                    "gateway": "cloudpayments",
                    "payments": [payment(1, "2029-03-01", "ZZZ")],
                },
                "CloudPayments does not take ZZZ",
            ),
            (
                {"gateway": "stripe", "payments": [payment(1, "2029-03-01")] * 10_001},
                "payments must be a list of 1 to 10000 payments",
            ),
        ],
    )
    def test_refuses_with_400(
        self, sandbox_url: str, body: dict[str, Any], message: str
    ) -> None:
        response = seed_request(sandbox_url, body)

        assert response.status_code == 400
        assert response.json() == {"error": message}
