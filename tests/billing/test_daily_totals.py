"""The accounting desk's daily totals: the cash captured and refunded at each
gateway per day and currency, from the ledger."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from billing.clock import billing_now
from billing.models import LedgerAccount
from billing.money import Money
from billing.selectors import DailyGatewayTotal, daily_gateway_totals
from billing.services import Posting, post_to_ledger
from tests.billing.factories import NOW
from tests.payments import staff

pytestmark = pytest.mark.django_db

DAILY_TOTALS = "/admin/billing/ledgerentry/daily-totals/"
DAY = NOW.date()
NEXT_DAY = DAY + dt.timedelta(days=1)


def _captured(key: str, amount: Money, *, gateway: str, at: dt.datetime) -> Posting:
    return Posting.transfer(
        key,
        amount,
        debit=LedgerAccount.GATEWAY_CASH,
        credit=LedgerAccount.RECEIVABLE,
        at=at,
        debit_subaccount=gateway,
    )


def _refunded(key: str, amount: Money, *, gateway: str, at: dt.datetime) -> Posting:
    return Posting.transfer(
        key,
        amount,
        debit=LedgerAccount.REFUNDS,
        credit=LedgerAccount.GATEWAY_CASH,
        at=at,
        credit_subaccount=gateway,
    )


@pytest.fixture
def books() -> None:
    """Two days of cash at two gateways, in two currencies, and one posting that
    moves no cash (an invoice issued)."""
    later = NOW + dt.timedelta(days=1)
    post_to_ledger(
        [
            _captured("p:1", Money(10_000, "RUB"), gateway="cloudpayments", at=NOW),
            _captured("p:2", Money(5_000, "RUB"), gateway="cloudpayments", at=NOW),
            _refunded("r:1", Money(2_000, "RUB"), gateway="cloudpayments", at=NOW),
            _captured("p:3", Money(700, "USD"), gateway="stripe", at=NOW),
            _captured("p:4", Money(1_000, "RUB"), gateway="cloudpayments", at=later),
            Posting.transfer(
                "invoice:1:issued",
                Money(99_900, "RUB"),
                debit=LedgerAccount.RECEIVABLE,
                credit=LedgerAccount.REVENUE,
                at=NOW,
            ),
        ]
    )


@pytest.mark.usefixtures("books")
class TestDailyGatewayTotals:
    def test_sums_the_cash_per_day_gateway_and_currency(self) -> None:
        totals = daily_gateway_totals(starts=DAY, ends=NEXT_DAY)

        assert totals == [
            DailyGatewayTotal(DAY, "cloudpayments", "RUB", 15_000, 2_000),
            DailyGatewayTotal(DAY, "stripe", "USD", 700, 0),
            DailyGatewayTotal(NEXT_DAY, "cloudpayments", "RUB", 1_000, 0),
        ]
        assert totals[0].net_minor == 13_000

    def test_keeps_to_the_days_asked_for(self) -> None:
        totals = daily_gateway_totals(starts=NEXT_DAY, ends=NEXT_DAY)

        assert [total.day for total in totals] == [NEXT_DAY]


@pytest.mark.usefixtures("books")
class TestTheDailyTotalsPage:
    @pytest.fixture
    def accounting(self) -> Client:
        client = Client()
        client.force_login(staff.accounting())
        return client

    def test_the_ledger_list_links_to_it(self, accounting: Client) -> None:
        html = accounting.get("/admin/billing/ledgerentry/").content.decode()

        assert DAILY_TOTALS in html

    def test_shows_each_days_cash(self, accounting: Client) -> None:
        response = accounting.get(
            DAILY_TOTALS, {"starts": DAY.isoformat(), "ends": DAY.isoformat()}
        )

        html = response.content.decode()
        assert "150.00 RUB" in html and "20.00 RUB" in html and "130.00 RUB" in html
        assert "7.00 USD" in html
        assert "10.00 RUB" not in html  # the next day's capture

    def test_without_a_range_it_shows_the_last_thirty_days(
        self, accounting: Client
    ) -> None:
        html = accounting.get(DAILY_TOTALS).content.decode()

        thirty_days_ago = billing_now().date() - dt.timedelta(days=30)
        assert f'value="{thirty_days_ago.isoformat()}"' in html

    def test_a_bad_range_is_shown_and_nothing_summed(self, accounting: Client) -> None:
        response = accounting.get(
            DAILY_TOTALS, {"starts": NEXT_DAY.isoformat(), "ends": DAY.isoformat()}
        )

        html = response.content.decode()
        assert "The range ends before it starts." in html
        assert "No money moved at a gateway on these days." in html
