"""CSV exports of the accounting desk: payments, refunds, invoices and the ledger
for a range of days, streamed in bounded memory."""

from __future__ import annotations

import csv
import datetime as dt
import io
import tracemalloc
import uuid
from typing import Any

import pytest
from django.test import Client

from billing.models import Invoice, LedgerAccount
from billing.money import Money
from billing.services import Posting, post_to_ledger
from tests.billing.factories import NOW, issue, pay
from tests.payments import staff
from tests.payments.factories import RefundFactory, pay_by_card

pytestmark = pytest.mark.django_db

DAY = NOW.date()
EXPORTS = {
    "payments": "/admin/payments/payment/",
    "refunds": "/admin/payments/refund/",
    "invoices": "/admin/billing/invoice/",
    "ledger": "/admin/billing/ledgerentry/",
}


@pytest.fixture
def accounting() -> Client:
    client = Client()
    client.force_login(staff.accounting())
    return client


def _export(client: Client, changelist: str, starts: dt.date, ends: dt.date) -> Any:
    return client.get(
        f"{changelist}export/", {"starts": starts.isoformat(), "ends": ends.isoformat()}
    )


def _rows(response: Any) -> list[dict[str, str]]:
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


class TestTheExportPages:
    @pytest.mark.parametrize("changelist", EXPORTS.values())
    def test_the_list_links_to_its_export(
        self, accounting: Client, changelist: str
    ) -> None:
        assert f"{changelist}export/" in accounting.get(changelist).content.decode()

    @pytest.mark.parametrize("changelist", EXPORTS.values())
    def test_without_a_range_it_asks_for_one(
        self, accounting: Client, changelist: str
    ) -> None:
        response = accounting.get(f"{changelist}export/")

        assert response.status_code == 200
        assert 'name="starts"' in response.content.decode()

    def test_a_range_that_ends_before_it_starts_is_refused(
        self, accounting: Client
    ) -> None:
        response = _export(accounting, EXPORTS["ledger"], DAY, DAY - dt.timedelta(1))

        assert response.status_code == 200
        assert "The range ends before it starts." in response.content.decode()

    def test_refuses_a_signed_out_visitor(self) -> None:
        response = _export(Client(), EXPORTS["payments"], DAY, DAY)

        assert response.status_code == 302


class TestWhatIsExported:
    def test_invoices_of_the_range_only(self, accounting: Client) -> None:
        inside, outside = pay(issue(uuid.uuid4())), issue(uuid.uuid4())
        Invoice.objects.filter(id=outside.id).update(
            created_at=NOW - dt.timedelta(days=5)
        )

        response = _export(accounting, EXPORTS["invoices"], DAY, DAY)

        assert response["Content-Type"] == "text/csv"
        assert f"invoices-{DAY}-{DAY}.csv" in response["Content-Disposition"]
        rows = _rows(response)
        assert [(row["id"], row["status"]) for row in rows] == [
            (str(inside.id), "PAID")
        ]
        assert rows[0]["total_minor"] == str(inside.total_minor)

    def test_payments_and_refunds(self, accounting: Client) -> None:
        payment = pay_by_card()
        refund = RefundFactory.create(payment=payment)
        day = payment.created_at.date()

        payments = _rows(_export(accounting, EXPORTS["payments"], day, day))
        refunds = _rows(_export(accounting, EXPORTS["refunds"], day, day))

        assert [row["id"] for row in payments] == [str(payment.id)]
        assert payments[0]["amount_minor"] == str(payment.amount_minor)
        assert [(row["id"], row["payment_id"]) for row in refunds] == [
            (str(refund.id), str(payment.id))
        ]


def test_text_a_spreadsheet_would_run_as_a_formula_stays_text(
    accounting: Client,
) -> None:
    post_to_ledger(
        [
            Posting.transfer(
                "export:formula:posted",
                Money(100, "RUB"),
                debit=LedgerAccount.RECEIVABLE,
                credit=LedgerAccount.REVENUE,
                at=NOW,
                memo='=HYPERLINK("http://evil.example","x")',
            )
        ]
    )

    rows = _rows(_export(accounting, EXPORTS["ledger"], DAY, DAY))

    assert {row["memo"] for row in rows} == {'\'=HYPERLINK("http://evil.example","x")'}


def test_a_hundred_thousand_ledger_rows_stream_in_bounded_memory(
    accounting: Client,
) -> None:
    post_to_ledger(
        [
            Posting.transfer(
                f"export:{n}:posted",
                Money(100 + n, "RUB"),
                debit=LedgerAccount.RECEIVABLE,
                credit=LedgerAccount.REVENUE,
                at=NOW,
            )
            for n in range(50_000)
        ]
    )
    response = _export(accounting, EXPORTS["ledger"], DAY, DAY)

    tracemalloc.start()
    lines = sum(chunk.count(b"\n") for chunk in response.streaming_content)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    assert lines == 100_001
    assert peak < 8 * 1024 * 1024, f"peak {peak / 2**20:.1f} MiB"
