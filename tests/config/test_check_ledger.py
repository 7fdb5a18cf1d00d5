"""`check_ledger`: the trial balance printed, the problems listed, the exit code.

The proofs themselves are tested in tests/billing/test_ledger_checks.py; here the
command runs over books written by every service, payments' cash included.
"""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command

from billing.models import Invoice, InvoiceStatus, LedgerAccount
from billing.money import Money
from payments.gateways.base import Declined
from payments.gateways.fake import FakeGateway
from payments.models import Payment, PaymentStatus, RefundReason
from payments.services import refund_payment
from subscriptions.models import SubscriptionStatus
from subscriptions.services import DunningPolicy, renew_due_subscriptions
from tests.billing.ledger_rows import hand_made
from tests.subscriptions.factories import ACTOR, START, make_plan, subscribe_with_card

pytestmark = pytest.mark.django_db


def check_ledger() -> str:
    out = io.StringIO()
    call_command("check_ledger", stdout=out)
    return out.getvalue()


def failed_check() -> tuple[str, CommandError]:
    out = io.StringIO()
    with pytest.raises(CommandError) as failure:
        call_command("check_ledger", stdout=out)
    return out.getvalue(), failure.value


def books_with_every_kind_of_fact(fake_gateway: FakeGateway) -> None:
    """Invoices issued, paid, renewed, declined into dunning, and a partial refund."""
    plan = make_plan()
    # Renewed in the order they fall due: the first one gets the decline.
    declining = subscribe_with_card(plan).subscription
    paying = subscribe_with_card(plan, now=START + dt.timedelta(hours=1)).subscription
    fake_gateway.script(
        "charge", Declined(reason_code="5051", message="Insufficient funds", hard=False)
    )
    renew_due_subscriptions(
        gateway="fake",
        clock=lambda: paying.current_period_ends_at,
        policy=DunningPolicy(retry_days=(1, 3, 5, 7)),
    )
    first = Payment.objects.filter(status=PaymentStatus.SUCCEEDED).earliest(
        "created_at"
    )
    refund_payment(
        payment_id=first.id,
        reason=RefundReason.SERVICE_ISSUE,
        requested_by=ACTOR,
        now=START + dt.timedelta(days=2),
        amount=Money(10_000, "RUB"),
    )
    declining.refresh_from_db()
    assert declining.status == SubscriptionStatus.PAST_DUE
    assert Invoice.objects.filter(status=InvoiceStatus.OPEN).count() == 1


class TestCheckLedger:
    def test_says_so_when_the_ledger_is_empty(self) -> None:
        output = check_ledger()

        assert "The ledger is empty." in output
        assert "The books balance." in output

    def test_books_written_by_the_services_balance(
        self, fake_gateway: FakeGateway
    ) -> None:
        """Issue, payment, renewal, dunning and refund postings prove out."""
        books_with_every_kind_of_fact(fake_gateway)

        output = check_ledger()

        assert "Problems" not in output
        assert output.rstrip().endswith("The books balance.")

    def test_prints_a_trial_balance_per_account_gateway_and_currency(
        self, fake_gateway: FakeGateway
    ) -> None:
        books_with_every_kind_of_fact(fake_gateway)

        lines = check_ledger().splitlines()

        # Four invoices of 999.00 issued (two first, two renewals), three paid, one
        # open in dunning, 100.00 refunded.
        assert lines[0] == "Trial balance"
        assert lines[1].split() == [
            "account",
            "gateway",
            "debits",
            "credits",
            "balance",
        ]
        assert lines[2].strip() == "RUB"
        assert [line.split() for line in lines[3:8]] == [
            ["RECEIVABLE", "3,996.00", "2,997.00", "999.00", "Dr"],
            ["GATEWAY_CASH", "fake", "2,997.00", "100.00", "2,897.00", "Dr"],
            ["REVENUE", "0.00", "3,996.00", "3,996.00", "Cr"],
            ["REFUNDS", "100.00", "0.00", "100.00", "Dr"],
            ["total", "RUB", "7,093.00", "7,093.00", "0.00"],
        ]

    def test_a_hand_made_unbalanced_posting_fails_with_exit_code_1(
        self, fake_gateway: FakeGateway
    ) -> None:
        books_with_every_kind_of_fact(fake_gateway)
        hand_made("hand:unbalanced", (LedgerAccount.REVENUE, "", 0, 500))

        output, failure = failed_check()

        assert failure.returncode == 1
        assert "The books do not balance: 2 problem(s)" in str(failure)
        assert (
            "Posting hand:unbalanced does not balance in RUB: debits 0.00, credits "
            "5.00." in output
        )
        assert (
            "The trial balance does not sum to zero in RUB: debits exceed credits by "
            "-5.00." in output
        )

    def test_cash_the_payments_do_not_account_for_is_reported(
        self, fake_gateway: FakeGateway
    ) -> None:
        books_with_every_kind_of_fact(fake_gateway)
        hand_made(
            "hand:cash",
            (LedgerAccount.GATEWAY_CASH, "fake", 2_500, 0),
            (LedgerAccount.REVENUE, "", 0, 2_500),
        )

        output, failure = failed_check()

        assert failure.returncode == 1
        assert (
            "Cash at fake in RUB is 2,922.00, but its payments captured less refunded "
            "2,897.00." in output
        )

    def test_marks_a_balance_on_the_unusual_side_of_its_account(self) -> None:
        """Cash at a gateway in credit: more went out than came in."""
        hand_made(
            "hand:overdrawn",
            (LedgerAccount.REFUNDS, "", 300, 0),
            (LedgerAccount.GATEWAY_CASH, "fake", 0, 300),
        )

        output, _ = failed_check()

        assert "3.00 Cr *" in output
        assert "* a balance on the unusual side for its account" in output
        assert (
            "Cash at fake in RUB is -3.00, but its payments captured less refunded "
            "0.00." in output
        )
