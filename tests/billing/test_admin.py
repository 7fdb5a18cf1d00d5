"""The admin shows invoices and the ledger read-only, with PDFs and a trial balance."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from billing.models import Invoice, InvoiceLine, LedgerEntry
from billing.money import Money
from billing.services import void_invoice
from tests.billing.factories import ACTOR, NOW, issue, line, pay
from tests.payments import staff

pytestmark = pytest.mark.django_db

PAYER = uuid.UUID("3f0b7c1e-5a2d-4e8f-9b6a-1c2d3e4f5a6b")
OTHER_PAYER = uuid.UUID("7e6d5c4b-3a29-4817-b6a5-f4e3d2c1b0a9")
SUBSCRIPTION = uuid.UUID("8d2e4f6a-0b1c-4d3e-8f5a-7b9c1d2e3f4a")
INVOICES = "/admin/billing/invoice/"
LEDGER = "/admin/billing/ledgerentry/"
TRIAL_BALANCE = f"{LEDGER}trial-balance/"


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _html(response: Any) -> str:
    return str(response.content.decode())


@pytest.fixture
def support() -> Client:
    return _client(staff.support())


@pytest.fixture
def books() -> dict[str, Invoice]:
    """A paid renewal, an open one in USD, and a voided one of another payer."""
    paid = pay(
        issue(
            PAYER,
            line(Money(99_900, "RUB")),
            line(Money(-10_000, "RUB"), "Credit from an earlier change"),
            subscription_id=SUBSCRIPTION,
        ),
        gateway="cloudpayments",
    )
    open_usd = issue(PAYER, currency="USD")
    voided = issue(OTHER_PAYER)
    with transaction.atomic():
        void_invoice(invoice_id=voided.id, at=NOW, actor=ACTOR, reason="duplicate")
    voided.refresh_from_db()
    return {"paid": paid, "open": open_usd, "void": voided}


class TestPages:
    @pytest.mark.parametrize(
        "make_user", [staff.superuser, staff.support, staff.accounting]
    )
    def test_every_changelist_and_change_page_renders_for_staff(
        self, books: dict[str, Invoice], make_user: Any
    ) -> None:
        client = _client(make_user())
        entry = LedgerEntry.objects.order_by("id").first()
        assert entry is not None
        pages = [
            INVOICES,
            *(f"{INVOICES}{invoice.id}/change/" for invoice in books.values()),
            LEDGER,
            f"{LEDGER}{entry.id}/change/",
            TRIAL_BALANCE,
        ]

        statuses = {page: client.get(page).status_code for page in pages}

        assert set(statuses.values()) == {200}, statuses

    def test_the_invoice_page_shows_lines_money_postings_and_audit_trail(
        self, books: dict[str, Invoice], support: Client
    ) -> None:
        invoice = books["paid"]

        html = _html(support.get(f"{INVOICES}{invoice.id}/change/"))

        assert "INV-00000001" in html
        assert "Credit from an earlier change" in html
        assert "-100.00 RUB" in html
        assert "899.00 RUB" in html
        assert f"invoice:{invoice.id}:issued" in html
        assert f"invoice:{invoice.id}:paid" in html
        assert "OPEN → PAID" in html
        assert f"{INVOICES}{invoice.id}/pdf/" in html

    def test_invoice_lines_are_not_inputs(
        self, books: dict[str, Invoice], support: Client
    ) -> None:
        html = _html(support.get(f"{INVOICES}{books['paid'].id}/change/"))

        assert 'name="lines-0-amount_minor"' not in html
        assert "lines-0-DELETE" not in html
        assert "lines-__prefix__" not in html
        assert 'name="_save"' not in html


class TestReadOnly:
    @pytest.mark.parametrize("model", ["invoice", "invoiceline", "ledgerentry"])
    def test_money_rows_cannot_be_added_changed_or_deleted(
        self, books: dict[str, Invoice], model: str
    ) -> None:
        client = _client(staff.superuser())
        pk = {
            "invoice": books["open"].id,
            "invoiceline": InvoiceLine.objects.first().pk,  # type: ignore[union-attr]
            "ledgerentry": LedgerEntry.objects.first().pk,  # type: ignore[union-attr]
        }[model]
        base = f"/admin/billing/{model}/"

        add = client.get(f"{base}add/")
        change = client.post(f"{base}{pk}/change/", {"total_minor": "1"})
        delete = client.post(f"{base}{pk}/delete/", {"post": "yes"})

        expected = {404} if model == "invoiceline" else {403}
        assert {add.status_code, change.status_code, delete.status_code} == expected
        books["open"].refresh_from_db()
        assert books["open"].total_minor == 99_900

    def test_no_bulk_action_is_offered(self, books: dict[str, Invoice]) -> None:
        client = _client(staff.superuser())

        pages = _html(client.get(INVOICES)) + _html(client.get(LEDGER))

        assert 'name="action"' not in pages


class TestInvoiceSearchAndFilters:
    @pytest.mark.parametrize("term", ["INV-00000002", "inv-2", "2", "00000002"])
    def test_finds_an_invoice_by_its_number(
        self, books: dict[str, Invoice], support: Client, term: str
    ) -> None:
        html = _html(support.get(INVOICES, {"q": term}))

        assert f"{INVOICES}{books['open'].id}/change/" in html
        assert f"{INVOICES}{books['paid'].id}/change/" not in html

    @pytest.mark.parametrize(
        ("term", "expected"),
        [(str(PAYER), {"paid", "open"}), (str(SUBSCRIPTION), {"paid"})],
    )
    def test_finds_invoices_by_payer_or_subscription(
        self,
        books: dict[str, Invoice],
        support: Client,
        term: str,
        expected: set[str],
    ) -> None:
        html = _html(support.get(INVOICES, {"q": term}))

        found = {
            name
            for name, invoice in books.items()
            if f"{INVOICES}{invoice.id}/change/" in html
        }
        assert found == expected

    def test_a_search_that_is_neither_finds_nothing_instead_of_failing(
        self, books: dict[str, Invoice], support: Client
    ) -> None:
        response = support.get(INVOICES, {"q": "INV-twelve"})

        assert response.status_code == 200
        assert "INV-0000000" not in _html(response).split("results")[-1]

    @pytest.mark.parametrize(
        ("params", "expected"),
        [
            ({"status__exact": "VOID"}, {"void"}),
            ({"billing_reason__exact": "SUBSCRIPTION_CYCLE"}, {"paid", "open", "void"}),
            ({"currency": "USD"}, {"open"}),
            ({"created_at__gte": "2026-01-31 00:00:00+00:00"}, None),
        ],
    )
    def test_filters_by_status_reason_currency_and_date(
        self,
        books: dict[str, Invoice],
        support: Client,
        params: dict[str, str],
        expected: set[str] | None,
    ) -> None:
        html = _html(support.get(INVOICES, params))

        found = {
            name
            for name, invoice in books.items()
            if f"{INVOICES}{invoice.id}/change/" in html
        }
        assert found == (expected or set(books))

    def test_the_changelist_does_not_query_per_row(self, support: Client) -> None:
        issue(PAYER)
        with CaptureQueriesContext(connection) as few:
            support.get(INVOICES)
        for _ in range(4):
            issue(uuid.uuid4())

        with CaptureQueriesContext(connection) as many:
            support.get(INVOICES)

        assert len(many) == len(few)


class TestInvoicePdf:
    @pytest.mark.parametrize("make_user", [staff.support, staff.accounting])
    def test_staff_download_the_pdf_from_the_list(
        self, books: dict[str, Invoice], make_user: Any
    ) -> None:
        client = _client(make_user())
        invoice = books["paid"]
        url = f"{INVOICES}{invoice.id}/pdf/"

        listed = _html(client.get(INVOICES))
        response = client.get(url)

        assert url in listed
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert 'filename="INV-00000001.pdf"' in response["Content-Disposition"]
        assert response.getvalue().startswith(b"%PDF-")

    def test_an_unknown_or_malformed_invoice_is_a_404(self, support: Client) -> None:
        unknown = support.get(f"{INVOICES}999/pdf/")
        malformed = support.get(f"{INVOICES}twelve/pdf/")

        assert unknown.status_code == 404
        assert malformed.status_code == 404

    def test_staff_who_may_not_view_invoices_are_refused(
        self, books: dict[str, Invoice]
    ) -> None:
        client = _client(staff.staff(None))

        response = client.get(f"{INVOICES}{books['paid'].id}/pdf/")

        assert response.status_code == 403

    def test_anyone_signed_out_is_sent_to_the_login_page(
        self, books: dict[str, Invoice]
    ) -> None:
        response = Client().get(f"{INVOICES}{books['paid'].id}/pdf/")

        assert response.status_code == 302
        assert "/admin/login/" in response["Location"]


class TestLedger:
    def test_entries_are_found_by_posting_key_or_payer(
        self, books: dict[str, Invoice], support: Client
    ) -> None:
        paid = books["paid"]

        by_posting = _html(support.get(LEDGER, {"q": f"invoice:{paid.id}:paid"}))
        by_payer = _html(support.get(LEDGER, {"q": str(OTHER_PAYER)}))

        assert by_posting.count(f"invoice:{paid.id}:paid") >= 2
        assert f"invoice:{paid.id}:issued" not in by_posting
        assert f"invoice:{books['void'].id}:void" in by_payer
        assert f"invoice:{paid.id}:" not in by_payer

    @pytest.mark.parametrize(
        ("params", "shown", "hidden"),
        [
            ({"account__exact": "GATEWAY_CASH"}, ":paid", ":issued"),
            ({"currency__exact": "USD"}, "issued", ":paid"),
            ({"subaccount__exact": "cloudpayments"}, ":paid", ":issued"),
        ],
    )
    def test_entries_are_filtered_by_account_currency_and_gateway(
        self,
        books: dict[str, Invoice],
        support: Client,
        params: dict[str, str],
        shown: str,
        hidden: str,
    ) -> None:
        html = _html(support.get(LEDGER, params)).split('id="result_list"')[-1]

        assert shown in html
        assert hidden not in html

    def test_the_changelist_links_to_the_trial_balance(
        self, books: dict[str, Invoice], support: Client
    ) -> None:
        assert TRIAL_BALANCE in _html(support.get(LEDGER))

    def test_the_trial_balance_sums_each_account_per_currency(
        self, books: dict[str, Invoice], support: Client
    ) -> None:
        html = _html(support.get(TRIAL_BALANCE))

        rub = html.split("<h2>RUB</h2>")[1].split("</table>")[0]
        usd = html.split("<h2>USD</h2>")[1].split("</table>")[0]
        # RUB: 899.00 issued (999.00 of revenue less 100.00 of the payer's credit)
        # and paid at CloudPayments; 999.00 issued and voided.
        assert _row(rub, "Cash at the gateway") == [
            "cloudpayments",
            "899.00 RUB",
            "0.00 RUB",
            "899.00 RUB Dr",
        ]
        assert _row(rub, "Accounts receivable") == [
            "—",
            "1,898.00 RUB",
            "1,898.00 RUB",
            "0.00 RUB",
        ]
        assert _row(rub, "Revenue") == [
            "—",
            "999.00 RUB",
            "1,998.00 RUB",
            "999.00 RUB Cr",
        ]
        assert _row(rub, "Credit owed to payers")[-1] == "100.00 RUB Dr (unusual side)"
        assert "balanced" in rub
        assert _row(usd, "Accounts receivable")[-1] == "999.00 USD Dr"

    def test_an_unusual_balance_and_an_unbalanced_ledger_are_pointed_out(
        self, support: Client
    ) -> None:
        LedgerEntry.objects.create(
            posting="manual:1",
            account="RECEIVABLE",
            currency="EUR",
            credit_minor=500,
            at=NOW + dt.timedelta(days=1),
        )

        html = _html(support.get(TRIAL_BALANCE))

        assert "5.00 EUR Cr (unusual side)" in html
        assert "out of balance by 5.00 EUR Cr" in html

    def test_an_empty_ledger_says_so(self, support: Client) -> None:
        assert "The ledger is empty." in _html(support.get(TRIAL_BALANCE))

    def test_staff_without_a_role_may_not_see_it(self) -> None:
        response = _client(staff.staff(None)).get(TRIAL_BALANCE)

        assert response.status_code == 403


class TestStaffRoles:
    @pytest.mark.parametrize("role", ["support", "accounting"])
    def test_both_roles_view_invoices_and_the_ledger_and_change_nothing(
        self, role: str
    ) -> None:
        group = Group.objects.get(name=role)

        codenames = set(
            group.permissions.filter(content_type__app_label="billing").values_list(
                "codename", flat=True
            )
        )

        assert {"view_invoice", "view_invoiceline", "view_ledgerentry"} <= codenames
        assert not {c for c in codenames if not c.startswith("view_")}


def _row(table: str, account: str) -> list[str]:
    """The cells after the account's name in a trial-balance table."""
    row = table.split(f"<td>{account}")[1].split("</tr>")[0]
    cells = [cell.split(">", 1)[-1] for cell in row.split("</td>")[1:]]
    return [cell.strip().replace("&nbsp;", " ") for cell in cells if cell.strip()]
