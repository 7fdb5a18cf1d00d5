"""`payments/list` and `v2/payments/list`: a period's transactions, payments and
refunds, in pages of 100, oldest first (GATEWAYS.md A3, A3.9).

`v2/payments/list` is not in the SDK: the merchant posts it with the same Basic auth.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests
from cloudpayments import CloudPayments, PaymentError
from cloudpayments.models import Transaction

from gateway_sandbox.app import Sandbox
from tests.gateway_sandbox.cloudpayments_merchant import api_post, cryptogram

DAY_START = "2029-03-01T00:00:00"
DAY_END = "2029-03-01T23:59:59"
DAY = {"CreatedDateGte": DAY_START, "CreatedDateLte": DAY_END}


@pytest.fixture
def client(cloudpayments_client: CloudPayments, sandbox_url: str) -> CloudPayments:
    """The SDK, with the sandbox clock frozen at 10:00 UTC on 2029-03-01."""
    set_clock(sandbox_url, "2029-03-01T10:00:00+00:00")
    return cloudpayments_client


def set_clock(sandbox_url: str, now: str) -> None:
    requests.post(
        f"{sandbox_url}/__sandbox/clock", json={"now": now, "frozen": True}, timeout=5
    ).raise_for_status()


def charge(client: CloudPayments, invoice_id: str, amount: float = 10) -> Transaction:
    return client.charge_card(
        cryptogram("4000000000003055"),
        amount,
        "RUB",
        "IVAN PETROV",
        "203.0.113.7",
        invoice_id=invoice_id,
    )


def list_period(sandbox_url: str, sandbox: Sandbox, **params: Any) -> dict[str, Any]:
    payload = {**DAY, **params}
    response = api_post(sandbox_url, sandbox, "v2/payments/list", payload)
    response.raise_for_status()
    answer: dict[str, Any] = response.json()
    return answer


def ids(answer: dict[str, Any]) -> list[int]:
    return [model["TransactionId"] for model in answer["Model"]]


class TestListPeriod:
    def test_lists_payments_and_refunds_oldest_first(
        self, client: CloudPayments, sandbox_url: str, sandbox: Sandbox
    ) -> None:
        """A refund is a transaction of its own, with Type 1 and its original's id."""
        paid = charge(client, "inv-1")
        set_clock(sandbox_url, "2029-03-01T11:00:00+00:00")
        refund_id = client.refund(paid.id, 4)

        answer = list_period(sandbox_url, sandbox)

        assert answer["Success"] is True
        assert answer["Message"] is None
        assert ids(answer) == [paid.id, refund_id]
        payment, refund = answer["Model"]
        assert (payment["Type"], payment["Refunded"]) == (0, False)
        assert (refund["Type"], refund["OriginalTransactionId"]) == (1, paid.id)
        day = api_post(sandbox_url, sandbox, "payments/list", {"Date": "2029-03-01"})
        assert answer["Model"] == day.json()["Model"]

    def test_includes_both_ends_of_the_period_to_the_second(
        self, client: CloudPayments, sandbox_url: str, sandbox: Sandbox
    ) -> None:
        set_clock(sandbox_url, "2029-03-01T23:59:59.900000+00:00")
        last = charge(client, "inv-last")
        set_clock(sandbox_url, "2029-03-02T00:00:00+00:00")
        charge(client, "inv-next-day")

        answer = list_period(sandbox_url, sandbox)

        assert ids(answer) == [last.id]

    def test_reads_the_period_in_the_given_time_zone(
        self, client: CloudPayments, sandbox_url: str, sandbox: Sandbox
    ) -> None:
        """10:00 UTC is 13:00 in Moscow; `Timezone` is the SDK's own spelling."""
        paid = charge(client, "inv-1")

        moscow_afternoon = list_period(
            sandbox_url,
            sandbox,
            CreatedDateGte="2029-03-01T13:00:00",
            CreatedDateLte="2029-03-01T13:00:00",
            Timezone="MSK",
        )
        utc_afternoon = list_period(
            sandbox_url,
            sandbox,
            CreatedDateGte="2029-03-01T13:00:00",
            CreatedDateLte="2029-03-01T13:00:00",
        )

        assert ids(moscow_afternoon) == [paid.id]
        assert ids(utc_afternoon) == []

    def test_filters_by_status(
        self, client: CloudPayments, sandbox_url: str, sandbox: Sandbox
    ) -> None:
        paid = charge(client, "inv-1")
        with pytest.raises(PaymentError) as declined:
            client.charge_card(
                cryptogram("4000056655665556"), 10, "RUB", "IVAN", "203.0.113.7"
            )
        declined_id = declined.value.transaction_id

        only_declined = list_period(sandbox_url, sandbox, Statuses=["Declined"])
        both = list_period(sandbox_url, sandbox, Statuses=["completed", 5])

        assert ids(only_declined) == [declined_id]
        assert ids(both) == [paid.id, declined_id]

    def test_pages_a_thousand_transactions_without_loss_or_repeat(
        self, client: CloudPayments, sandbox_url: str, sandbox: Sandbox
    ) -> None:
        """100 a page, oldest first; the page after the last is empty."""
        made = [charge(client, f"inv-{n}").id for n in range(1_050)]

        pages = [
            list_period(sandbox_url, sandbox, PageNumber=number)["Model"]
            for number in range(1, 13)
        ]

        assert [len(page) for page in pages] == [100] * 10 + [50, 0]
        assert [m["TransactionId"] for page in pages for m in page] == made

    def test_starts_at_the_first_page(
        self, client: CloudPayments, sandbox_url: str, sandbox: Sandbox
    ) -> None:
        paid = charge(client, "inv-1")

        answer = list_period(sandbox_url, sandbox)

        assert ids(answer) == [paid.id]

    @pytest.mark.parametrize(
        ("payload", "message"),
        [
            ({"CreatedDateLte": DAY_END}, "CreatedDateGte is required"),
            ({"CreatedDateGte": DAY_START}, "CreatedDateLte is required"),
            (
                {"CreatedDateGte": "yesterday", "CreatedDateLte": DAY_END},
                "Invalid CreatedDateGte value",
            ),
            (
                {"CreatedDateGte": DAY_END, "CreatedDateLte": DAY_START},
                "Invalid CreatedDateLte value: before CreatedDateGte",
            ),
            (
                {**DAY, "PageNumber": 0},
                "Invalid PageNumber value: pages start at 1",
            ),
            (
                {**DAY, "TimeZone": "X"},
                "Invalid TimeZone value",
            ),
            (
                {**DAY, "Statuses": ["Paid"]},
                "Invalid Statuses value: 'Paid'",
            ),
        ],
    )
    def test_refuses_bad_parameters(
        self,
        sandbox_url: str,
        sandbox: Sandbox,
        payload: dict[str, Any],
        message: str,
    ) -> None:
        response = api_post(sandbox_url, sandbox, "v2/payments/list", payload)

        assert response.json() == {"Success": False, "Message": message}
