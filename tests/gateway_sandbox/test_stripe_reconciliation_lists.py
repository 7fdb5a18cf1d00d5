"""`GET /v1/payment_intents`, `/v1/refunds` and `/v1/charges` as reconciliation pages
through them: newest first, `created` windows, cursors, expansions (GATEWAYS.md C1)."""

from __future__ import annotations

import datetime as dt

import pytest
import requests
import stripe

from tests.gateway_sandbox.reconciliation_controls import made, seeded

START = dt.datetime(2029, 3, 1, 10, tzinfo=dt.UTC)
BLOCK_SECONDS = 60


def set_clock(sandbox_url: str, moment: dt.datetime) -> None:
    requests.post(
        f"{sandbox_url}/__sandbox/clock",
        json={"now": moment.isoformat(), "frozen": True},
        timeout=5,
    ).raise_for_status()


def capture(sandbox_url: str, reference: str) -> str:
    return made(
        sandbox_url,
        gateway="stripe",
        kind="unknown_capture",
        amount_minor=1_000,
        currency="USD",
        reference=reference,
    )


@pytest.fixture
def payments(sandbox_url: str) -> list[str]:
    """1,050 payments, oldest first: blocks of 100 a minute apart from START."""
    return seeded(
        sandbox_url,
        "stripe",
        [
            {
                "reference": f"order-{n}",
                "account": "cus_payer",
                "amount_minor": 1_000,
                "currency": "USD",
                "created": (START + dt.timedelta(minutes=n // 100)).isoformat(),
            }
            for n in range(1_050)
        ],
    )


def at(block: int) -> int:
    return int(START.timestamp()) + block * BLOCK_SECONDS


class TestPaymentIntentList:
    def test_pages_every_payment_newest_first(
        self, stripe_client: stripe.StripeClient, payments: list[str]
    ) -> None:
        """As the adapter reads them: 100 a page, charge and card expanded."""
        listed = stripe_client.v1.payment_intents.list(
            params={
                "limit": 100,
                "expand": ["data.latest_charge", "data.payment_method"],
            }
        ).auto_paging_iter()

        intents = list(listed)
        assert [intent.id for intent in intents] == payments[::-1]
        assert all(isinstance(i.latest_charge, stripe.Charge) for i in intents)

    def test_keeps_to_a_created_window(
        self, stripe_client: stripe.StripeClient, payments: list[str]
    ) -> None:
        listed = stripe_client.v1.payment_intents.list(
            params={"created": {"gte": at(3), "lt": at(6)}, "limit": 100}
        ).auto_paging_iter()

        assert [intent.id for intent in listed] == payments[300:600][::-1]

    def test_pages_back_with_ending_before(
        self, stripe_client: stripe.StripeClient, payments: list[str]
    ) -> None:
        page = stripe_client.v1.payment_intents.list(
            params={"ending_before": payments[500], "limit": 100}
        )

        assert [intent.id for intent in page.data] == payments[501:601][::-1]
        assert page.has_more is True

    def test_refuses_a_cursor_outside_the_window(
        self, stripe_client: stripe.StripeClient, payments: list[str]
    ) -> None:
        with pytest.raises(stripe.InvalidRequestError) as refused:
            stripe_client.v1.payment_intents.list(
                params={"created": {"gte": at(5)}, "starting_after": payments[0]}
            )

        assert refused.value.code == "resource_missing"


class TestRefundList:
    def test_pages_refunds_of_a_window_with_their_charges(
        self, stripe_client: stripe.StripeClient, sandbox_url: str
    ) -> None:
        refunds = []
        for block in range(3):
            set_clock(sandbox_url, START + dt.timedelta(seconds=block * 60))
            payment = capture(sandbox_url, f"order-{block}")
            refunds.append(
                made(
                    sandbox_url,
                    gateway="stripe",
                    kind="dashboard_refund",
                    payment=payment,
                    amount_minor=300,
                )
            )

        listed = stripe_client.v1.refunds.list(
            params={
                "created": {"gte": at(1), "lte": at(2)},
                "limit": 1,
                "expand": ["data.charge"],
            }
        ).auto_paging_iter()

        found = list(listed)
        assert [refund.id for refund in found] == refunds[:0:-1]
        charges = [refund.charge for refund in found]
        assert all(isinstance(c, stripe.Charge) for c in charges)
        assert [c.amount_refunded for c in charges if isinstance(c, stripe.Charge)] == [
            300,
            300,
        ]


class TestChargeList:
    def test_pages_charges_newest_first(
        self, stripe_client: stripe.StripeClient, sandbox_url: str
    ) -> None:
        intents = [capture(sandbox_url, f"order-{n}") for n in range(5)]

        charges = stripe_client.v1.charges.list(params={"limit": 2}).auto_paging_iter()

        assert [charge.payment_intent for charge in charges] == intents[::-1]
