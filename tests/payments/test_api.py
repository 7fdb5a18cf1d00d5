"""The support API: payers, payments and their history, for support staff only."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from billing.money import Money
from payments.gateways.base import Declined
from payments.gateways.fake import FakeGateway
from payments.models import Payment, PaymentKind, PaymentStatus, RefundReason
from payments.services import refund_payment, start_card_payment
from tests.payments import staff

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
PAYER = uuid.UUID("5d7c1f0e-8a44-4b8e-9d1a-0c3f6e2b7a10")
OTHER_PAYER = uuid.UUID("0b9e4d2c-1f3a-4c5b-8e7d-6a5f4e3d2c1b")
PAYMENTS = "/api/v1/payments/"
PRICE = Money(125_000, "RUB")


def _pay(
    *,
    payer_id: uuid.UUID = PAYER,
    amount: Money = PRICE,
    pays: str = "",
    at: dt.datetime = NOW,
) -> Payment:
    return start_card_payment(
        payer_id=payer_id,
        gateway="fake",
        amount=amount,
        card_payload="sbx1:test-card",
        now=at,
        actor="system:test",
        pays=pays,
    )


def _client(user: User | None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def _error_shape(body: dict[str, Any]) -> set[str]:
    return set(body)


@pytest.fixture
def support_client() -> APIClient:
    return _client(staff.support())


@pytest.fixture
def paid(fake_gateway: FakeGateway) -> Payment:
    """A succeeded payment of 1,250.00 RUB for invoice:1, partly refunded."""
    payment = _pay(pays="invoice:1")
    refund_payment(
        payment_id=payment.id,
        reason=RefundReason.REQUESTED_BY_CUSTOMER,
        requested_by="user:support",
        now=NOW + dt.timedelta(hours=1),
        amount=Money(25_000, "RUB"),
        note="Late delivery",
    )
    payment.refresh_from_db()
    return payment


class TestAccess:
    def test_anonymous_is_refused_in_the_error_shape(self, paid: Payment) -> None:
        response = _client(None).get(PAYMENTS)

        assert response.status_code == 403
        assert _error_shape(response.json()) == {"code", "message", "extra"}
        assert response.json()["code"] == "not_authenticated"

    def test_a_shop_member_is_refused(self, paid: Payment) -> None:
        response = _client(staff.member()).get(f"{PAYMENTS}{paid.id}/")

        assert response.status_code == 403
        assert response.json()["code"] == "permission_denied"

    def test_staff_without_a_billing_role_is_refused(self, paid: Payment) -> None:
        response = _client(staff.staff(None)).get(f"/api/v1/payers/{PAYER}/")

        assert response.status_code == 403

    @pytest.mark.parametrize("make_user", [staff.support, staff.accounting])
    def test_support_and_accounting_staff_may_read(
        self, paid: Payment, make_user: Any
    ) -> None:
        response = _client(make_user()).get(PAYMENTS)

        assert response.status_code == 200

    def test_a_superuser_may_read(self, paid: Payment) -> None:
        response = _client(staff.superuser()).get(f"{PAYMENTS}{paid.id}/")

        assert response.status_code == 200

    def test_support_scripts_authenticate_with_a_token(self, paid: Payment) -> None:
        client = APIClient()
        client.credentials(
            HTTP_AUTHORIZATION=f"Token {staff.token_for(staff.support())}"
        )

        response = client.get(PAYMENTS)

        assert response.status_code == 200

    def test_a_token_does_not_lift_the_role_requirement(self, paid: Payment) -> None:
        client = APIClient()
        client.credentials(
            HTTP_AUTHORIZATION=f"Token {staff.token_for(staff.member())}"
        )

        response = client.get(PAYMENTS)

        assert response.status_code == 403


class TestPaymentList:
    def test_lists_newest_first_with_amounts_in_minor_units_and_formatted(
        self, fake_gateway: FakeGateway, support_client: APIClient
    ) -> None:
        older = _pay(amount=Money(10_000, "USD"), at=NOW - dt.timedelta(days=1))
        newer = _pay(amount=Money(123_456, "RUB"))

        response = support_client.get(PAYMENTS)

        body = response.json()
        assert [row["id"] for row in body["results"]] == [str(newer.id), str(older.id)]
        first = body["results"][0]
        assert first["amount_minor"] == 123_456
        assert first["currency"] == "RUB"
        assert first["amount"] == "1,234.56 RUB"
        assert first["captured"] == "1,234.56 RUB"
        assert "cryptogram" not in first and "action" not in first

    @pytest.mark.parametrize(
        ("query", "expected"),
        [
            ({"payer": str(OTHER_PAYER)}, ["other"]),
            ({"status": "FAILED"}, ["declined"]),
            ({"gateway": "fake"}, ["declined", "other", "paid"]),
            ({"kind": "ONE_OFF"}, []),
            ({"kind": "INITIAL"}, ["declined", "other", "paid"]),
            ({"pays": "invoice:1"}, ["paid"]),
            ({"created_after": "2026-11-23T00:00:00Z"}, ["declined", "paid"]),
            ({"created_before": "2026-11-23"}, ["other"]),
            ({"search": str(OTHER_PAYER)}, ["other"]),
        ],
    )
    def test_filters(
        self,
        fake_gateway: FakeGateway,
        support_client: APIClient,
        paid: Payment,
        query: dict[str, str],
        expected: list[str],
    ) -> None:
        other = _pay(payer_id=OTHER_PAYER, at=NOW - dt.timedelta(days=2))
        fake_gateway.script(
            "charge", Declined(reason_code="5051", message="No funds", hard=False)
        )
        declined = _pay(at=NOW + dt.timedelta(minutes=5))
        names = {paid.id: "paid", other.id: "other", declined.id: "declined"}

        response = support_client.get(PAYMENTS, query)

        assert response.status_code == 200
        found = sorted(
            names[uuid.UUID(row["id"])] for row in response.json()["results"]
        )
        assert found == expected

    def test_searches_by_payment_id_and_by_gateway_reference(
        self, support_client: APIClient, paid: Payment
    ) -> None:
        by_id = support_client.get(PAYMENTS, {"search": str(paid.id)}).json()
        by_reference = support_client.get(
            PAYMENTS, {"search": str(paid.gateway_reference)}
        ).json()

        assert [row["id"] for row in by_id["results"]] == [str(paid.id)]
        assert [row["id"] for row in by_reference["results"]] == [str(paid.id)]

    def test_paginates_with_limit_and_offset(
        self, fake_gateway: FakeGateway, support_client: APIClient
    ) -> None:
        for minutes in range(5):
            _pay(at=NOW + dt.timedelta(minutes=minutes))

        response = support_client.get(PAYMENTS, {"limit": 2, "offset": 2})

        body = response.json()
        assert body["count"] == 5
        assert len(body["results"]) == 2
        assert "offset=4" in body["next"]
        assert "limit=2" in body["previous"]

    @pytest.mark.parametrize(
        ("query", "field"),
        [
            ({"status": "PAID"}, "status"),
            ({"gateway": "paypal"}, "gateway"),
            ({"payer": "not-a-uuid"}, "payer"),
            ({"created_after": "yesterday"}, "created_after"),
            ({"created_after": "2026-11-23", "created_before": "2026-11-01"}, None),
        ],
    )
    def test_refuses_bad_filters_with_a_400(
        self, support_client: APIClient, query: dict[str, str], field: str | None
    ) -> None:
        response = support_client.get(PAYMENTS, query)

        assert response.status_code == 400
        body = response.json()
        assert body["code"] == "validation_error"
        assert field is None or field in body["extra"]["fields"]


class TestPaymentDetail:
    def test_shows_refunds_refund_state_card_and_audit_trail(
        self, support_client: APIClient, paid: Payment
    ) -> None:
        response = support_client.get(f"{PAYMENTS}{paid.id}/")

        body = response.json()
        assert body["status"] == PaymentStatus.SUCCEEDED
        assert body["kind"] == PaymentKind.INITIAL
        assert body["refund_state"] == "PARTIALLY_REFUNDED"
        assert body["refunded"] == "250.00 RUB"
        assert [r["amount_minor"] for r in body["refunds"]] == [25_000]
        assert body["refunds"][0]["note"] == "Late delivery"
        assert body["payment_method"]["last4"] == "4242"
        assert "token" not in body["payment_method"]
        changes = [(c["object_type"], c["to_status"]) for c in body["audit_trail"]]
        assert changes == [("payment", "SUCCEEDED"), ("refund", "SUCCEEDED")]
        assert body["idempotency_key"] == f"payment:{paid.id}"

    def test_never_shows_the_token_or_the_cryptogram(
        self, support_client: APIClient, paid: Payment
    ) -> None:
        method = paid.payment_method
        assert method is not None

        response = support_client.get(f"{PAYMENTS}{paid.id}/")

        assert method.token not in response.content.decode()
        assert "cryptogram" not in response.content.decode()

    def test_an_unknown_payment_is_a_404_in_the_error_shape(
        self, support_client: APIClient
    ) -> None:
        response = support_client.get(f"{PAYMENTS}{uuid.uuid4()}/")

        assert response.status_code == 404
        assert response.json()["code"] == "payment_not_found"
        assert _error_shape(response.json()) == {"code", "message", "extra"}

    def test_a_malformed_id_is_a_400(self, support_client: APIClient) -> None:
        response = support_client.get(f"{PAYMENTS}12345/")

        assert response.status_code == 400
        assert response.json()["extra"]["fields"] == {
            "payment_id": ["Must be a valid UUID."]
        }


class TestPayerDetail:
    def test_shows_masked_cards_recent_payments_and_counts(
        self, support_client: APIClient, paid: Payment
    ) -> None:
        response = support_client.get(f"/api/v1/payers/{PAYER}/")

        body = response.json()
        assert body["id"] == str(PAYER)
        [card] = body["payment_methods"]
        assert (card["brand"], card["first6"], card["last4"]) == (
            "Visa",
            "424242",
            "4242",
        )
        assert card["is_default"] is True
        assert "token" not in card
        assert [p["id"] for p in body["recent_payments"]] == [str(paid.id)]
        assert body["counts"] == {
            "payments": 1,
            "payments_by_status": {"SUCCEEDED": 1},
            "refunds": 1,
            "payment_methods": 1,
            "checkout_sessions": 0,
        }

    def test_an_unknown_payer_is_a_404(self, support_client: APIClient) -> None:
        response = support_client.get(f"/api/v1/payers/{uuid.uuid4()}/")

        assert response.status_code == 404
        assert response.json()["code"] == "payer_not_found"

    def test_a_malformed_payer_id_is_a_400(self, support_client: APIClient) -> None:
        response = support_client.get("/api/v1/payers/nobody/")

        assert response.status_code == 400
        assert "payer_id" in response.json()["extra"]["fields"]


class TestSchema:
    def test_documents_the_support_operations(self) -> None:
        response = _client(staff.superuser()).get("/api/schema/", {"format": "json"})

        paths = response.json()["paths"]
        assert {
            "/api/v1/payers/{payer_id}/",
            "/api/v1/payments/",
            "/api/v1/payments/{payment_id}/",
            "/api/v1/checkout-sessions/",
            "/api/v1/checkout-sessions/{session_id}/",
        } <= set(paths)
        listing = paths["/api/v1/payments/"]["get"]
        names = {parameter["name"] for parameter in listing["parameters"]}
        assert {"status", "payer", "created_after", "limit", "offset"} <= names
        assert "404" in paths["/api/v1/payments/{payment_id}/"]["get"]["responses"]
