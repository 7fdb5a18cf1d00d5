"""The refund desk in the support API: accounting refunds (201) or files a request
at the threshold (202); support files requests; a second accounting user decides."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from pytest_django.fixtures import Settings
from rest_framework.test import APIClient

from accounts.models import User
from payments.gateways.fake import FakeGateway
from payments.models import Payment, Refund, RefundRequest, RefundRequestStatus
from tests.api_documentation import api_root_links, documented_operations
from tests.payments import staff
from tests.payments.factories import NOW, RefundRequestFactory, pay_by_card

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fake_gateway")]

REQUESTS = "/api/v1/refund-requests/"


@pytest.fixture(autouse=True)
def _thresholds(settings: Settings) -> None:
    """The payments here are 999.00 RUB: 500.00 RUB and up take an approver."""
    settings.REFUND_APPROVAL_THRESHOLDS = {"RUB": 50_000}


def _as(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _refund(client: APIClient, payment_id: object, **body: Any) -> Any:
    body.setdefault("reason", "DUPLICATE")
    return client.post(f"/api/v1/payments/{payment_id}/refund/", body, format="json")


def _shape(response: Any) -> dict[str, Any]:
    body: dict[str, Any] = response.json()
    assert set(body) == {"code", "message", "extra"}
    return body


class TestPaymentRefund:
    def test_refunds_below_the_threshold_with_a_201(
        self, fake_gateway: FakeGateway
    ) -> None:
        payment = pay_by_card()

        response = _refund(
            _as(staff.accounting()), payment.id, amount_minor=100, currency="RUB"
        )

        assert response.status_code == 201
        assert response.json()["status"] == "SUCCEEDED"
        assert response.json()["amount_minor"] == 100
        assert len(fake_gateway.calls_to("refund")) == 1

    def test_files_a_request_at_the_threshold_with_a_202(
        self, fake_gateway: FakeGateway
    ) -> None:
        payment = pay_by_card()

        response = _refund(_as(staff.accounting()), payment.id)

        assert response.status_code == 202
        body = response.json()
        assert (body["status"], body["amount_minor"]) == ("PENDING", 99_900)
        assert body["audit_trail"][0]["to_status"] == "PENDING"
        assert fake_gateway.calls_to("refund") == []

    def test_support_may_not_refund(self, fake_gateway: FakeGateway) -> None:
        payment = pay_by_card()

        response = _refund(_as(staff.support()), payment.id)

        assert response.status_code == 403
        assert _shape(response)["code"] == "permission_denied"
        assert fake_gateway.calls_to("refund") == []

    @pytest.mark.parametrize(
        ("body", "status", "code"),
        [
            ({"amount_minor": 0, "currency": "RUB"}, 400, "validation_error"),
            ({"amount_minor": -5, "currency": "RUB"}, 400, "validation_error"),
            ({"amount_minor": "ten", "currency": "RUB"}, 400, "validation_error"),
            ({"amount_minor": 1.5, "currency": "RUB"}, 400, "validation_error"),
            ({"amount_minor": 100}, 400, "validation_error"),
            ({"reason": "BORED"}, 400, "validation_error"),
            (
                {"amount_minor": 99_901, "currency": "RUB"},
                409,
                "refund_exceeds_captured",
            ),
            ({"amount_minor": 100, "currency": "USD"}, 422, "currency_mismatch"),
        ],
    )
    def test_bad_inputs_are_refused_in_the_error_shape_and_nothing_is_stored(
        self, body: dict[str, Any], status: int, code: str, fake_gateway: FakeGateway
    ) -> None:
        payment = pay_by_card()

        response = _refund(_as(staff.accounting()), payment.id, **body)

        assert response.status_code == status
        assert _shape(response)["code"] == code
        assert not Refund.objects.exists()
        assert not RefundRequest.objects.exists()
        assert fake_gateway.calls_to("refund") == []

    def test_an_unknown_payment_is_a_404(self) -> None:
        response = _refund(_as(staff.accounting()), uuid.uuid4())

        assert response.status_code == 404
        assert _shape(response)["code"] == "payment_not_found"

    def test_a_malformed_payment_id_is_a_400(self) -> None:
        response = _refund(_as(staff.accounting()), "not-a-uuid")

        assert response.status_code == 400
        assert "payment_id" in _shape(response)["extra"]["fields"]


class TestFileAndList:
    def test_support_files_a_request_for_any_amount(self) -> None:
        payment = pay_by_card()
        support = staff.support()

        response = _as(support).post(
            REQUESTS,
            {
                "payment": str(payment.id),
                "amount_minor": 100,
                "currency": "RUB",
                "reason": "SERVICE_ISSUE",
                "note": "Stream was down.",
            },
            format="json",
        )

        assert response.status_code == 201
        body = response.json()
        assert body["requested_by"] == f"user:{support.pk}"
        assert (body["status"], body["note"]) == ("PENDING", "Stream was down.")

    def test_a_second_open_request_for_the_payment_is_a_409(self) -> None:
        request = RefundRequestFactory.create()

        response = _as(staff.support()).post(
            REQUESTS,
            {"payment": str(request.payment_id), "reason": "OTHER"},
            format="json",
        )

        assert response.status_code == 409
        assert _shape(response)["code"] == "refund_request_open"

    def test_an_unknown_payment_is_a_404_and_nothing_is_stored(self) -> None:
        response = _as(staff.support()).post(
            REQUESTS, {"payment": str(uuid.uuid4()), "reason": "OTHER"}, format="json"
        )

        assert response.status_code == 404
        assert not RefundRequest.objects.exists()

    def test_lists_with_filters_search_and_pagination(self) -> None:
        first = RefundRequestFactory.create()
        second = RefundRequestFactory.create(now=NOW + dt.timedelta(hours=1))
        client = _as(staff.support())

        page = client.get(REQUESTS, {"limit": 1}).json()
        pending = client.get(REQUESTS, {"status": "PENDING", "currency": "RUB"})
        found = client.get(REQUESTS, {"search": str(first.payment.payer_id)}).json()
        rejected = client.get(REQUESTS, {"status": "REJECTED"}).json()

        assert page["count"] == 2 and len(page["results"]) == 1
        assert page["results"][0]["id"] == str(second.id)
        assert pending.json()["count"] == 2
        assert [row["id"] for row in found["results"]] == [str(first.id)]
        assert rejected["count"] == 0

    def test_filters_by_gateway_and_when_filed(self) -> None:
        first = RefundRequestFactory.create()
        second = RefundRequestFactory.create(now=NOW + dt.timedelta(hours=1))
        client = _as(staff.support())

        later = client.get(
            REQUESTS, {"created_after": (NOW + dt.timedelta(minutes=30)).isoformat()}
        ).json()
        earlier = client.get(
            REQUESTS, {"created_before": (NOW + dt.timedelta(minutes=30)).isoformat()}
        ).json()
        elsewhere = client.get(REQUESTS, {"gateway": "stripe"}).json()

        assert [row["id"] for row in later["results"]] == [str(second.id)]
        assert [row["id"] for row in earlier["results"]] == [str(first.id)]
        assert elsewhere["count"] == 0
        assert client.get(REQUESTS, {"gateway": "fake"}).json()["count"] == 2

    def test_bad_filters_are_a_400(self) -> None:
        response = _as(staff.support()).get(REQUESTS, {"status": "LOST"})
        backwards = _as(staff.support()).get(
            REQUESTS, {"created_after": NOW.isoformat(), "created_before": "2020-01-01"}
        )

        assert backwards.status_code == 400

        assert response.status_code == 400
        assert "status" in _shape(response)["extra"]["fields"]

    def test_shows_one_request_with_its_audit_trail(self) -> None:
        request = RefundRequestFactory.create()

        response = _as(staff.support()).get(f"{REQUESTS}{request.id}/")

        assert response.status_code == 200
        assert response.json()["audit_trail"][0]["to_status"] == "PENDING"

    def test_an_unknown_request_is_a_404(self) -> None:
        response = _as(staff.support()).get(f"{REQUESTS}{uuid.uuid4()}/")

        assert response.status_code == 404
        assert _shape(response)["code"] == "refund_request_not_found"


class TestDecide:
    def test_a_second_accounting_user_approves_and_twice_refunds_once(
        self, fake_gateway: FakeGateway
    ) -> None:
        request = RefundRequestFactory.create()
        client = _as(staff.accounting())

        approved = client.post(f"{REQUESTS}{request.id}/approve/", {}, format="json")
        again = client.post(f"{REQUESTS}{request.id}/approve/", {}, format="json")

        assert approved.status_code == 200
        assert approved.json()["status"] == RefundRequestStatus.EXECUTED
        assert approved.json()["refund"]["status"] == "SUCCEEDED"
        assert again.status_code == 409
        assert _shape(again)["code"] == "invalid_status_transition"
        assert len(fake_gateway.calls_to("refund")) == 1

    def test_the_requester_cannot_approve_their_own(
        self, fake_gateway: FakeGateway
    ) -> None:
        accountant = staff.accounting()
        payment: Payment = pay_by_card()
        filed = _refund(_as(accountant), payment.id).json()

        response = _as(accountant).post(f"{REQUESTS}{filed['id']}/approve/", {})

        assert response.status_code == 403
        assert _shape(response)["code"] == "own_refund_request"
        assert fake_gateway.calls_to("refund") == []

    def test_support_may_file_but_not_approve(self) -> None:
        request = RefundRequestFactory.create()

        response = _as(staff.support()).post(f"{REQUESTS}{request.id}/approve/", {})

        assert response.status_code == 403
        assert _shape(response)["code"] == "permission_denied"

    def test_a_rejection_needs_a_note_then_closes_the_request(self) -> None:
        request = RefundRequestFactory.create()
        client = _as(staff.accounting())

        missing = client.post(f"{REQUESTS}{request.id}/reject/", {}, format="json")
        rejected = client.post(
            f"{REQUESTS}{request.id}/reject/", {"note": "Used."}, format="json"
        )

        assert missing.status_code == 400
        assert "note" in _shape(missing)["extra"]["fields"]
        assert rejected.status_code == 200
        assert rejected.json()["status"] == "REJECTED"
        assert rejected.json()["decision_note"] == "Used."


class TestDocumentation:
    def test_documents_every_operation_of_the_desk(self) -> None:
        assert {
            "payments_refund",
            "refund_requests_list",
            "refund_requests_create",
            "refund_requests_retrieve",
            "refund_requests_approve",
            "refund_requests_reject",
        } <= documented_operations()

    def test_the_api_root_links_to_the_requests(self) -> None:
        assert api_root_links()["refund_requests"].endswith(REQUESTS)
