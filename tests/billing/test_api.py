"""The support API of invoices, for support staff only."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from billing.models import Invoice, InvoiceStatus
from billing.money import Money
from tests.api_documentation import api_root_links, documented_operations
from tests.billing.factories import NOW, issue, line, pay
from tests.payments import staff

pytestmark = pytest.mark.django_db

INVOICES = "/api/v1/invoices/"


def _client(user: User | None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def _is_error(body: dict[str, Any], code: str) -> bool:
    return set(body) == {"code", "message", "extra"} and body["code"] == code


def _iso(value: dt.datetime) -> str:
    """A time as DRF writes it (UTC, `Z`)."""
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


@pytest.fixture
def support_client() -> APIClient:
    return _client(staff.support())


@pytest.fixture
def paid_invoice() -> Invoice:
    """INV-00000001: a paid invoice of a subscription, with one plan line."""
    return pay(issue(uuid.uuid4(), subscription_id=uuid.uuid4()))


class TestAccess:
    @pytest.mark.parametrize("path", [INVOICES, f"{INVOICES}1/", f"{INVOICES}1/pdf/"])
    def test_anonymous_is_refused_in_the_error_shape(self, path: str) -> None:
        response = _client(None).get(path)

        assert response.status_code == 403
        assert _is_error(response.json(), "not_authenticated")

    @pytest.mark.parametrize("make_user", [staff.member, lambda: staff.staff(None)])
    def test_a_member_or_staff_without_a_role_is_refused(
        self, paid_invoice: Invoice, make_user: Any
    ) -> None:
        response = _client(make_user()).get(f"{INVOICES}{paid_invoice.id}/")

        assert response.status_code == 403
        assert _is_error(response.json(), "permission_denied")

    @pytest.mark.parametrize(
        "make_user", [staff.support, staff.accounting, staff.superuser]
    )
    def test_support_accounting_and_superusers_may_read(
        self, paid_invoice: Invoice, make_user: Any
    ) -> None:
        response = _client(make_user()).get(INVOICES)

        assert [row["id"] for row in response.json()["results"]] == [paid_invoice.id]


class TestInvoiceList:
    def test_lists_newest_first_and_filters_by_payer_subscription_and_status(
        self, paid_invoice: Invoice, support_client: APIClient
    ) -> None:
        payer_id = uuid.uuid4()
        first, second = issue(payer_id), issue(payer_id)

        def numbers(**params: str) -> list[str]:
            response = support_client.get(INVOICES, params)
            return [row["display_number"] for row in response.json()["results"]]

        assert numbers(payer=str(payer_id)) == [
            second.display_number,
            first.display_number,
        ]
        assert numbers(subscription=str(paid_invoice.subscription_id)) == [
            "INV-00000001"
        ]
        assert numbers(status=InvoiceStatus.PAID) == ["INV-00000001"]

    def test_filters_by_when_it_was_created(self, support_client: APIClient) -> None:
        older, newer = issue(uuid.uuid4()), issue(uuid.uuid4())
        Invoice.objects.filter(id=older.id).update(
            created_at=NOW - dt.timedelta(days=3)
        )
        middle = _iso(NOW - dt.timedelta(days=1))

        def ids(**params: str) -> list[int]:
            response = support_client.get(INVOICES, params)
            return [row["id"] for row in response.json()["results"]]

        assert ids(created_after=middle) == [newer.id]
        assert ids(created_before=middle) == [older.id]

    def test_a_range_that_ends_before_it_starts_is_a_400(
        self, support_client: APIClient
    ) -> None:
        response = support_client.get(
            INVOICES, {"created_after": "2026-11-23", "created_before": "2026-11-01"}
        )

        assert response.status_code == 400
        assert "created_before" in response.json()["extra"]["fields"]

    @pytest.mark.parametrize("term", ["INV-00000002", "inv-2", "2", " 2 "])
    def test_searches_by_invoice_number(
        self, support_client: APIClient, term: str
    ) -> None:
        payer_id = uuid.uuid4()
        for _ in range(2):
            issue(payer_id)

        response = support_client.get(INVOICES, {"search": term})

        assert [row["number"] for row in response.json()["results"]] == [2]

    def test_a_search_that_is_not_an_invoice_number_is_a_400(
        self, support_client: APIClient
    ) -> None:
        response = support_client.get(INVOICES, {"search": "INV-twelve"})

        assert response.status_code == 400
        assert "search" in response.json()["extra"]["fields"]

    def test_links_each_invoice_to_its_pdf(
        self, paid_invoice: Invoice, support_client: APIClient
    ) -> None:
        (row,) = support_client.get(INVOICES).json()["results"]

        assert row["pdf_url"].endswith(f"{INVOICES}{paid_invoice.id}/pdf/")


class TestInvoiceDetail:
    def test_an_invoice_is_shown_with_its_lines(
        self, paid_invoice: Invoice, support_client: APIClient
    ) -> None:
        body = support_client.get(f"{INVOICES}{paid_invoice.id}/").json()

        assert body["display_number"] == "INV-00000001"
        assert body["status"] == InvoiceStatus.PAID
        assert body["total"] == "999.00 RUB"
        assert body["amount_due"] == "0.00 RUB"
        assert body["subscription_id"] == str(paid_invoice.subscription_id)
        (plan_line,) = body["lines"]
        assert plan_line["kind"] == "PLAN"
        assert plan_line["amount_minor"] == 99_900
        assert plan_line["amount"] == "999.00 RUB"
        assert plan_line["period_starts_at"] == _iso(NOW)

    def test_a_credit_line_is_negative(self, support_client: APIClient) -> None:
        invoice = issue(
            uuid.uuid4(),
            line(Money(99_900, "RUB")),
            line(Money(-10_000, "RUB"), "Credit"),
        )

        body = support_client.get(f"{INVOICES}{invoice.id}/").json()

        assert [row["amount_minor"] for row in body["lines"]] == [99_900, -10_000]
        assert body["amount_due"] == "899.00 RUB"

    @pytest.mark.parametrize("suffix", ["", "pdf/"])
    def test_a_malformed_id_is_a_400_and_an_unknown_one_a_404(
        self, support_client: APIClient, suffix: str
    ) -> None:
        malformed = support_client.get(f"{INVOICES}twelve/{suffix}")
        unknown = support_client.get(f"{INVOICES}999/{suffix}")

        assert malformed.status_code == 400
        assert "invoice_id" in malformed.json()["extra"]["fields"]
        assert unknown.status_code == 404
        assert _is_error(unknown.json(), "invoice_not_found")


class TestInvoicePdf:
    @pytest.mark.parametrize("accept", ["*/*", "application/pdf"])
    def test_the_pdf_is_downloaded(
        self, paid_invoice: Invoice, support_client: APIClient, accept: str
    ) -> None:
        response = support_client.get(
            f"{INVOICES}{paid_invoice.id}/pdf/", HTTP_ACCEPT=accept
        )

        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert 'filename="INV-00000001.pdf"' in response["Content-Disposition"]
        assert response.getvalue().startswith(b"%PDF-")

    def test_a_pdf_that_is_not_found_is_answered_in_json(
        self, support_client: APIClient
    ) -> None:
        response = support_client.get(
            f"{INVOICES}999/pdf/", HTTP_ACCEPT="application/pdf"
        )

        assert response.status_code == 404
        assert response["Content-Type"] == "application/json"
        assert _is_error(response.json(), "invoice_not_found")


class TestDocumentation:
    def test_the_schema_documents_every_operation(self) -> None:
        operations = {"invoices_list", "invoices_retrieve", "invoices_pdf"}

        assert operations <= documented_operations()

    def test_the_api_root_links_to_the_invoices(self) -> None:
        assert api_root_links()["invoices"].endswith(INVOICES)
